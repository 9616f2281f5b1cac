/* Reference general convolution (KxK incl. 1x1; strides, dilations, per-side pads), NHWC, int8.
 * Padded taps hold the input zero point, so (x + input_offset) = 0 there: they are skipped. */
#include "eng_util.h"

eng_status eng_conv_s8(const eng_ctx *ctx, const eng_conv_params *params, const eng_tensor *input,
                       const int8_t *filter, const int32_t *bias, eng_tensor *output)
{
    if (!eng_conv_args_ok(params, input, output) || filter == 0) {
        return ENG_ARG_ERROR;
    }
    if (!eng_scratch_ok(ctx, eng_conv_s8_scratch_size(params, input, output))) {
        return ENG_SCRATCH_ERROR;
    }
    const int32_t cin = input->c, cout = output->c;
    const int32_t kh = params->kernel_h, kw = params->kernel_w;
    const int32_t taps_len = kh * kw * cin;
    const int32_t off = params->input_offset;
    for (int32_t oy = 0; oy < output->h; oy++) {
        const int32_t y0 = oy * params->stride_h - params->pads.top;
        int8_t *out = eng_pixel(output, oy, 0);
        for (int32_t ox = 0; ox < output->w; ox++) {
            const int32_t x0 = ox * params->stride_w - params->pads.left;
            for (int32_t oc = 0; oc < cout; oc++) {
                const int8_t *w = filter + oc * taps_len;
                int32_t acc = bias ? bias[oc] : 0;
                for (int32_t ky = 0; ky < kh; ky++) {
                    const int32_t iy = y0 + ky * params->dilation_h;
                    if (iy < 0 || iy >= input->h) {
                        continue;
                    }
                    for (int32_t kx = 0; kx < kw; kx++) {
                        const int32_t ix = x0 + kx * params->dilation_w;
                        if (ix < 0 || ix >= input->w) {
                            continue;
                        }
                        const int8_t *xp = eng_pixel(input, iy, ix);
                        const int8_t *wp = w + (ky * kw + kx) * cin;
                        for (int32_t ci = 0; ci < cin; ci++) {
                            acc += ((int32_t)xp[ci] + off) * (int32_t)wp[ci];
                        }
                    }
                }
                *out++ = eng_requant_acc(acc, params->multiplier[oc], params->output_zero_point,
                                         params->act_min, params->act_max);
            }
        }
    }
    return ENG_OK;
}
