/* Cortex-M7 DSP depthwise convolution (same contract as kernels/depthwise.c): four channels per
 * pass, SXTB16 unpacking and SMLABB/SMLATT per lane. */
#include "eng_dsp.h"

eng_status eng_depthwise_s8(const eng_ctx *ctx, const eng_conv_params *params, const eng_tensor *input,
                            const int8_t *filter, const int32_t *bias, eng_tensor *output)
{
    (void)ctx;
    if (!eng_conv_args_ok(params, input, output) || filter == 0 || input->c != output->c) {
        return ENG_ARG_ERROR;
    }
    const int32_t ch = input->c, kw = params->kernel_w;
    const int32_t off = params->input_offset, offp = eng_dup16(off);
    const int32_t zp = params->output_zero_point, lo = params->act_min, hi = params->act_max;
    int8_t *out = output->data;

    for (int32_t oy = 0; oy < output->h; oy++) {
        const int32_t y0 = oy * params->stride_h - params->pads.top;
        const int32_t ky0 = y0 >= 0 ? 0 : (-y0 + params->dilation_h - 1) / params->dilation_h;
        for (int32_t ox = 0; ox < output->w; ox++) {
            const int32_t x0 = ox * params->stride_w - params->pads.left;
            const int32_t kx0 = x0 >= 0 ? 0 : (-x0 + params->dilation_w - 1) / params->dilation_w;
            int32_t c = 0;
            for (; c + 4 <= ch; c += 4) {
                int32_t a0 = bias ? bias[c] : 0, a1 = bias ? bias[c + 1] : 0;
                int32_t a2 = bias ? bias[c + 2] : 0, a3 = bias ? bias[c + 3] : 0;
                for (int32_t ky = ky0; ky < params->kernel_h; ky++) {
                    const int32_t iy = y0 + ky * params->dilation_h;
                    if (iy >= input->h) {
                        break;
                    }
                    const int8_t *row = input->data + iy * input->w * ch + c;
                    const int8_t *wrow = filter + ky * kw * ch + c;
                    for (int32_t kx = kx0; kx < kw; kx++) {
                        const int32_t ix = x0 + kx * params->dilation_w;
                        if (ix >= input->w) {
                            break;
                        }
                        const int32_t xv = eng_rd32(row + ix * ch);
                        const int32_t wv = eng_rd32(wrow + kx * ch);
                        const int32_t xe = (int32_t)__sadd16(__sxtb16(xv), offp);
                        const int32_t xo = (int32_t)__sadd16(__sxtb16(eng_ror8(xv)), offp);
                        const int32_t we = __sxtb16(wv), wo = __sxtb16(eng_ror8(wv));
                        a0 = __smlabb(xe, we, a0);
                        a2 = __smlatt(xe, we, a2);
                        a1 = __smlabb(xo, wo, a1);
                        a3 = __smlatt(xo, wo, a3);
                    }
                }
                out[c] = eng_requant_acc(a0, params->multiplier[c], zp, lo, hi);
                out[c + 1] = eng_requant_acc(a1, params->multiplier[c + 1], zp, lo, hi);
                out[c + 2] = eng_requant_acc(a2, params->multiplier[c + 2], zp, lo, hi);
                out[c + 3] = eng_requant_acc(a3, params->multiplier[c + 3], zp, lo, hi);
            }
            for (; c < ch; c++) {
                int32_t acc = bias ? bias[c] : 0;
                for (int32_t ky = ky0; ky < params->kernel_h; ky++) {
                    const int32_t iy = y0 + ky * params->dilation_h;
                    if (iy >= input->h) {
                        break;
                    }
                    for (int32_t kx = kx0; kx < kw; kx++) {
                        const int32_t ix = x0 + kx * params->dilation_w;
                        if (ix >= input->w) {
                            break;
                        }
                        acc += ((int32_t)input->data[(iy * input->w + ix) * ch + c] + off) *
                               (int32_t)filter[(ky * kw + kx) * ch + c];
                    }
                }
                out[c] = eng_requant_acc(acc, params->multiplier[c], zp, lo, hi);
            }
            out += ch;
        }
    }
    return ENG_OK;
}
