/* Windowed average pool (golden: toolkit/ops/pool.py avgpool2d): per output, the dequantized taps
 * inside the input summed in float32 row by row, divided by their count (or by the whole window with
 * count_include_pad), quantized. */
#include "eng_util.h"

int32_t eng_avgpool2d_s8_scratch_size(const eng_avgpool2d_params *params, const eng_tensor *input,
                                      const eng_tensor *output)
{
    (void)params;
    (void)input;
    (void)output;
    return 0;
}

eng_status eng_avgpool2d_s8(const eng_ctx *ctx, const eng_avgpool2d_params *params, const eng_tensor *input,
                            eng_tensor *output)
{
    (void)ctx;
    if (params == 0 || !eng_view_ok(input) || !eng_view_ok(output) || input->c != output->c ||
        !eng_window_ok(input->h, output->h, params->kernel_h, params->stride_h, 1, params->pads.top,
                       params->pads.bottom) ||
        !eng_window_ok(input->w, output->w, params->kernel_w, params->stride_w, 1, params->pads.left,
                       params->pads.right)) {
        return ENG_ARG_ERROR;
    }
    const int32_t ch = input->c;
    const eng_qparam in = params->input, out = params->output;
    for (int32_t oy = 0; oy < output->h; oy++) {
        const int32_t y0 = oy * params->stride_h - params->pads.top;
        int8_t *y = eng_pixel(output, oy, 0);
        const int32_t ys = y0 < 0 ? 0 : y0;
        const int32_t ye = y0 + params->kernel_h > input->h ? input->h : y0 + params->kernel_h;
        for (int32_t ox = 0; ox < output->w; ox++) {
            const int32_t x0 = ox * params->stride_w - params->pads.left;
            const int32_t xs = x0 < 0 ? 0 : x0;
            const int32_t xe = x0 + params->kernel_w > input->w ? input->w : x0 + params->kernel_w;
            const int32_t count = params->count_include_pad ? params->kernel_h * params->kernel_w
                                                            : (ye - ys) * (xe - xs);
            for (int32_t c = 0; c < ch; c++) {
                float sum = 0.0f;
                for (int32_t iy = ys; iy < ye; iy++) {
                    for (int32_t ix = xs; ix < xe; ix++) {
                        sum += eng_dequant(eng_pixel(input, iy, ix)[c], in);
                    }
                }
                *y++ = eng_quant(sum / (float)count, out);
            }
        }
    }
    return ENG_OK;
}
