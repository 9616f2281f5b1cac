/* Private helpers of the Cortex-M7 DSP kernels: SIMD32 dot products with ACLE intrinsics.
 * Integer accumulation is exact, so these give the reference kernels' results bit for bit. */
#ifndef ENG_DSP_H
#define ENG_DSP_H

#include <arm_acle.h>
#include <string.h>

#include "../kernels/eng_util.h"

#if !defined(__ARM_FEATURE_DSP) || !defined(__ARM_FEATURE_SIMD32)
#error "kernels_dsp needs the Armv7E-M DSP extension (-mcpu=cortex-m7); build kernels/ for other targets"
#endif

/* A loop body inlined into each caller, so that arguments passed as constants (the int8 limits as
 * activation bounds, the common case) specialise it. */
#define ENG_SPECIALISE static inline __attribute__((always_inline))

/* Unaligned 32-bit load (a single LDR on the M7). */
static inline int32_t eng_rd32(const void *p)
{
    int32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* GCC 12's arm_acle.h has no __ror; this folds into the SXTB16 rotate operand or one ROR. */
static inline int32_t eng_ror8(int32_t x)
{
    const uint32_t u = (uint32_t)x;
    return (int32_t)((u >> 8) | (u << 24));
}

/* SXTB16(ROR(x, 8)): bytes 1 and 3 sign-extended. GCC 12 does not fold the rotation into SXTB16's
 * rotate operand, so on Arm it is one instruction written out; the host shim composes the two. */
static inline int32_t eng_sxtb16_hi(int32_t x)
{
#if defined(__arm__)
    int32_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
    return r;
#else
    return __sxtb16(eng_ror8(x));
#endif
}

/* Both int16 lanes set to v. */
static inline int32_t eng_dup16(int32_t v)
{
    return (int32_t)(((uint32_t)v & 0xFFFFu) * 0x10001u);
}

/* Two int16 lanes plus the input offset: nothing to add where the caller passes off as a constant 0
 * (fc: code generation folds the offset into the bias). */
static inline int32_t eng_add_offset(int32_t x, int32_t offp, int32_t off)
{
    return off == 0 ? x : (int32_t)__sadd16(x, offp);
}

/* acc0 += sum((x[i] + off) * w0[i]), acc1 likewise with w1, over k values. */
static inline void eng_dot2_s8(const int8_t *x, const int8_t *w0, const int8_t *w1, int32_t k, int32_t off,
                               int32_t *acc0, int32_t *acc1)
{
    const int32_t offp = eng_dup16(off);
    int32_t a0 = *acc0, a1 = *acc1, i = 0;
    for (; i + 4 <= k; i += 4) {
        const int32_t xv = eng_rd32(x + i);
        const int32_t xe = eng_add_offset(__sxtb16(xv), offp, off);          /* x0, x2 */
        const int32_t xo = eng_add_offset(eng_sxtb16_hi(xv), offp, off); /* x1, x3 */
        const int32_t va = eng_rd32(w0 + i), vb = eng_rd32(w1 + i);
        a0 = __smlad(xe, __sxtb16(va), a0);
        a0 = __smlad(xo, eng_sxtb16_hi(va), a0);
        a1 = __smlad(xe, __sxtb16(vb), a1);
        a1 = __smlad(xo, eng_sxtb16_hi(vb), a1);
    }
    for (; i < k; i++) {
        const int32_t xv = (int32_t)x[i] + off;
        a0 += xv * w0[i];
        a1 += xv * w1[i];
    }
    *acc0 = a0;
    *acc1 = a1;
}

/* Four rows w, w + k, w + 2k, w + 3k against one x: acc[j] += sum((x[i] + off) * w_j[i]). The input
 * is unpacked once per four values for the four rows. */
static inline void eng_dot4_s8(const int8_t *x, const int8_t *w, int32_t k, int32_t off, int32_t acc[4])
{
    const int32_t offp = eng_dup16(off);
    const int8_t *w1 = w + k, *w2 = w1 + k, *w3 = w2 + k;
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3], i = 0;
    for (; i + 4 <= k; i += 4) {
        const int32_t xv = eng_rd32(x + i);
        const int32_t xe = eng_add_offset(__sxtb16(xv), offp, off);
        const int32_t xo = eng_add_offset(eng_sxtb16_hi(xv), offp, off);
        int32_t v = eng_rd32(w + i);
        a0 = __smlad(xe, __sxtb16(v), a0);
        a0 = __smlad(xo, eng_sxtb16_hi(v), a0);
        v = eng_rd32(w1 + i);
        a1 = __smlad(xe, __sxtb16(v), a1);
        a1 = __smlad(xo, eng_sxtb16_hi(v), a1);
        v = eng_rd32(w2 + i);
        a2 = __smlad(xe, __sxtb16(v), a2);
        a2 = __smlad(xo, eng_sxtb16_hi(v), a2);
        v = eng_rd32(w3 + i);
        a3 = __smlad(xe, __sxtb16(v), a3);
        a3 = __smlad(xo, eng_sxtb16_hi(v), a3);
    }
    for (; i < k; i++) {
        const int32_t xv = (int32_t)x[i] + off;
        a0 += xv * w[i];
        a1 += xv * w1[i];
        a2 += xv * w2[i];
        a3 += xv * w3[i];
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}

static inline int32_t eng_dot1_s8(const int8_t *x, const int8_t *w, int32_t k, int32_t off, int32_t acc)
{
    const int32_t offp = eng_dup16(off);
    int32_t i = 0;
    for (; i + 4 <= k; i += 4) {
        const int32_t xv = eng_rd32(x + i);
        const int32_t va = eng_rd32(w + i);
        acc = __smlad(eng_add_offset(__sxtb16(xv), offp, off), __sxtb16(va), acc);
        acc = __smlad(eng_add_offset(eng_sxtb16_hi(xv), offp, off), eng_sxtb16_hi(va), acc);
    }
    for (; i < k; i++) {
        acc += ((int32_t)x[i] + off) * w[i];
    }
    return acc;
}

#endif /* ENG_DSP_H */
