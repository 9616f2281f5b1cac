/* Resize of H and W by tables (toolkit/ops/resize.py works out, as onnxruntime does, which input rows
 * and columns each output reads): nearest gathers and requantizes like qmath.requant_literal;
 * bilinear blends the four dequantized neighbours in onnxruntime's float order and quantizes. */
#include "eng_util.h"

int32_t eng_resize_s8_scratch_size(const eng_resize_params *params, const eng_tensor *input,
                                   const eng_tensor *output)
{
    (void)params;
    (void)input;
    (void)output;
    return 0;
}

static void resize_nearest(const eng_resize_params *p, const eng_tensor *input, eng_tensor *output)
{
    const int32_t c = output->c, row = input->w * c;
    const int requant = !eng_qparam_same(p->input, p->output);
    int8_t *y = output->data;
    for (int32_t oy = 0; oy < output->h; oy++) {
        const int8_t *src_row = input->data + p->y1[oy] * row;
        for (int32_t ox = 0; ox < output->w; ox++, y += c) {
            const int8_t *src = src_row + p->x1[ox] * c;
            if (!requant) {
                memcpy(y, src, (size_t)c);
                continue;
            }
            for (int32_t k = 0; k < c; k++) {
                y[k] = eng_requant_literal(src[k], p->input, p->output);
            }
        }
    }
}

static void resize_bilinear(const eng_resize_params *p, const eng_tensor *input, eng_tensor *output)
{
    const int32_t c = output->c, row = input->w * c;
    const eng_qparam in = p->input, out = p->output;
    int8_t *y = output->data;
    for (int32_t oy = 0; oy < output->h; oy++) {
        const int8_t *r1 = input->data + p->y1[oy] * row, *r2 = input->data + p->y2[oy] * row;
        const float dy1 = p->dy1[oy], dy2 = p->dy2[oy];
        for (int32_t ox = 0; ox < output->w; ox++, y += c) {
            const int32_t c1 = p->x1[ox] * c, c2 = p->x2[ox] * c;
            const float dx1 = p->dx1[ox], dx2 = p->dx2[ox];
            for (int32_t k = 0; k < c; k++) {
                const float x11 = eng_dequant(r1[c1 + k], in), x21 = eng_dequant(r1[c2 + k], in);
                const float x12 = eng_dequant(r2[c1 + k], in), x22 = eng_dequant(r2[c2 + k], in);
                const float t = dx2 * dy2 * x11 + dx1 * dy2 * x21 + dx2 * dy1 * x12 + dx1 * dy1 * x22;
                y[k] = eng_quant(t, out);
            }
        }
    }
}

eng_status eng_resize_s8(const eng_ctx *ctx, const eng_resize_params *params, const eng_tensor *input,
                         eng_tensor *output)
{
    (void)ctx;
    if (params == 0 || params->y1 == 0 || params->x1 == 0 || !eng_tensor_ok(input) || !eng_tensor_ok(output) ||
        input->c != output->c || (params->linear && (params->y2 == 0 || params->x2 == 0 || params->dy1 == 0 ||
                                                     params->dy2 == 0 || params->dx1 == 0 || params->dx2 == 0))) {
        return ENG_ARG_ERROR;
    }
    if (params->linear) {
        resize_bilinear(params, input, output);
    } else {
        resize_nearest(params, input, output);
    }
    return ENG_OK;
}
