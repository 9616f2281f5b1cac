/* Cortex-M7 DSP fully connected (same contract as kernels/fc.c): two output rows per pass share
 * the input's SXTB16 unpacking. */
#include "eng_dsp.h"

eng_status eng_fc_s8(const eng_ctx *ctx, const eng_fc_params *params, const eng_tensor *input,
                     const int8_t *filter, const int32_t *bias, eng_tensor *output)
{
    (void)ctx;
    if (!eng_fc_args_ok(params, input, output) || filter == 0) {
        return ENG_ARG_ERROR;
    }
    const int32_t k = eng_tensor_size(input), n = eng_tensor_size(output);
    int32_t o = 0;
    for (; o + 2 <= n; o += 2) {
        int32_t acc0 = bias ? bias[o] : 0, acc1 = bias ? bias[o + 1] : 0;
        eng_dot2_s8(input->data, filter + o * k, filter + (o + 1) * k, k, params->input_offset, &acc0, &acc1);
        output->data[o] = eng_requant_dsp(acc0, params->multiplier[o], params->output_zero_point,
                                          params->act_min, params->act_max);
        output->data[o + 1] = eng_requant_dsp(acc1, params->multiplier[o + 1], params->output_zero_point,
                                              params->act_min, params->act_max);
    }
    if (o < n) {
        const int32_t acc = eng_dot1_s8(input->data, filter + o * k, k, params->input_offset, bias ? bias[o] : 0);
        output->data[o] = eng_requant_dsp(acc, params->multiplier[o], params->output_zero_point,
                                          params->act_min, params->act_max);
    }
    return ENG_OK;
}
