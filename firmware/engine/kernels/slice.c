/* A range of channels (golden: toolkit/ops/slicing.py): y[p][k] = requant(x[p][start + k * step]). */
#include "eng_util.h"

int32_t eng_slice_s8_scratch_size(const eng_slice_params *params, const eng_tensor *input, const eng_tensor *output)
{
    (void)params;
    (void)input;
    (void)output;
    return 0;
}

eng_status eng_slice_s8(const eng_ctx *ctx, const eng_slice_params *params, const eng_tensor *input,
                        eng_tensor *output)
{
    (void)ctx;
    if (params == 0 || !eng_tensor_ok(input) || !eng_tensor_ok(output) || input->h != output->h ||
        input->w != output->w || params->start < 0 || params->step < 1 ||
        params->start + (output->c - 1) * params->step >= input->c) {
        return ENG_ARG_ERROR;
    }
    const int32_t pixels = output->h * output->w, cin = input->c, cout = output->c, step = params->step;
    const int requant = !eng_qparam_same(params->input, params->output);
    const int8_t *x = input->data + params->start;
    int8_t *y = output->data;
    for (int32_t p = 0; p < pixels; p++, x += cin, y += cout) {
        if (step == 1 && !requant) {
            memcpy(y, x, (size_t)cout);
            continue;
        }
        for (int32_t k = 0; k < cout; k++) {
            y[k] = requant ? eng_requant_literal(x[k * step], params->input, params->output) : x[k * step];
        }
    }
    return ENG_OK;
}
