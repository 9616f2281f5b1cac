/* A 1x1 conv fused with the global average pool that alone reads it (toolkit/ops/conv_avgpool.py):
 * each input pixel goes through eng_conv_s8 into one output pixel, which is summed into int32 per
 * channel; then the mean as eng_avgpool_s8 computes it. The conv's output map is never whole. */
#include "eng_util.h"

static int32_t pixel_bytes(int32_t c)
{
    return (c + 3) / 4 * 4; /* keeps the conv's scratch after it 4-byte aligned */
}

int32_t eng_conv_avgpool_s8_scratch_size(const eng_conv_avgpool_params *params, const eng_tensor *input,
                                         const eng_tensor *output)
{
    if (params == 0 || input == 0 || output == 0) {
        return 0;
    }
    eng_tensor pixel = {0, 1, 1, output->c, output->c};
    eng_tensor in_pixel = {0, 1, 1, input->c, input->c};
    return output->c * (int32_t)sizeof(int32_t) + pixel_bytes(output->c) +
           eng_conv_s8_scratch_size(&params->conv, &in_pixel, &pixel);
}

eng_status eng_conv_avgpool_s8(const eng_ctx *ctx, const eng_conv_avgpool_params *params, const eng_tensor *input,
                               const int8_t *filter, const int32_t *bias, eng_tensor *output)
{
    if (params == 0 || !eng_tensor_ok(input) || !eng_tensor_ok(output) || output->h != 1 || output->w != 1 ||
        params->conv.kernel_h != 1 || params->conv.kernel_w != 1 || params->conv.stride_h != 1 ||
        params->conv.stride_w != 1) {
        return ENG_ARG_ERROR;
    }
    const int32_t ch = output->c, count = input->h * input->w;
    if (ctx == 0 || ctx->size < eng_conv_avgpool_s8_scratch_size(params, input, output)) {
        return ENG_SCRATCH_ERROR;
    }
    uint8_t *buf = (uint8_t *)ctx->buf;
    int32_t *sums = (int32_t *)ctx->buf;
    eng_tensor pixel = {(int8_t *)(buf + ch * (int32_t)sizeof(int32_t)), 1, 1, ch, ch};
    const int32_t used = ch * (int32_t)sizeof(int32_t) + pixel_bytes(ch);
    const eng_ctx conv_ctx = {buf + used, ctx->size - used};
    int32_t y, x, c;
    for (c = 0; c < ch; c++) {
        sums[c] = 0;
    }
    for (y = 0; y < input->h; y++) {
        for (x = 0; x < input->w; x++) {
            eng_tensor in_pixel = {input->data + y * input->row + x * input->c, 1, 1, input->c, input->c};
            eng_status s = eng_conv_s8(&conv_ctx, &params->conv, &in_pixel, filter, bias, &pixel);
            if (s != ENG_OK) {
                return s;
            }
            for (c = 0; c < ch; c++) {
                sums[c] += (int32_t)pixel.data[c] - params->pool.input.zero_point;
            }
        }
    }
    for (c = 0; c < ch; c++) {
        const float scaled = (float)sums[c] * params->pool.input.scale;
        output->data[c] = eng_quant(scaled / (float)count, params->pool.output);
    }
    return ENG_OK;
}
