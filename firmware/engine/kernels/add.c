/* Elementwise add, literal float32: quantize(dequant(a) + dequant(b)) as the golden add (toolkit/ops/arith.py). */
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
    /* Parameters in locals: the int8 stores may alias anything, which would make the compiler
     * reload every parameter from memory for each element. */
    const int8_t *a = input1->data, *b = input2->data;
    int8_t *y = output->data;
    const int32_t n = eng_tensor_size(output);
    const int32_t za = params->input1.zero_point, zb = params->input2.zero_point, zy = params->output.zero_point;
    const float sa = params->input1.scale, sb = params->input2.scale, sy = params->output.scale;
    for (int32_t i = 0; i < n; i++) {
        const float t = (float)(a[i] - za) * sa + (float)(b[i] - zb) * sb;   /* the golden add, float32 */
        y[i] = eng_round_sat(t / sy, zy, -128, 127);
    }
    return ENG_OK;
}
