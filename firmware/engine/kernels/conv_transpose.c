/* Reference transposed convolution (group 1; strides, dilations, per-side pads, output padding by the
 * output's size), NHWC, int8. Output-centric: each output pixel gathers the input pixels whose taps
 * land on it, so no accumulator plane is needed. Golden: toolkit/ops/conv_transpose.py. */
#include "eng_util.h"

int32_t eng_conv_transpose_s8_scratch_size(const eng_conv_params *params, const eng_tensor *input,
                                           const eng_tensor *output)
{
    (void)params;
    (void)input;
    (void)output;
    return 0;
}

/* The input index a tap reads for output index o along one axis, or -1 where the tap lands between
 * input pixels or outside the input. */
static int32_t tap_source(int32_t o, int32_t k, int32_t stride, int32_t dilation, int32_t pad, int32_t len)
{
    const int32_t t = o + pad - k * dilation;
    if (t < 0 || t % stride != 0 || t / stride >= len) {
        return -1;
    }
    return t / stride;
}

eng_status eng_conv_transpose_s8(const eng_ctx *ctx, const eng_conv_params *params, const eng_tensor *input,
                                 const int8_t *filter, const int32_t *bias, eng_tensor *output)
{
    (void)ctx;
    if (params == 0 || params->multiplier == 0 || filter == 0 || !eng_tensor_ok(input) || !eng_tensor_ok(output) ||
        !eng_act_ok(params->act_min, params->act_max) || params->kernel_h < 1 || params->kernel_w < 1 ||
        params->stride_h < 1 || params->stride_w < 1 || params->dilation_h < 1 || params->dilation_w < 1) {
        return ENG_ARG_ERROR;
    }
    const int32_t cin = input->c, cout = output->c;
    const int32_t kh = params->kernel_h, kw = params->kernel_w;
    const int32_t taps_len = kh * kw * cin;
    const int32_t off = params->input_offset;
    int8_t *out = output->data;

    for (int32_t oy = 0; oy < output->h; oy++) {
        for (int32_t ox = 0; ox < output->w; ox++) {
            for (int32_t oc = 0; oc < cout; oc++) {
                const int8_t *w = filter + oc * taps_len;
                int32_t acc = bias ? bias[oc] : 0;
                for (int32_t ky = 0; ky < kh; ky++) {
                    const int32_t iy = tap_source(oy, ky, params->stride_h, params->dilation_h, params->pads.top,
                                                  input->h);
                    if (iy < 0) {
                        continue;
                    }
                    for (int32_t kx = 0; kx < kw; kx++) {
                        const int32_t ix = tap_source(ox, kx, params->stride_w, params->dilation_w,
                                                      params->pads.left, input->w);
                        if (ix < 0) {
                            continue;
                        }
                        const int8_t *xp = input->data + (iy * input->w + ix) * cin;
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
