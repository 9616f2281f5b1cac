/* Cortex-M7 DSP fully connected (same contract as kernels/fc.c): four output rows per pass share
 * the input's SXTB16 unpacking (eng_dot4_s8); the n % 4 tail rows go in pairs and singly. An input
 * offset of 0 (code generation folds it into the bias, toolkit/ops/fc.py) has a loop of its own
 * without the offset's addition. */
#include "eng_dsp.h"

ENG_SPECIALISE void rows(const eng_fc_params *params, const eng_tensor *input, const int8_t *filter,
                         const int32_t *bias, eng_tensor *output, int32_t off)
{
    const int8_t *x = input->data;
    int8_t *out = output->data;
    const int32_t k = eng_tensor_size(input), n = eng_tensor_size(output);
    const int32_t zp = params->output_zero_point, lo = params->act_min, hi = params->act_max;
    int32_t o = 0;
    for (; o + 4 <= n; o += 4) {
        int32_t acc[4] = {0, 0, 0, 0};
        if (bias) {
            acc[0] = bias[o];
            acc[1] = bias[o + 1];
            acc[2] = bias[o + 2];
            acc[3] = bias[o + 3];
        }
        eng_dot4_s8(x, filter + o * k, k, off, acc);
        for (int32_t j = 0; j < 4; j++) {
            out[o + j] = eng_requant_acc(acc[j], params->multiplier[o + j], zp, lo, hi);
        }
    }
    for (; o + 2 <= n; o += 2) {
        int32_t acc0 = bias ? bias[o] : 0, acc1 = bias ? bias[o + 1] : 0;
        eng_dot2_s8(x, filter + o * k, filter + (o + 1) * k, k, off, &acc0, &acc1);
        out[o] = eng_requant_acc(acc0, params->multiplier[o], zp, lo, hi);
        out[o + 1] = eng_requant_acc(acc1, params->multiplier[o + 1], zp, lo, hi);
    }
    if (o < n) {
        const int32_t acc = eng_dot1_s8(x, filter + o * k, k, off, bias ? bias[o] : 0);
        out[o] = eng_requant_acc(acc, params->multiplier[o], zp, lo, hi);
    }
}

eng_status eng_fc_s8(const eng_ctx *ctx, const eng_fc_params *params, const eng_tensor *input,
                     const int8_t *filter, const int32_t *bias, eng_tensor *output)
{
    (void)ctx;
    if (!eng_fc_args_ok(params, input, filter, output)) {
        return ENG_ARG_ERROR;
    }
    if (params->input_offset == 0) {
        rows(params, input, filter, bias, output, 0);
    } else {
        rows(params, input, filter, bias, output, params->input_offset);
    }
    return ENG_OK;
}
