/* Reference fully connected: input viewed as K = h*w*c values, output as N = h*w*c values,
 * weights [N][K]. */
#include "eng_util.h"

eng_status eng_fc_s8(const eng_ctx *ctx, const eng_fc_params *params, const eng_tensor *input,
                     const int8_t *filter, const int32_t *bias, eng_tensor *output)
{
    (void)ctx;
    if (!eng_fc_args_ok(params, input, filter, output)) {
        return ENG_ARG_ERROR;
    }
    const int32_t k = eng_tensor_size(input), n = eng_tensor_size(output);
    for (int32_t o = 0; o < n; o++) {
        const int8_t *w = filter + o * k;
        int32_t acc = bias ? bias[o] : 0;
        for (int32_t i = 0; i < k; i++) {
            acc += ((int32_t)input->data[i] + params->input_offset) * (int32_t)w[i];
        }
        output->data[o] = eng_requant_acc(acc, params->multiplier[o], params->output_zero_point,
                                          params->act_min, params->act_max);
    }
    return ENG_OK;
}
