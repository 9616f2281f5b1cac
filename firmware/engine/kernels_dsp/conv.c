/* Cortex-M7 DSP convolution (same contract as kernels/conv.c), every kernel size one way:
 * im2col of two output pixels into ctx->buf as int16 (x + input_offset; 0 in the padding): kernel
 * rows copied as int8 runs (a 1x1 pixel read straight from the input), then widened four at a
 * time with SXTB16, which stores each group of four in the order x0 x2 x1 x3, so that two 32-bit
 * loads line up with SXTB16(w) = (w0, w2) and SXTB16(ROR(w, 8)) = (w1, w3); then two pixels by two
 * output channels per inner loop (18 instructions per 16 MACs). Widening each pixel once, not
 * once per pair of output channels, is what makes 1x1 convs at 24-96 input channels fast.
 * ctx->buf must be 2-byte aligned (arena slices are 4-byte aligned). */
#include "eng_dsp.h"

/* The int8 column of one output pixel into col8 (n bytes): whole kernel rows are copied as runs of
 * kernel_w * cin bytes; padding taps hold the input zero point (-input_offset), which becomes 0 when
 * widened, as the reference's padding. */
static void im2col_s8(const eng_conv_params *p, const eng_tensor *in, int32_t oy, int32_t ox, int8_t *col8)
{
    const int32_t cin = in->c, row = p->kernel_w * cin;
    const int8_t zp = (int8_t)(-p->input_offset);
    const int32_t y0 = oy * p->stride_h - p->pads.top, x0 = ox * p->stride_w - p->pads.left;
    const int dense_row = p->dilation_w == 1 && x0 >= 0 && x0 + p->kernel_w <= in->w;
    for (int32_t ky = 0; ky < p->kernel_h; ky++, col8 += row) {
        const int32_t iy = y0 + ky * p->dilation_h;
        if (iy < 0 || iy >= in->h) {
            memset(col8, zp, (size_t)row);
        } else if (dense_row) {
            memcpy(col8, eng_pixel(in, iy, x0), (size_t)row);
        } else {
            for (int32_t kx = 0; kx < p->kernel_w; kx++) {
                const int32_t ix = x0 + kx * p->dilation_w;
                if (ix < 0 || ix >= in->w) {
                    memset(col8 + kx * cin, zp, (size_t)cin);
                } else {
                    memcpy(col8 + kx * cin, eng_pixel(in, iy, ix), (size_t)cin);
                }
            }
        }
    }
}

/* col[k] = col8[k] + off as int16, each group of four stored x0 x2 x1 x3 (SXTB16 gives exactly
 * that order), the n % 4 tail in order. In place: col8 may start n bytes into col's 2n bytes;
 * group i is written to bytes [2i, 2i + 8) after bytes [n + i, n + i + 4) were read, and every
 * later read starts at or past 2i + 8 while i <= n - 4 (the tail likewise). */
static void widen(const int8_t *col8, int32_t n, int32_t off, int16_t *col)
{
    const int32_t offp = eng_dup16(off);
    int32_t i = 0;
    for (; i + 4 <= n; i += 4) {
        const int32_t v = eng_rd32(col8 + i);
        const int32_t e = (int32_t)__sadd16(__sxtb16(v), offp), o = (int32_t)__sadd16(eng_sxtb16_hi(v), offp);
        memcpy(col + i, &e, sizeof e);
        memcpy(col + i + 2, &o, sizeof o);
    }
    for (; i < n; i++) {
        col[i] = (int16_t)(col8[i] + off);
    }
}

static void im2col(const eng_conv_params *p, const eng_tensor *in, int32_t oy, int32_t ox, int16_t *col, int32_t n)
{
    if (p->kernel_h == 1 && p->kernel_w == 1) {   /* the column is the pixel: widened from the input */
        const int32_t iy = oy * p->stride_h - p->pads.top, ix = ox * p->stride_w - p->pads.left;
        if (iy < 0 || iy >= in->h || ix < 0 || ix >= in->w) {
            memset(col, 0, (size_t)n * sizeof *col);
        } else {
            widen(eng_pixel(in, iy, ix), n, p->input_offset, col);
        }
        return;
    }
    int8_t *col8 = (int8_t *)col + n;
    im2col_s8(p, in, oy, ox, col8);
    widen(col8, n, p->input_offset, col);
}

