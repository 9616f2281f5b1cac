/* Cortex-M7 DSP in-place depthwise convolution (same contract as kernels/depthwise_inplace.c: one
 * channel at a time, the channel's input plane copied into ctx->buf, then that channel's outputs
 * computed from the copy, so the output may overlap the input).
 * In the plane a channel's pixels are contiguous, so a 3x3 (dilation 1) row of taps is one 32-bit
 * load: SXTB16 gives (x0, x2) for one SMLAD with the packed (w0, w2), SXTB16(ROR 8) gives
 * (x1, x3) for w1; at stride 1 the same load also serves the next output pixel ((x1, x3) with
 * (w0, w2), x2 with w1). Interior pixels fold the input offset into the start value,
 * bias + input_offset * sum(w); border pixels add it per tap. Integer accumulation is exact. */
#include "eng_dsp.h"

/* Output columns [*a, *b) whose taps all fall inside a row of width w. */
static void interior_cols(const eng_conv_params *p, int32_t w, int32_t out_w, int32_t *a, int32_t *b)
{
    const int32_t s = p->stride_w, pl = p->pads.left, last = w - 1 - (p->kernel_w - 1) * p->dilation_w + pl;
    *b = last < 0 ? 0 : (last / s + 1 < out_w ? last / s + 1 : out_w);
    *a = (pl + s - 1) / s < *b ? (pl + s - 1) / s : *b;
}

/* One output pixel with bounds checks (any kernel, border or not). */
static int32_t pixel(const eng_conv_params *p, const int8_t *plane, int32_t hi, int32_t wi, const int8_t *wc,
                     int32_t ch, int32_t oy, int32_t ox, int32_t acc)
{
    const int32_t y0 = oy * p->stride_h - p->pads.top, x0 = ox * p->stride_w - p->pads.left;
    for (int32_t ky = 0; ky < p->kernel_h; ky++) {
        const int32_t iy = y0 + ky * p->dilation_h;
        if (iy < 0 || iy >= hi) {
            continue;
        }
        const int8_t *row = plane + iy * wi;
        const int8_t *wrow = wc + ky * p->kernel_w * ch;
        for (int32_t kx = 0; kx < p->kernel_w; kx++) {
            const int32_t ix = x0 + kx * p->dilation_w;
            if (ix >= 0 && ix < wi) {
                acc += ((int32_t)row[ix] + p->input_offset) * (int32_t)wrow[kx * ch];
            }
        }
    }
    return acc;
}

/* One row of three taps, v = x0..x3 (one 32-bit load): a += x0 w0 + x1 w1 + x2 w2. */
static inline int32_t taps3(int32_t v, int32_t w02, int32_t w1, int32_t a)
{
    return __smlabb(eng_sxtb16_hi(v), w1, __smlad(__sxtb16(v), w02, a));
}

/* The same row for two neighbouring outputs at stride 1: *b += x1 w0 + x2 w1 + x3 w2 too. */
static inline void taps3_pair(int32_t v, int32_t w02, int32_t w1, int32_t *a, int32_t *b)
{
    const int32_t e = __sxtb16(v), o = eng_sxtb16_hi(v);
    *a = __smlabb(o, w1, __smlad(e, w02, *a));
    *b = __smlatb(e, w1, __smlad(o, w02, *b));
}

