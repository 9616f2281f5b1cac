/* Int8 kernels of the inference engine: one kernel a file (firmware/engine/kernels/<name>.c,
 * DSP variants in firmware/engine/kernels_dsp/<name>.c with the same signature, chosen by the
 * build, never by #ifdef inside a call).
 *
 * Every kernel has the same argument shape (the CMSIS-NN habit):
 *   eng_status eng_<op>_s8(const eng_ctx *ctx, const eng_<op>_params *params,
 *                          const eng_tensor *input, [const eng_tensor *input2,]
 *                          [const int8_t *filter, const int32_t *bias,] eng_tensor *output);
 * and a companion  int32_t eng_<op>_s8_scratch_size(const eng_<op>_params *params,
 *                          const eng_tensor *input, const eng_tensor *output);
 * returning the bytes of ctx->buf the kernel needs (mirrored in Python: toolkit/plan/scratch.py).
 *
 * Layout: NHWC, batch 1. Weights: conv [Cout][KH][KW][Cin]; depthwise [KH][KW][C]; fc [Cout][Cin].
 * Arithmetic (bit-exact with the golden kernels of toolkit/ops/ and toolkit/qmath.py, see docs/arithmetic.md):
 *   conv/depthwise/fc: acc = bias[c] + sum((x + input_offset) * w)  (int32, exact)
 *                      y = clamp(lrintf((float)acc * multiplier[c]) + output_zero_point, act_min, act_max)
 *   add/avgpool/requant: literal float32 dequantize -> op -> quantize (x / scale, round half even).
 * Build with -ffp-contract=off: a fused multiply-add would change the float32 rounding.
 * All shape/quantization preparation happens in Python at code generation; kernels only compute.
 */
#ifndef ENGINE_KERNELS_H
#define ENGINE_KERNELS_H

#include <stdint.h>

typedef enum {
    ENG_OK = 0,
    ENG_ARG_ERROR = -1,   /* shapes or parameters inconsistent */
    ENG_SCRATCH_ERROR = -2, /* ctx->buf smaller than *_scratch_size() */
    ENG_INPUT_ERROR = -3    /* a streamed input's rows did not arrive (the executor's rows hook) */
} eng_status;

/* Caller-owned scratch memory (a slice of the arena). */
typedef struct {
    void *buf;
    int32_t size;
} eng_ctx;

/* An int8 feature map: h x w x c, NHWC. A row's pixels are contiguous and rows are `row` bytes
 * apart: w * c for a dense map, more for a region of a wider map, which a patch tile reads and
 * writes in place (no staging copy). The windowed kernels (conv, depthwise, max and average pool,
 * pad) take such views; every other kernel needs row == w * c (the executor runs the pixel-wise
 * ones row by row over a view). */
typedef struct {
    int8_t *data;
    int32_t h, w, c;
    int32_t row;
} eng_tensor;

/* Padding applied around the input on each side; in patch mode nonzero only at image borders. */
typedef struct {
    int16_t top, left, bottom, right;
} eng_pads;

typedef struct {
    int16_t kernel_h, kernel_w;
    int16_t stride_h, stride_w;
    int16_t dilation_h, dilation_w;
    eng_pads pads;
    int32_t input_offset;        /* -input zero point */
    int32_t output_zero_point;
    int32_t act_min, act_max;    /* int8 clamp after requantization */
    const float *multiplier;     /* per output channel: f32(f32(sx*sw[c])/sy) */
} eng_conv_params;               /* conv and depthwise; bias may be NULL (zero) in every kernel */

typedef struct {
    int32_t input_offset;
    int32_t output_zero_point;
    int32_t act_min, act_max;
    const float *multiplier;     /* per output channel */
} eng_fc_params;

typedef struct {
    int32_t zero_point;
    float scale;
} eng_qparam;

typedef struct {
    eng_qparam input1, input2, output;
} eng_add_params;

typedef struct {
    eng_qparam input1, input2, output;
} eng_mul_params;

typedef struct {
    int32_t linear;              /* 0: nearest (y1, x1 only), 1: bilinear */
    const int16_t *y1, *y2;      /* per output row: the input rows it reads */
    const int16_t *x1, *x2;      /* per output column: the input columns it reads */
    const float *dy1, *dy2;      /* bilinear weights per row and column (toolkit/ops/resize.py) */
    const float *dx1, *dx2;
    eng_qparam input, output;
} eng_resize_params;

typedef struct {
    int32_t perm[3];             /* output axis k is input axis perm[k] of the input's h, w, c view */
    eng_qparam input, output;
} eng_transpose_params;

typedef struct {
    int32_t start, step;         /* output channel k is input channel start + k * step */
    eng_qparam input, output;
} eng_slice_params;

typedef struct {
    const float *exp;            /* [256]: exp(f32(j - 255) * input scale) (toolkit/ops/softmax.py) */
    eng_qparam output;
} eng_softmax_params;