/* One group of four values of dot_cols2x2. */
#define DOT_2X2_GROUP(i)                                                      \
    do {                                                                      \
        const int32_t wa = eng_rd32(w0 + (i)), wb = eng_rd32(w1 + (i));      \
        const int32_t x0 = eng_rd32(c0 + (i)), x1 = eng_rd32(c1 + (i));      \
        int32_t we = __sxtb16(wa), ve = __sxtb16(wb);                         \
        a00 = __smlad(x0, we, a00);                                           \
        a01 = __smlad(x0, ve, a01);                                           \
        a10 = __smlad(x1, we, a10);                                           \
        a11 = __smlad(x1, ve, a11);                                           \
        const int32_t y0 = eng_rd32(c0 + (i) + 2), y1 = eng_rd32(c1 + (i) + 2); \
        we = eng_sxtb16_hi(wa);                                               \
        ve = eng_sxtb16_hi(wb);                                               \
        a00 = __smlad(y0, we, a00);                                           \
        a01 = __smlad(y0, ve, a01);                                           \
        a10 = __smlad(y1, we, a10);                                           \
        a11 = __smlad(y1, ve, a11);                                           \
    } while (0)

/* a[0..3] += (c0.w0, c0.w1, c1.w0, c1.w1): two columns by two output channels, each weight load
 * and each column load used twice. `unrolled` (a constant): n is a constant too (a column length
 * specialised for the model, below) and the loop is written out whole, so that every load takes
 * an immediate offset from c0 and w0 and no pointer competes with the accumulators for registers. */
ENG_SPECIALISE void dot_cols2x2(const int16_t *c0, const int16_t *c1, const int8_t *w0, const int8_t *w1,
                                int32_t n, int32_t a[4], const int unrolled)
{
    const int32_t n4 = n & ~3;
    int32_t a00 = a[0], a01 = a[1], a10 = a[2], a11 = a[3];
    if (unrolled) {
#pragma GCC unroll 128
        for (int32_t i = 0; i < n4; i += 4) {
            DOT_2X2_GROUP(i);
        }
    } else {
        for (int32_t i = 0; i < n4; i += 4) {
            DOT_2X2_GROUP(i);
        }
    }
    for (int32_t i = n4; i < n; i++) {
        a00 += c0[i] * w0[i];
        a01 += c0[i] * w1[i];
        a10 += c1[i] * w0[i];
        a11 += c1[i] * w1[i];
    }
    a[0] = a00;
    a[1] = a01;
    a[2] = a10;
    a[3] = a11;
}
#undef DOT_2X2_GROUP

/* *acc0 += col0 . w, *acc1 += col1 . w (one weight load and unpacking for both columns). */
static inline void dot_cols2(const int16_t *c0, const int16_t *c1, const int8_t *w, int32_t n, int32_t *acc0,
                             int32_t *acc1)
{
    const int32_t n4 = n & ~3;
    int32_t a0 = *acc0, a1 = *acc1;
    for (int32_t i = 0; i < n4; i += 4) {
        const int32_t wv = eng_rd32(w + i);
        const int32_t we = __sxtb16(wv), wo = eng_sxtb16_hi(wv);
        a0 = __smlad(eng_rd32(c0 + i), we, a0);
        a1 = __smlad(eng_rd32(c1 + i), we, a1);
        a0 = __smlad(eng_rd32(c0 + i + 2), wo, a0);
        a1 = __smlad(eng_rd32(c1 + i + 2), wo, a1);
    }
    for (int32_t i = n4; i < n; i++) {
        a0 += c0[i] * w[i];
        a1 += c1[i] * w[i];
    }
    *acc0 = a0;
    *acc1 = a1;
}

static inline int32_t dot_col1(const int16_t *c0, const int8_t *w, int32_t n, int32_t a0)
{
    int32_t i = 0;
    for (; i + 4 <= n; i += 4) {
        const int32_t wv = eng_rd32(w + i);
        a0 = __smlad(eng_rd32(c0 + i), __sxtb16(wv), a0);
        a0 = __smlad(eng_rd32(c0 + i + 2), eng_sxtb16_hi(wv), a0);
    }
    for (; i < n; i++) {
        a0 += c0[i] * w[i];
    }
    return a0;
}

/* Every output channel of two pixels (columns c0, c1): out0[oc], out1[oc]. Pointers walk the weights,
 * bias, multipliers and outputs, so that little but the accumulators lives across the inner loop. */
ENG_SPECIALISE void pixel_pair(const int16_t *c0, const int16_t *c1, const int8_t *w, const int32_t *bias,
                               const float *m, int32_t n, int32_t cout, int8_t *out0, int8_t *out1, int32_t zp,
                               int32_t lo, int32_t hi, const int unrolled)
{
    const int8_t *const pairs_end = out0 + (cout & ~1);
    for (; out0 < pairs_end; out0 += 2, out1 += 2, w += 2 * n, m += 2) {
        int32_t a[4] = {0, 0, 0, 0};
        if (bias) {
            a[0] = a[2] = bias[0];
            a[1] = a[3] = bias[1];
            bias += 2;
        }
        dot_cols2x2(c0, c1, w, w + n, n, a, unrolled);
        const float m0 = m[0], m1 = m[1];
        out0[0] = eng_requant_acc(a[0], m0, zp, lo, hi);
        out0[1] = eng_requant_acc(a[1], m1, zp, lo, hi);
        out1[0] = eng_requant_acc(a[2], m0, zp, lo, hi);
        out1[1] = eng_requant_acc(a[3], m1, zp, lo, hi);
    }
    if (cout & 1) {
        int32_t acc0 = bias ? bias[0] : 0, acc1 = acc0;
        dot_cols2(c0, c1, w, n, &acc0, &acc1);
        out0[0] = eng_requant_acc(acc0, m[0], zp, lo, hi);
        out1[0] = eng_requant_acc(acc1, m[0], zp, lo, hi);
    }
}