/* Interior 3x3 pixels [ox, ox_end) of one output row; r: the first of the three input rows. */
static void row3x3(const int8_t *r, int32_t wi, int32_t stride, int32_t ox, int32_t ox_end, int32_t x_start,
                   const int32_t w02[3], const int32_t w1[3], int32_t init, float mult, int32_t zp, int32_t lo,
                   int32_t hi, int8_t *out, int32_t ch)
{
    const int8_t *r1 = r + wi, *r2 = r1 + wi;
    int32_t x = x_start;
    if (stride == 1) {
        for (; ox + 2 <= ox_end; ox += 2, x += 2) {
            int32_t a = init, b = init;
            taps3_pair(eng_rd32(r + x), w02[0], w1[0], &a, &b);
            taps3_pair(eng_rd32(r1 + x), w02[1], w1[1], &a, &b);
            taps3_pair(eng_rd32(r2 + x), w02[2], w1[2], &a, &b);
            out[ox * ch] = eng_requant_acc(a, mult, zp, lo, hi);
            out[(ox + 1) * ch] = eng_requant_acc(b, mult, zp, lo, hi);
        }
    }
    for (; ox < ox_end; ox++, x += stride) {
        int32_t a = taps3(eng_rd32(r + x), w02[0], w1[0], init);
        a = taps3(eng_rd32(r1 + x), w02[1], w1[1], a);
        a = taps3(eng_rd32(r2 + x), w02[2], w1[2], a);
        out[ox * ch] = eng_requant_acc(a, mult, zp, lo, hi);
    }
}

eng_status eng_depthwise_inplace_s8(const eng_ctx *ctx, const eng_conv_params *params, const eng_tensor *input,
                                    const int8_t *filter, const int32_t *bias, eng_tensor *output)
{
    const eng_status ok = eng_depthwise_inplace_check(ctx, params, input, filter, output);
    if (ok != ENG_OK) {
        return ok;
    }
    const eng_conv_params *p = params;
    const int32_t ch = input->c, hi = input->h, wi = input->w, off = p->input_offset;
    const int32_t zp = p->output_zero_point, lo = p->act_min, top = p->act_max;
    const int fast3 = p->kernel_h == 3 && p->kernel_w == 3 && p->dilation_h == 1 && p->dilation_w == 1;
    int32_t ox_a, ox_b;
    interior_cols(p, wi, output->w, &ox_a, &ox_b);
    int8_t *plane = (int8_t *)ctx->buf;

    for (int32_t c = 0; c < ch; c++) {
        eng_gather_channel(input, c, plane);
        const float mult = p->multiplier[c];
        const int32_t b = bias ? bias[c] : 0;
        const int8_t *wc = filter + c;
        int32_t w02[3] = {0, 0, 0}, w1[3] = {0, 0, 0}, sum = 0;
        if (fast3) {
            for (int32_t r = 0; r < 3; r++) {
                const int32_t w0 = wc[(3 * r) * ch], w1r = wc[(3 * r + 1) * ch], w2 = wc[(3 * r + 2) * ch];
                w02[r] = (int32_t)(((uint32_t)w0 & 0xFFFFu) | ((uint32_t)w2 << 16));
                w1[r] = w1r;
                sum += w0 + w1r + w2;
            }
        }
        const int32_t init = b + off * sum;
        int8_t *out = output->data + c;
        for (int32_t oy = 0; oy < output->h; oy++, out += output->row) {
            const int32_t y0 = oy * p->stride_h - p->pads.top;
            const int rows_in = y0 >= 0 && y0 + 3 <= hi;
            const int32_t a_end = fast3 && rows_in ? ox_a : output->w;
            for (int32_t ox = 0; ox < a_end; ox++) {
                out[ox * ch] = eng_requant_acc(pixel(p, plane, hi, wi, wc, ch, oy, ox, b), mult, zp, lo, top);
            }
            if (a_end == output->w) {
                continue;
            }
            /* a 32-bit load reads one byte past the three taps: the last column where that byte
             * is past the row (and maybe the plane) goes the checked way */
            int32_t ox_c = (ox_b - 1) * p->stride_w - p->pads.left + 3 >= wi ? ox_b - 1 : ox_b;
            if (ox_c < ox_a) {
                ox_c = ox_a; /* no interior column (a tile narrower than the kernel) */
            }
            row3x3(plane + y0 * wi, wi, p->stride_w, ox_a, ox_c, ox_a * p->stride_w - p->pads.left, w02, w1, init,
                   mult, zp, lo, top, out, ch);
            for (int32_t ox = ox_c; ox < output->w; ox++) {
                out[ox * ch] = eng_requant_acc(pixel(p, plane, hi, wi, wc, ch, oy, ox, b), mult, zp, lo, top);
            }
        }
    }
    return ENG_OK;
}
