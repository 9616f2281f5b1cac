/* Global average pool: exact integer sum of (x - zx), then ((float)sum * sx) / (float)count and
 * quantize (a division by the output scale), in the golden avgpool's order (toolkit/ops/pool.py). Output 1 x 1 x c. */
#include "eng_util.h"

int32_t eng_avgpool_s8_scratch_size(const eng_avgpool_params *params, const eng_tensor *input,
                                    const eng_tensor *output)
{
    (void)params;
    (void)input;
    (void)output;
    return 0;
}

eng_status eng_avgpool_s8(const eng_ctx *ctx, const eng_avgpool_params *params, const eng_tensor *input,
                          eng_tensor *output)
{
    (void)ctx;
    if (params == 0 || !eng_tensor_ok(input) || !eng_tensor_ok(output) || output->h != 1 || output->w != 1 ||
        input->c != output->c) {
        return ENG_ARG_ERROR;
    }
    const int32_t ch = input->c, count = input->h * input->w;
    for (int32_t c = 0; c < ch; c++) {
        int32_t sum = 0;
        for (int32_t i = 0; i < count; i++) {
            sum += (int32_t)input->data[i * ch + c] - params->input.zero_point;
        }
        const float scaled = (float)sum * params->input.scale;
        const float mean = scaled / (float)count;
        output->data[c] = eng_quant(mean, params->output);
    }
    return ENG_OK;
}
