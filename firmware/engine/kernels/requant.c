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
    const int requant = !eng_qparam_same(params->input, params->output);
    for (int32_t i = 0; i < n; i++) {
        const int8_t q = requant ? eng_requant_literal(input->data[i], params->input, params->output)
                                 : input->data[i];
        output->data[i] = (int8_t)eng_clamp_i32(q, params->act_min, params->act_max);
    }
    return ENG_OK;
}
