/* Activation by table lookup (toolkit/ops/lut.py): y = table[t][x + 128], t = 0, or the channel with one
 * table per channel. Exact: the table holds the QDQ model's result for each of the 256 inputs. */
#include "eng_util.h"

int32_t eng_lut_s8_scratch_size(const eng_lut_params *params, const eng_tensor *input, const eng_tensor *output)
{
    (void)params;
    (void)input;
    (void)output;
    return 0;
}

eng_status eng_lut_s8(const eng_ctx *ctx, const eng_lut_params *params, const eng_tensor *input, eng_tensor *output)
{
    (void)ctx;
    if (params == 0 || params->table == 0 || !eng_tensor_ok(input) || !eng_tensor_ok(output) ||
        eng_tensor_size(input) != eng_tensor_size(output) || (params->tables != 1 && params->tables != output->c)) {
        return ENG_ARG_ERROR;
    }
    const int8_t *x = input->data;
    int8_t *y = output->data;
    const int32_t n = eng_tensor_size(output);
    if (params->tables == 1) {
        const int8_t *t = params->table + 128;
        for (int32_t i = 0; i < n; i++) {
            y[i] = t[x[i]];
        }
        return ENG_OK;
    }
    const int32_t c = output->c;
    for (int32_t i = 0; i < n; i += c) {
        const int8_t *t = params->table + 128;
        for (int32_t k = 0; k < c; k++, t += 256) {
            y[i + k] = t[x[i + k]];
        }
    }
    return ENG_OK;
}
