/* Concatenation, one call per input: requantize the input (qmath.requant_literal) and place it at
 * params->offset along params->axis (0 = h, 1 = w, 2 = c) of the output. */
#include <string.h>

#include "eng_util.h"

int32_t eng_concat_s8_scratch_size(const eng_concat_params *params, const eng_tensor *input,
                                   const eng_tensor *output)
{
    (void)params;
    (void)input;
    (void)output;
    return 0;
}

eng_status eng_concat_s8(const eng_ctx *ctx, const eng_concat_params *params, const eng_tensor *input,
                         eng_tensor *output)
{
    (void)ctx;
    if (params == 0 || !eng_tensor_ok(input) || !eng_tensor_ok(output) || params->offset < 0) {
        return ENG_ARG_ERROR;
    }
    const int32_t in_dims[3] = {input->h, input->w, input->c};
    const int32_t out_dims[3] = {output->h, output->w, output->c};
    for (int32_t a = 0; a < 3; a++) {
        const int ok = a == params->axis ? params->offset + in_dims[a] <= out_dims[a] : in_dims[a] == out_dims[a];
        if (!ok) {
            return ENG_ARG_ERROR;
        }
    }
    if (params->axis < 0 || params->axis > 2) {
        return ENG_ARG_ERROR;
    }
    /* View both as [outer][axis][inner]: copy `outer` runs of in_axis*inner bytes. */
    int32_t outer = 1, inner = 1;
    for (int32_t a = 0; a < params->axis; a++) {
        outer *= in_dims[a];
    }
    for (int32_t a = params->axis + 1; a < 3; a++) {
        inner *= in_dims[a];
    }
    const int32_t run = in_dims[params->axis] * inner;
    const int32_t out_stride = out_dims[params->axis] * inner;
    const int requant = !eng_qparam_same(params->input, params->output);
    for (int32_t o = 0; o < outer; o++) {
        const int8_t *x = input->data + o * run;
        int8_t *y = output->data + o * out_stride + params->offset * inner;
        if (requant) {
            for (int32_t i = 0; i < run; i++) {
                y[i] = eng_requant_literal(x[i], params->input, params->output);
            }
        } else {
            memcpy(y, x, (size_t)run);
        }
    }
    return ENG_OK;
}
