/* Elementwise requantize + clamp (the data part of reshape / clamp): y = clamp(requant_literal(x)).
 * In place allowed (input->data == output->data). */
#include "eng_util.h"

int32_t eng_requant_s8_scratch_size(const eng_requant_params *params, const eng_tensor *input,
                                    const eng_tensor *output)
{
    (void)params;
    (void)input;
    (void)output;
    return 0;
}

eng_status eng_requant_s8(const eng_ctx *ctx, const eng_requant_params *params, const eng_tensor *input,
                          eng_tensor *output)
{
    (void)ctx;
    if (params == 0 || !eng_tensor_ok(input) || !eng_tensor_ok(output) ||
        eng_tensor_size(input) != eng_tensor_size(output) || !eng_act_ok(params->act_min, params->act_max)) {
        return ENG_ARG_ERROR;
    }
    const int32_t n = eng_tensor_size(input);
    const int8_t *x = input->data;
    int8_t *y = output->data;
    const int32_t lo = params->act_min, hi = params->act_max;
    if (eng_qparam_same(params->input, params->output)) {
        if (lo == -128 && hi == 127) {   /* a reshape that keeps its quantization: the bytes as they are */
            if (y != x) {
                memmove(y, x, (size_t)n);
            }
            return ENG_OK;
        }
        for (int32_t i = 0; i < n; i++) {
            y[i] = (int8_t)eng_clamp_i32(x[i], lo, hi);
        }
        return ENG_OK;
    }
    const eng_qparam in = params->input, out = params->output;
    for (int32_t i = 0; i < n; i++) {
        y[i] = (int8_t)eng_clamp_i32(eng_requant_literal(x[i], in, out), lo, hi);
    }
    return ENG_OK;
}
