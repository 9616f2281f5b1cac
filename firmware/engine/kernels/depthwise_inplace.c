/* In-place depthwise convolution (TinyEngine style), channel multiplier 1, NHWC, weights [KH][KW][C].
 * Same contract and arithmetic as kernels/depthwise.c, and the output may overlap the input: one
 * channel at a time, the channel's input plane (h x w int8) is copied into ctx->buf, then that
 * channel's outputs are computed from the copy. An NHWC output element (y, x, c) overwrites only a
 * channel-c element of the input when output->data - input->data is a multiple of c (the same start,
 * or whole rows further on; rows of views are whole pixels apart too), and channel c was saved
 * before, so no input is read after it is overwritten. The executor calls it for the depthwise ops the planner aliased (kernels_dsp/ has
 * the Cortex-M7 version). Scratch: input->h * input->w bytes (kernels/scratch_size.c). */
#include "eng_util.h"

eng_status eng_depthwise_inplace_s8(const eng_ctx *ctx, const eng_conv_params *params, const eng_tensor *input,
                                    const int8_t *filter, const int32_t *bias, eng_tensor *output)
{
    const eng_status ok = eng_depthwise_inplace_check(ctx, params, input, filter, output);
    if (ok != ENG_OK) {
        return ok;
    }
    const int32_t ch = input->c, hi = input->h, wi = input->w;
    const int32_t off = params->input_offset;
    int8_t *plane = (int8_t *)ctx->buf;

    for (int32_t c = 0; c < ch; c++) {
        eng_gather_channel(input, c, plane);
        const float mult = params->multiplier[c];
        const int32_t b = bias ? bias[c] : 0;
        for (int32_t oy = 0; oy < output->h; oy++) {
            const int32_t y0 = oy * params->stride_h - params->pads.top;
            int8_t *o = eng_pixel(output, oy, 0) + c;
            for (int32_t ox = 0; ox < output->w; ox++) {
                const int32_t x0 = ox * params->stride_w - params->pads.left;
                int32_t acc = b;
                for (int32_t ky = 0; ky < params->kernel_h; ky++) {
                    const int32_t iy = y0 + ky * params->dilation_h;
                    if (iy < 0 || iy >= hi) {
                        continue;
                    }
                    const int8_t *row = plane + iy * wi;
                    const int8_t *wrow = filter + ky * params->kernel_w * ch + c;
                    for (int32_t kx = 0; kx < params->kernel_w; kx++) {
                        const int32_t ix = x0 + kx * params->dilation_w;
                        if (ix < 0 || ix >= wi) {
                            continue;
                        }
                        acc += ((int32_t)row[ix] + off) * (int32_t)wrow[kx * ch];
                    }
                }
                *o = eng_requant_acc(acc, mult, params->output_zero_point, params->act_min,
                                                  params->act_max);
                o += ch;
            }
        }
    }
    return ENG_OK;
}
