/* Reference depthwise convolution, channel multiplier 1, NHWC, weights [KH][KW][C]. */
#include "eng_util.h"

eng_status eng_depthwise_s8(const eng_ctx *ctx, const eng_conv_params *params, const eng_tensor *input,
                            const int8_t *filter, const int32_t *bias, eng_tensor *output)
{
    (void)ctx;
    if (!eng_conv_args_ok(params, input, output) || filter == 0 || input->c != output->c) {
        return ENG_ARG_ERROR;
    }
    const int32_t ch = input->c;
    const int32_t off = params->input_offset;
    for (int32_t oy = 0; oy < output->h; oy++) {
        const int32_t y0 = oy * params->stride_h - params->pads.top;
        int8_t *out = eng_pixel(output, oy, 0);
        for (int32_t ox = 0; ox < output->w; ox++) {
            const int32_t x0 = ox * params->stride_w - params->pads.left;
            for (int32_t c = 0; c < ch; c++) {
                int32_t acc = bias ? bias[c] : 0;
                for (int32_t ky = 0; ky < params->kernel_h; ky++) {
                    const int32_t iy = y0 + ky * params->dilation_h;
                    if (iy < 0 || iy >= input->h) {
                        continue;
                    }
                    for (int32_t kx = 0; kx < params->kernel_w; kx++) {
                        const int32_t ix = x0 + kx * params->dilation_w;
                        if (ix < 0 || ix >= input->w) {
                            continue;
                        }
                        const int32_t x = eng_pixel(input, iy, ix)[c];
                        acc += (x + off) * (int32_t)filter[(ky * params->kernel_w + kx) * ch + c];
                    }
                }
                *out++ = eng_requant_acc(acc, params->multiplier[c], params->output_zero_point,
                                         params->act_min, params->act_max);
            }
        }
    }
    return ENG_OK;
}
