/* Private helpers shared by the kernels (reference and DSP): the float32 requantization of
 * toolkit/golden.py, in one place. See docs/arithmetic.md.
 * Every function is static inline: no globals, no state, no allocation. */
#ifndef ENG_UTIL_H
#define ENG_UTIL_H

#include <math.h>
#include <stdint.h>
#include <string.h>
#if defined(__arm__) && defined(__ARM_FEATURE_SAT)
#include <arm_acle.h>
#endif

#include "engine_kernels.h"

/* rint(v) limited to [-512, 511], rounding half to even (the default rounding mode): beyond that
 * every result saturates whatever the zero point (|zp| <= 128), so the limit changes no result and
 * keeps the conversion inside the range of int32 (no undefined behaviour).
 * On the Cortex-M7 one VCVTR.S32.F32 (rounds with the FPSCR mode, saturates to int32) and one SSAT
 * instead of newlib's lrintf, a library call of some 30 instructions; the kernel tests under QEMU
 * check both paths against the golden interpreter element by element. */
static inline int32_t eng_rint_limited(float v)
{
#if defined(__arm__) && defined(__ARM_FP) && (__ARM_FP & 4) && defined(__ARM_FEATURE_SAT)
    float r;
    int32_t q;
    __asm__("vcvtr.s32.f32 %0, %1" : "=t"(r) : "t"(v));
    memcpy(&q, &r, sizeof q);
    return __ssat(q, 10);
#else
    if (v > 511.0f) {
        v = 511.0f;
    } else if (v < -512.0f) {
        v = -512.0f;
    }
    return (int32_t)lrintf(v);
#endif
}

static inline int32_t eng_clamp_i32(int32_t v, int32_t lo, int32_t hi)
{
    return v < lo ? lo : (v > hi ? hi : v);
}

/* rint(v) + zp saturated to int8 ([-128, 127]). On the Cortex-M7 three instructions: VCVTR.S32.F32
 * (saturates to int32), QADD (saturating, so adding zp cannot overflow) and SSAT 8; elsewhere the
 * portable path above. Saturating in steps gives the same result as one clamp at the end: every
 * step keeps values inside int8 inside, and moves values outside it to the same side. */
static inline int32_t eng_round_zp_s8(float v, int32_t zp)
{
#if defined(__arm__) && defined(__ARM_FP) && (__ARM_FP & 4) && defined(__ARM_FEATURE_SAT) && \
    defined(__ARM_FEATURE_QBIT)
    float r;
    int32_t q;
    __asm__("vcvtr.s32.f32 %0, %1" : "=t"(r) : "t"(v));
    memcpy(&q, &r, sizeof q);
    return __ssat(__qadd(q, zp), 8);
#else
    return eng_clamp_i32(eng_rint_limited(v) + zp, -128, 127);
#endif
}

/* rint(v) + zp, clamped to [lo, hi] (inside int8). Bounds at the int8 limits (no fused activation)
 * cost nothing where they are constants: kernels pass them so from a specialised loop. */
static inline int8_t eng_round_sat(float v, int32_t zp, int32_t lo, int32_t hi)
{
    const int32_t q = eng_round_zp_s8(v, zp);
    return (int8_t)(lo == -128 && hi == 127 ? q : eng_clamp_i32(q, lo, hi));
}

/* qmath.requant_acc: clamp(rint(f32(acc) * m) + zy). */
static inline int8_t eng_requant_acc(int32_t acc, float multiplier, int32_t zp, int32_t lo, int32_t hi)
{
    float v = (float)acc * multiplier;
    return eng_round_sat(v, zp, lo, hi);
}

/* qmath.dequantize: f32(q - zp) * scale. */
static inline float eng_dequant(int32_t q, eng_qparam p)
{
    float t = (float)(q - p.zero_point);
    return t * p.scale;
}

/* qmath.quantize: saturate(rint(x / scale) + zp). A division, as QuantizeLinear defines it. */
static inline int8_t eng_quant(float x, eng_qparam p)
{
    float v = x / p.scale;
    return eng_round_sat(v, p.zero_point, -128, 127);
}

static inline int eng_qparam_same(eng_qparam a, eng_qparam b)
{
    return a.scale == b.scale && a.zero_point == b.zero_point;
}