/* Column lengths (kernel_h * kernel_w * input channels) specialised for the model: code generation
 * writes eng_specialise.h (toolkit/codegen/specialise.py) with ENG_CONV_COLUMNS(X) calling X(n) for
 * each; a build without it (the kernel tests choose their own) has none. Only the int8 activation
 * range is specialised (no fused activation: the common case). */
#ifdef ENG_HAVE_SPECIALISE
#include "eng_specialise.h"
#endif
#ifndef ENG_CONV_COLUMNS
#define ENG_CONV_COLUMNS(X)
#endif

typedef void (*pixel_pair_fn)(const int16_t *c0, const int16_t *c1, const int8_t *w, const int32_t *bias,
                              const float *m, int32_t cout, int8_t *out0, int8_t *out1, int32_t zp);

#define PIXEL_PAIR_FIXED(N)                                                                               \
    static void pixel_pair_##N(const int16_t *c0, const int16_t *c1, const int8_t *w, const int32_t *bias, \
                               const float *m, int32_t cout, int8_t *out0, int8_t *out1, int32_t zp)       \
    {                                                                                                     \
        pixel_pair(c0, c1, w, bias, m, N, cout, out0, out1, zp, -128, 127, 1);                            \
    }
ENG_CONV_COLUMNS(PIXEL_PAIR_FIXED)
#undef PIXEL_PAIR_FIXED

/* The specialisation for column length n, or NULL. */
static pixel_pair_fn fixed_pixel_pair(int32_t n)
{
    switch (n) {
#define PIXEL_PAIR_CASE(N) \
    case N:                \
        return pixel_pair_##N;
        ENG_CONV_COLUMNS(PIXEL_PAIR_CASE)
#undef PIXEL_PAIR_CASE
    default:
        return 0;
    }
}

ENG_SPECIALISE void general(const eng_ctx *ctx, const eng_conv_params *p, const eng_tensor *in,
                            const int8_t *filter, const int32_t *bias, eng_tensor *output, int32_t lo, int32_t hi)
{
    const int32_t n = p->kernel_h * p->kernel_w * in->c, cout = output->c;
    const int32_t npix = output->h * output->w, zp = p->output_zero_point;
    int16_t *col0 = (int16_t *)ctx->buf, *col1 = col0 + n;
    const pixel_pair_fn fixed = lo == -128 && hi == 127 ? fixed_pixel_pair(n) : 0;
    for (int32_t pix = 0; pix < npix; pix += 2) {
        im2col(p, in, pix / output->w, pix % output->w, col0, n);
        int8_t *out0 = eng_pixel(output, pix / output->w, pix % output->w);
        if (pix + 1 == npix) {
            for (int32_t oc = 0; oc < cout; oc++) {
                const int32_t acc = dot_col1(col0, filter + oc * n, n, bias ? bias[oc] : 0);
                out0[oc] = eng_requant_acc(acc, p->multiplier[oc], zp, lo, hi);
            }
            break;
        }
        im2col(p, in, (pix + 1) / output->w, (pix + 1) % output->w, col1, n);
        int8_t *out1 = eng_pixel(output, (pix + 1) / output->w, (pix + 1) % output->w);
        if (fixed) {
            fixed(col0, col1, filter, bias, p->multiplier, cout, out0, out1, zp);
        } else {
            pixel_pair(col0, col1, filter, bias, p->multiplier, n, cout, out0, out1, zp, lo, hi, 0);
        }
    }
}

eng_status eng_conv_s8(const eng_ctx *ctx, const eng_conv_params *params, const eng_tensor *input,
                       const int8_t *filter, const int32_t *bias, eng_tensor *output)
{
    if (!eng_conv_args_ok(params, input, output) || filter == 0) {
        return ENG_ARG_ERROR;
    }
    if (!eng_scratch_ok(ctx, eng_conv_s8_scratch_size(params, input, output))) {
        return ENG_SCRATCH_ERROR;
    }
    if (params->act_min == -128 && params->act_max == 127) {
        general(ctx, params, input, filter, bias, output, -128, 127);
    } else {
        general(ctx, params, input, filter, bias, output, params->act_min, params->act_max);
    }
    return ENG_OK;
}
