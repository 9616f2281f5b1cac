/* Softmax over channels (golden: toolkit/ops/softmax.py): e = exp[q - q_max + 255] from the table,
 * the float sum in channel order, quantize(e / sum). */
#include "eng_util.h"

int32_t eng_softmax_s8_scratch_size(const eng_softmax_params *params, const eng_tensor *input,
                                    const eng_tensor *output)
{
    (void)params;
    (void)input;
    (void)output;
    return 0;
}

eng_status eng_softmax_s8(const eng_ctx *ctx, const eng_softmax_params *params, const eng_tensor *input,
                          eng_tensor *output)
{
    (void)ctx;
    if (params == 0 || params->exp == 0 || !eng_tensor_ok(input) || !eng_tensor_ok(output) ||
        eng_tensor_size(input) != eng_tensor_size(output) || input->c != output->c) {
        return ENG_ARG_ERROR;
    }
    const int32_t pixels = output->h * output->w, c = output->c;
    const float *table = params->exp + 255;
    const eng_qparam out = params->output;
    for (int32_t p = 0; p < pixels; p++) {
        const int8_t *x = input->data + p * c;
        int8_t *y = output->data + p * c;
        int32_t max = -128;
        for (int32_t k = 0; k < c; k++) {
            max = x[k] > max ? x[k] : max;
        }
        float sum = 0.0f;
        for (int32_t k = 0; k < c; k++) {
            sum += table[x[k] - max];
        }
        for (int32_t k = 0; k < c; k++) {
            y[k] = eng_quant(table[x[k] - max] / sum, out);
        }
    }
    return ENG_OK;
}