/* qmath.requant_literal for one element (call only when the parameters differ). */
static inline int8_t eng_requant_literal(int8_t q, eng_qparam in, eng_qparam out)
{
    return eng_quant(eng_dequant(q, in), out);
}

/* A view (rows possibly further apart than w * c), for the windowed kernels. */
static inline int eng_view_ok(const eng_tensor *t)
{
    return t != 0 && t->data != 0 && t->h > 0 && t->w > 0 && t->c > 0 && t->row >= t->w * t->c;
}

/* A dense map, for every other kernel. */
static inline int eng_tensor_ok(const eng_tensor *t)
{
    return eng_view_ok(t) && t->row == t->w * t->c;
}

/* Pixel (y, x) of a view. */
static inline int8_t *eng_pixel(const eng_tensor *t, int32_t y, int32_t x)
{
    return t->data + y * t->row + x * t->c;
}

static inline int32_t eng_tensor_size(const eng_tensor *t)
{
    return t->h * t->w * t->c;
}

/* Output rows/cols of a window op fit in the padded input: (o-1)*s + (k-1)*d + 1 <= i + pads. */
static inline int eng_window_ok(int32_t in, int32_t out, int32_t k, int32_t s, int32_t d, int32_t pad_lo,
                                int32_t pad_hi)
{
    if (k <= 0 || s <= 0 || d <= 0 || pad_lo < 0 || pad_hi < 0) {
        return 0;
    }
    return (out - 1) * s + (k - 1) * d + 1 <= in + pad_lo + pad_hi;
}

static inline int eng_act_ok(int32_t act_min, int32_t act_max)
{
    return -128 <= act_min && act_min <= act_max && act_max <= 127;
}

/* Common argument checks of conv and depthwise. */
static inline int eng_conv_args_ok(const eng_conv_params *p, const eng_tensor *in, const eng_tensor *out)
{
    return p != 0 && p->multiplier != 0 && eng_view_ok(in) && eng_view_ok(out) &&
           eng_act_ok(p->act_min, p->act_max) &&
           eng_window_ok(in->h, out->h, p->kernel_h, p->stride_h, p->dilation_h, p->pads.top, p->pads.bottom) &&
           eng_window_ok(in->w, out->w, p->kernel_w, p->stride_w, p->dilation_w, p->pads.left, p->pads.right);
}

static inline int eng_fc_args_ok(const eng_fc_params *p, const eng_tensor *in, const int8_t *filter,
                                  const eng_tensor *out)
{
    return p != 0 && p->multiplier != 0 && filter != 0 && eng_tensor_ok(in) && eng_tensor_ok(out) &&
           eng_act_ok(p->act_min, p->act_max);
}

static inline int eng_maxpool_args_ok(const eng_maxpool_params *p, const eng_tensor *in, const eng_tensor *out)
{
    return p != 0 && eng_view_ok(in) && eng_view_ok(out) && in->c == out->c &&
           eng_window_ok(in->h, out->h, p->kernel_h, p->stride_h, 1, p->pads.top, p->pads.bottom) &&
           eng_window_ok(in->w, out->w, p->kernel_w, p->stride_w, 1, p->pads.left, p->pads.right);
}

/* In-place depthwise (reference and DSP): the arguments, then the channel plane in the scratch. */
static inline eng_status eng_depthwise_inplace_check(const eng_ctx *ctx, const eng_conv_params *p, const eng_tensor *in,
                                                     const int8_t *filter, const eng_tensor *out)
{
    if (!eng_conv_args_ok(p, in, out) || filter == 0 || in->c != out->c) {
        return ENG_ARG_ERROR;
    }
    if (ctx == 0 || ctx->buf == 0 || ctx->size < in->h * in->w) {
        return ENG_SCRATCH_ERROR;
    }
    return ENG_OK;
}

/* Channel c of a view, as one contiguous h x w plane. */
static inline void eng_gather_channel(const eng_tensor *in, int32_t c, int8_t *plane)
{
    for (int32_t y = 0; y < in->h; y++) {
        const int8_t *x = eng_pixel(in, y, 0) + c;
        for (int32_t i = 0; i < in->w; i++) {
            *plane++ = x[i * in->c];
        }
    }
}

static inline int eng_scratch_ok(const eng_ctx *ctx, int32_t need)
{
    return need == 0 || (ctx != 0 && ctx->buf != 0 && ctx->size >= need);
}

#endif /* ENG_UTIL_H */
