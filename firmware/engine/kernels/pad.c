/* Constant padding (value: the input zero point, real 0) in h, w and c, then requantization of
 * every element when input and output parameters differ (toolkit/ops/pad.py). */
#include <string.h>

#include "eng_util.h"

int32_t eng_pad_s8_scratch_size(const eng_pad_params *params, const eng_tensor *input, const eng_tensor *output)
{
    (void)params;
    (void)input;
    (void)output;
    return 0;
}

eng_status eng_pad_s8(const eng_ctx *ctx, const eng_pad_params *params, const eng_tensor *input,
                      eng_tensor *output)
{
    (void)ctx;
    if (params == 0 || !eng_view_ok(input) || !eng_view_ok(output) || params->pads.top < 0 ||
        params->pads.left < 0 || params->pads.bottom < 0 || params->pads.right < 0 ||
        params->channels_before < 0 || params->channels_after < 0 ||
        output->h != input->h + params->pads.top + params->pads.bottom ||
        output->w != input->w + params->pads.left + params->pads.right ||
        output->c != input->c + params->channels_before + params->channels_after) {
        return ENG_ARG_ERROR;
    }
    const int requant = !eng_qparam_same(params->input, params->output);
    const int8_t zx = (int8_t)eng_clamp_i32(params->input.zero_point, -128, 127);
    const int8_t fill = requant ? eng_requant_literal(zx, params->input, params->output) : zx;
    const int32_t ci = input->c, co = output->c;
    const eng_pads *sp = &params->pads;
    if (!requant && sp->top == 0 && sp->left == 0 && sp->bottom == 0 && sp->right == 0 &&
        params->channels_before == 0 && ci % 4 == 0 && co % 4 == 0) {
        /* channels appended to every pixel (BlazeFace's residual widening): whole words, no calls */
        const uint32_t fill4 = (uint32_t)(uint8_t)fill * 0x01010101u;
        for (int32_t y = 0; y < input->h; y++) {
            const int8_t *x = eng_pixel(input, y, 0);
            int8_t *o = eng_pixel(output, y, 0);
            for (int32_t n = input->w; n > 0; n--, x += ci, o += co) {
                int32_t c = 0;
                for (; c < ci; c += 4) {
                    uint32_t v;
                    memcpy(&v, x + c, sizeof v);
                    memcpy(o + c, &v, sizeof v);
                }
                for (; c < co; c += 4) {
                    memcpy(o + c, &fill4, sizeof fill4);
                }
            }
        }
        return ENG_OK;
    }
    for (int32_t oy = 0; oy < output->h; oy++) {
        const int32_t iy = oy - params->pads.top;
        for (int32_t ox = 0; ox < output->w; ox++) {
            const int32_t ix = ox - params->pads.left;
            int8_t *o = eng_pixel(output, oy, ox);
            if (iy < 0 || iy >= input->h || ix < 0 || ix >= input->w) {
                memset(o, fill, (size_t)co);
                continue;
            }
            const int8_t *x = eng_pixel(input, iy, ix);
            memset(o, fill, (size_t)params->channels_before);
            o += params->channels_before;
            if (requant) {
                for (int32_t c = 0; c < ci; c++) {
                    o[c] = eng_requant_literal(x[c], params->input, params->output);
                }
            } else {
                memcpy(o, x, (size_t)ci);
            }
            memset(o + ci, fill, (size_t)params->channels_after);
        }
    }
    return ENG_OK;
}