typedef struct {
    int16_t kernel_h, kernel_w, stride_h, stride_w;
    eng_pads pads;
    eng_qparam input, output;    /* requantize after the max when they differ */
} eng_maxpool_params;

typedef struct {
    int16_t kernel_h, kernel_w, stride_h, stride_w;
    eng_pads pads;
    int32_t count_include_pad;   /* 1: divide by the whole window; 0: by the taps inside the input */
    eng_qparam input, output;
} eng_avgpool2d_params;

typedef struct {
    eng_qparam input, output;
} eng_avgpool_params;            /* global average pool: output is 1 x 1 x c */

typedef struct {
    eng_conv_params conv;        /* a 1x1 stride-1 unpadded conv ... */
    eng_avgpool_params pool;     /* ... whose output only this global average pool reads */
} eng_conv_avgpool_params;

typedef struct {
    eng_pads pads;               /* spatial padding */
    int32_t channels_before, channels_after;
    eng_qparam input, output;
} eng_pad_params;

typedef struct {
    eng_qparam input, output;
    int32_t act_min, act_max;
} eng_requant_params;            /* reshape/clamp/concat part: y = clamp(requant(x)) */

typedef struct {
    const int8_t *table;         /* tables x 256: entry q + 128 is f's int8 output for input q */
    int32_t tables;              /* 1, or one per channel (per-channel PRelu) */
} eng_lut_params;                /* activations as lookup tables (toolkit/ops/lut.py: lut_table) */

/* Concatenation, one call per input: the input is requantized to the output's parameters and
 * written at `offset` along `axis` of the output (0 = h, 1 = w, 2 = c; the other two dims must
 * match). Channel concat of NHWC maps: axis 2. A RAW tensor of any rank concatenated along ONNX
 * axis a is viewed as h = prod(dims before a), w = dims[a], c = prod(dims after a), with axis 1. */
typedef struct {
    int32_t axis;
    int32_t offset;
    eng_qparam input, output;
} eng_concat_params;

eng_status eng_conv_s8(const eng_ctx *ctx, const eng_conv_params *params, const eng_tensor *input,
                       const int8_t *filter, const int32_t *bias, eng_tensor *output);
int32_t eng_conv_s8_scratch_size(const eng_conv_params *params, const eng_tensor *input,
                                 const eng_tensor *output);

/* Transposed conv: output (oy, ox) reads input (iy, ix) through tap (ky, kx) where
 * oy + pads.top = iy * stride_h + ky * dilation_h (columns alike); filter [Cout, KH, KW, Cin]. */
eng_status eng_conv_transpose_s8(const eng_ctx *ctx, const eng_conv_params *params, const eng_tensor *input,
                                 const int8_t *filter, const int32_t *bias, eng_tensor *output);
int32_t eng_conv_transpose_s8_scratch_size(const eng_conv_params *params, const eng_tensor *input,
                                           const eng_tensor *output);

eng_status eng_depthwise_s8(const eng_ctx *ctx, const eng_conv_params *params, const eng_tensor *input,
                            const int8_t *filter, const int32_t *bias, eng_tensor *output);
int32_t eng_depthwise_s8_scratch_size(const eng_conv_params *params, const eng_tensor *input,
                                      const eng_tensor *output);

/* The same depthwise convolution, but the output may overlap the input (the planner's in-place
 * aliasing): output->data - input->data must be a multiple of c (same start, or whole rows apart).
 * One channel at a time, that channel's input plane is saved in ctx->buf (input->h * input->w bytes)
 * before its outputs are written (TinyEngine style). Bit-exact with eng_depthwise_s8. */
eng_status eng_depthwise_inplace_s8(const eng_ctx *ctx, const eng_conv_params *params, const eng_tensor *input,
                                    const int8_t *filter, const int32_t *bias, eng_tensor *output);
int32_t eng_depthwise_inplace_s8_scratch_size(const eng_conv_params *params, const eng_tensor *input,
                                              const eng_tensor *output);

eng_status eng_fc_s8(const eng_ctx *ctx, const eng_fc_params *params, const eng_tensor *input,
                     const int8_t *filter, const int32_t *bias, eng_tensor *output);
int32_t eng_fc_s8_scratch_size(const eng_fc_params *params, const eng_tensor *input, const eng_tensor *output);

/* input1, input2 and output have the same shape. */
eng_status eng_add_s8(const eng_ctx *ctx, const eng_add_params *params, const eng_tensor *input1,
                      const eng_tensor *input2, eng_tensor *output);
int32_t eng_add_s8_scratch_size(const eng_add_params *params, const eng_tensor *input, const eng_tensor *output);

/* input1 and output have the same shape; input2 has it too, or is a 1 x 1 x C vector scaling each
 * channel (squeeze-and-excitation). */
eng_status eng_mul_s8(const eng_ctx *ctx, const eng_mul_params *params, const eng_tensor *input1,
                      const eng_tensor *input2, eng_tensor *output);
int32_t eng_mul_s8_scratch_size(const eng_mul_params *params, const eng_tensor *input, const eng_tensor *output);

