/* Elementwise add, literal float32: quantize(dequant(a) + dequant(b)) as golden.add. */
#include "eng_util.h"

int32_t eng_add_s8_scratch_size(const eng_add_params *params, const eng_tensor *input, const eng_tensor *output)
{
    (void)params;
    (void)input;
    (void)output;
    return 0;
}

eng_status eng_add_s8(const eng_ctx *ctx, const eng_add_params *params, const eng_tensor *input1,
                      const eng_tensor *input2, eng_tensor *output)
{
    (void)ctx;
    if (params == 0 || !eng_tensor_ok(input1) || !eng_tensor_ok(input2) || !eng_tensor_ok(output) ||
        eng_tensor_size(input1) != eng_tensor_size(output) || eng_tensor_size(input2) != eng_tensor_size(output)) {
        return ENG_ARG_ERROR;
    }
    const int32_t n = eng_tensor_size(output);
    for (int32_t i = 0; i < n; i++) {
        const float a = eng_dequant(input1->data[i], params->input1);
        const float b = eng_dequant(input2->data[i], params->input2);
        const float t = a + b;
        output->data[i] = eng_quant(t, params->output);
    }
    return ENG_OK;
}
