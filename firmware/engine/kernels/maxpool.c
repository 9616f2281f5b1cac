/* Max pooling; padded taps never win (golden pads with -128, the int8 minimum: the running max
 * starts there). Requantized afterwards when input and output parameters differ. */
#include "eng_util.h"

eng_status eng_maxpool_s8(const eng_ctx *ctx, const eng_maxpool_params *params, const eng_tensor *input,
                          eng_tensor *output)
{
    (void)ctx;
    if (!eng_maxpool_args_ok(params, input, output)) {
        return ENG_ARG_ERROR;
    }
    const int32_t ch = input->c;
    const int requant = !eng_qparam_same(params->input, params->output);
    for (int32_t oy = 0; oy < output->h; oy++) {
        const int32_t y0 = oy * params->stride_h - params->pads.top;
        int8_t *out = eng_pixel(output, oy, 0);
        for (int32_t ox = 0; ox < output->w; ox++) {
            const int32_t x0 = ox * params->stride_w - params->pads.left;
            for (int32_t c = 0; c < ch; c++) {
                int32_t m = -128;
                for (int32_t ky = 0; ky < params->kernel_h; ky++) {
                    const int32_t iy = y0 + ky;
                    if (iy < 0 || iy >= input->h) {
                        continue;
                    }
                    for (int32_t kx = 0; kx < params->kernel_w; kx++) {
                        const int32_t ix = x0 + kx;
                        if (ix < 0 || ix >= input->w) {
                            continue;
                        }
                        const int32_t v = eng_pixel(input, iy, ix)[c];
                        m = v > m ? v : m;
                    }
                }
                *out++ = requant ? eng_requant_literal((int8_t)m, params->input, params->output) : (int8_t)m;
            }
        }
    }
    return ENG_OK;
}