/* Resize H and W, nearest or bilinear, by the tables of params; channels unchanged. */
eng_status eng_resize_s8(const eng_ctx *ctx, const eng_resize_params *params, const eng_tensor *input,
                         eng_tensor *output);
int32_t eng_resize_s8_scratch_size(const eng_resize_params *params, const eng_tensor *input,
                                   const eng_tensor *output);

/* The input's h x w x c view with its axes permuted, written flat into the output (a reshape that
 * moves data, e.g. a feature map flattened in NCHW order); requantized when the parameters differ. */
eng_status eng_transpose_s8(const eng_ctx *ctx, const eng_transpose_params *params, const eng_tensor *input,
                            eng_tensor *output);
int32_t eng_transpose_s8_scratch_size(const eng_transpose_params *params, const eng_tensor *input,
                                      const eng_tensor *output);

/* A range of channels of every pixel; input and output have the same h and w. */
eng_status eng_slice_s8(const eng_ctx *ctx, const eng_slice_params *params, const eng_tensor *input,
                        eng_tensor *output);
int32_t eng_slice_s8_scratch_size(const eng_slice_params *params, const eng_tensor *input, const eng_tensor *output);

/* Softmax over the channels (c) of every pixel. */
eng_status eng_softmax_s8(const eng_ctx *ctx, const eng_softmax_params *params, const eng_tensor *input,
                          eng_tensor *output);
int32_t eng_softmax_s8_scratch_size(const eng_softmax_params *params, const eng_tensor *input,
                                    const eng_tensor *output);

eng_status eng_maxpool_s8(const eng_ctx *ctx, const eng_maxpool_params *params, const eng_tensor *input,
                          eng_tensor *output);
int32_t eng_maxpool_s8_scratch_size(const eng_maxpool_params *params, const eng_tensor *input,
                                    const eng_tensor *output);

/* Windowed average pool in float32 on the dequantized input (toolkit/ops/pool.py: avgpool2d). */
eng_status eng_avgpool2d_s8(const eng_ctx *ctx, const eng_avgpool2d_params *params, const eng_tensor *input,
                            eng_tensor *output);
int32_t eng_avgpool2d_s8_scratch_size(const eng_avgpool2d_params *params, const eng_tensor *input,
                                      const eng_tensor *output);

eng_status eng_avgpool_s8(const eng_ctx *ctx, const eng_avgpool_params *params, const eng_tensor *input,
                          eng_tensor *output);
int32_t eng_avgpool_s8_scratch_size(const eng_avgpool_params *params, const eng_tensor *input,
                                    const eng_tensor *output);

/* A 1x1 conv fused with the global average pool that reads it: two pixels at a time, the conv's int8
 * output (eng_conv_s8) summed into one int32 per channel, then the pool's mean; the conv's output is
 * never whole in memory. Scratch: the sums, two pixels (rounded up to 4 bytes), the conv's scratch. */
eng_status eng_conv_avgpool_s8(const eng_ctx *ctx, const eng_conv_avgpool_params *params, const eng_tensor *input,
                               const int8_t *filter, const int32_t *bias, eng_tensor *output);
int32_t eng_conv_avgpool_s8_scratch_size(const eng_conv_avgpool_params *params, const eng_tensor *input,
                                         const eng_tensor *output);

/* Output is (h + top + bottom) x (w + left + right) x (channels_before + c + channels_after); the
 * padding value is the input zero point (real 0), requantized with the rest when the parameters differ. */
eng_status eng_pad_s8(const eng_ctx *ctx, const eng_pad_params *params, const eng_tensor *input,
                      eng_tensor *output);
int32_t eng_pad_s8_scratch_size(const eng_pad_params *params, const eng_tensor *input, const eng_tensor *output);

/* Elementwise requantize + clamp of h*w*c values; input and output may alias (in place). */
eng_status eng_requant_s8(const eng_ctx *ctx, const eng_requant_params *params, const eng_tensor *input,
                          eng_tensor *output);
int32_t eng_requant_s8_scratch_size(const eng_requant_params *params, const eng_tensor *input,
                                    const eng_tensor *output);

/* Elementwise table lookup of h*w*c values (an activation: sigmoid, hard-swish, PRelu...); with one
 * table per channel, channel k of every pixel uses table k. Input and output may alias (in place). */
eng_status eng_lut_s8(const eng_ctx *ctx, const eng_lut_params *params, const eng_tensor *input, eng_tensor *output);
int32_t eng_lut_s8_scratch_size(const eng_lut_params *params, const eng_tensor *input, const eng_tensor *output);

eng_status eng_concat_s8(const eng_ctx *ctx, const eng_concat_params *params, const eng_tensor *input,
                         eng_tensor *output);
int32_t eng_concat_s8_scratch_size(const eng_concat_params *params, const eng_tensor *input,
                                   const eng_tensor *output);

#endif /* ENGINE_KERNELS_H */
