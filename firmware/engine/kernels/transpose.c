/* A reshape that moves data (golden: toolkit/ops/requant.py transpose): the input's h x w x c view
 * read with its axes permuted, written flat, requantized when input and output parameters differ. */
#include "eng_util.h"

int32_t eng_transpose_s8_scratch_size(const eng_transpose_params *params, const eng_tensor *input,
                                      const eng_tensor *output)
{
    (void)params;
    (void)input;
    (void)output;
    return 0;
}

eng_status eng_transpose_s8(const eng_ctx *ctx, const eng_transpose_params *params, const eng_tensor *input,
                            eng_tensor *output)
{
    (void)ctx;
    if (params == 0 || !eng_tensor_ok(input) || !eng_tensor_ok(output) ||
        eng_tensor_size(input) != eng_tensor_size(output)) {
        return ENG_ARG_ERROR;
    }
    const int32_t dims[3] = {input->h, input->w, input->c};
    const int32_t strides[3] = {input->w * input->c, input->c, 1};
    int32_t seen = 0;
    for (int32_t k = 0; k < 3; k++) {
        if (params->perm[k] < 0 || params->perm[k] > 2 || (seen & (1 << params->perm[k]))) {
            return ENG_ARG_ERROR;
        }
        seen |= 1 << params->perm[k];
    }
    const int32_t n0 = dims[params->perm[0]], n1 = dims[params->perm[1]], n2 = dims[params->perm[2]];
    const int32_t s0 = strides[params->perm[0]], s1 = strides[params->perm[1]], s2 = strides[params->perm[2]];
    const int requant = !eng_qparam_same(params->input, params->output);
    int8_t *y = output->data;
    for (int32_t i0 = 0; i0 < n0; i0++) {
        for (int32_t i1 = 0; i1 < n1; i1++) {
            const int8_t *x = input->data + i0 * s0 + i1 * s1;
            for (int32_t i2 = 0; i2 < n2; i2++) {
                const int8_t v = x[i2 * s2];
                *y++ = requant ? eng_requant_literal(v, params->input, params->output) : v;
            }
        }
    }
    return ENG_OK;
}
