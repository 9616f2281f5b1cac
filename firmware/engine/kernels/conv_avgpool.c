/* A 1x1 conv fused with the global average pool that alone reads it (toolkit/ops/conv_avgpool.py):
 * the input's pixels go through eng_conv_s8 two at a time (the DSP conv's pixel pair) into an
 * output buffer of two pixels, which is summed into int32 per channel; then the mean as
 * eng_avgpool_s8 computes it. The conv's output map is never whole. */
#include "eng_util.h"

enum { PIXELS_PER_CALL = 2 };

static int32_t pixels_bytes(int32_t c)
{
    return (PIXELS_PER_CALL * c + 3) / 4 * 4; /* keeps the conv's scratch after it 4-byte aligned */
}

int32_t eng_conv_avgpool_s8_scratch_size(const eng_conv_avgpool_params *params, const eng_tensor *input,
                                         const eng_tensor *output)
{
    if (params == 0 || input == 0 || output == 0) {
        return 0;
    }
    eng_tensor out = {0, 1, PIXELS_PER_CALL, output->c, PIXELS_PER_CALL * output->c};
    eng_tensor in = {0, 1, PIXELS_PER_CALL, input->c, PIXELS_PER_CALL * input->c};
    return output->c * (int32_t)sizeof(int32_t) + pixels_bytes(output->c) +
           eng_conv_s8_scratch_size(&params->conv, &in, &out);
}

eng_status eng_conv_avgpool_s8(const eng_ctx *ctx, const eng_conv_avgpool_params *params, const eng_tensor *input,
                               const int8_t *filter, const int32_t *bias, eng_tensor *output)
{
    if (params == 0 || !eng_tensor_ok(input) || !eng_tensor_ok(output) || output->h != 1 || output->w != 1 ||
        params->conv.kernel_h != 1 || params->conv.kernel_w != 1 || params->conv.stride_h != 1 ||
        params->conv.stride_w != 1) {
        return ENG_ARG_ERROR;
    }
    if (ctx == 0 || ctx->size < eng_conv_avgpool_s8_scratch_size(params, input, output)) {
        return ENG_SCRATCH_ERROR;
    }
    const int32_t ch = output->c, count = input->h * input->w;
    /* a dense map is one run of h * w pixels (pairs cross row ends); a view, one run per row */
    const int dense = input->row == input->w * input->c;
    const int32_t runs = dense ? 1 : input->h, run = dense ? count : input->w;
    uint8_t *buf = (uint8_t *)ctx->buf;
    int32_t *sums = (int32_t *)ctx->buf;
    int8_t *pixels = (int8_t *)(buf + ch * (int32_t)sizeof(int32_t));
    const int32_t used = ch * (int32_t)sizeof(int32_t) + pixels_bytes(ch);
    const eng_ctx conv_ctx = {buf + used, ctx->size - used};
    int32_t r, x, i, c;
    for (c = 0; c < ch; c++) {
        sums[c] = 0;
    }
    for (r = 0; r < runs; r++) {
        for (x = 0; x < run; x += PIXELS_PER_CALL) {
            const int32_t n = run - x < PIXELS_PER_CALL ? run - x : PIXELS_PER_CALL;
            eng_tensor in = {input->data + r * input->row + x * input->c, 1, n, input->c, n * input->c};
            eng_tensor out = {pixels, 1, n, ch, n * ch};
            eng_status s = eng_conv_s8(&conv_ctx, &params->conv, &in, filter, bias, &out);
            if (s != ENG_OK) {
                return s;
            }
            for (i = 0; i < n * ch; i += ch) {
                for (c = 0; c < ch; c++) {
                    sums[c] += (int32_t)pixels[i + c] - params->pool.input.zero_point;
                }
            }
        }
    }
    for (c = 0; c < ch; c++) {
        const float scaled = (float)sums[c] * params->pool.input.scale;
        output->data[c] = eng_quant(scaled / (float)count, params->pool.output);
    }
    return ENG_OK;
}
