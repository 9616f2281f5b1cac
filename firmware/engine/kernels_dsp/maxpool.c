/* Max pooling, four channels per instruction: SSUB8 sets a GE flag per byte where the tap is at
 * least the running maximum, SEL takes those bytes (signed byte compare, exact). The running max
 * starts at -128 in every lane, as the reference's; padded taps are skipped. */
#include "eng_dsp.h"

eng_status eng_maxpool_s8(const eng_ctx *ctx, const eng_maxpool_params *params, const eng_tensor *input,
                          eng_tensor *output)
{
    (void)ctx;
    if (!eng_maxpool_args_ok(params, input, output)) {
        return ENG_ARG_ERROR;
    }
    const int32_t ch = input->c, in_h = input->h, in_w = input->w;
    for (int32_t oy = 0; oy < output->h; oy++) {
        const int32_t y0 = oy * params->stride_h - params->pads.top;
        int8_t *out = eng_pixel(output, oy, 0);
        const int32_t ky0 = y0 < 0 ? -y0 : 0;
        const int32_t ky1 = y0 + params->kernel_h > in_h ? in_h - y0 : params->kernel_h;
        for (int32_t ox = 0; ox < output->w; ox++) {
            const int32_t x0 = ox * params->stride_w - params->pads.left;
            const int32_t kx0 = x0 < 0 ? -x0 : 0;
            const int32_t kx1 = x0 + params->kernel_w > in_w ? in_w - x0 : params->kernel_w;
            int32_t c = 0;
            if (ky1 - ky0 == 2 && kx1 - kx0 == 2 && params->kernel_h == 2 && params->kernel_w == 2) {
                /* a whole 2x2 window (BlazeFace's pools): the four taps written out */
                const int8_t *t = eng_pixel(input, y0, x0);
                const int32_t right = ch, down = input->row;
                for (; c + 4 <= ch; c += 4, t += 4) {
                    int32_t m = eng_rd32(t), v = eng_rd32(t + right);
                    (void)__ssub8(v, m);
                    m = (int32_t)__sel(v, m);
                    v = eng_rd32(t + down);
                    (void)__ssub8(v, m);
                    m = (int32_t)__sel(v, m);
                    v = eng_rd32(t + down + right);
                    (void)__ssub8(v, m);
                    m = (int32_t)__sel(v, m);
                    memcpy(out + c, &m, sizeof m);
                }
            }
            for (; c + 4 <= ch; c += 4) {
                int32_t m = (int32_t)0x80808080u;
                for (int32_t ky = ky0; ky < ky1; ky++) {
                    const int8_t *row = eng_pixel(input, y0 + ky, x0) + c;
                    for (int32_t kx = kx0; kx < kx1; kx++) {
                        const int32_t v = eng_rd32(row + kx * ch);
                        (void)__ssub8(v, m);
                        m = (int32_t)__sel(v, m);
                    }
                }
                memcpy(out + c, &m, sizeof m);
            }
            for (; c < ch; c++) {
                int32_t m = -128;
                for (int32_t ky = ky0; ky < ky1; ky++) {
                    for (int32_t kx = kx0; kx < kx1; kx++) {
                        const int32_t v = eng_pixel(input, y0 + ky, x0 + kx)[c];
                        m = v > m ? v : m;
                    }
                }
                out[c] = (int8_t)m;
            }
            out += ch;
        }
    }
    if (!eng_qparam_same(params->input, params->output)) {
        for (int32_t y = 0; y < output->h; y++) {
            int8_t *o = eng_pixel(output, y, 0);
            for (int32_t i = 0; i < output->w * ch; i++) {
                o[i] = eng_requant_literal(o[i], params->input, params->output);
            }
        }
    }
    return ENG_OK;
}
