/* Host stand-in for <arm_acle.h>: portable C versions of the ACLE SIMD32/DSP intrinsics the
 * Cortex-M7 kernels use (firmware/engine/kernels_dsp), following the Arm ARM pseudocode, so the DSP
 * kernels' data layout (lane order, im2col reordering, tails) is tested on the host too
 * ([env:host_dsp_shim]). The real instructions are exercised under QEMU only. */
#ifndef ENG_ACLE_SHIM_H
#define ENG_ACLE_SHIM_H

#include <stdint.h>

typedef int32_t int8x4_t;
typedef int32_t int16x2_t;

static inline int32_t eng_shim_lo(int32_t v) { return (int16_t)((uint32_t)v & 0xFFFFu); }
static inline int32_t eng_shim_hi(int32_t v) { return (int16_t)((uint32_t)v >> 16); }
static inline int32_t eng_shim_pack(int32_t lo, int32_t hi)
{
    return (int32_t)(((uint32_t)lo & 0xFFFFu) | ((uint32_t)hi << 16));
}

/* SXTB16: sign-extend bytes 0 and 2 into the two halfwords. */
static inline int16x2_t __sxtb16(int8x4_t a)
{
    const uint32_t u = (uint32_t)a;
    return eng_shim_pack((int8_t)(u & 0xFFu), (int8_t)((u >> 16) & 0xFFu));
}

/* SADD16: lane-wise add, modulo 2^16. */
static inline int16x2_t __sadd16(int16x2_t a, int16x2_t b)
{
    return eng_shim_pack(eng_shim_lo(a) + eng_shim_lo(b), eng_shim_hi(a) + eng_shim_hi(b));
}

/* SMLAD: acc + lo*lo + hi*hi (the kernels never overflow int32: the Q flag is not modelled). */
static inline int32_t __smlad(int16x2_t a, int16x2_t b, int32_t acc)
{
    return acc + eng_shim_lo(a) * eng_shim_lo(b) + eng_shim_hi(a) * eng_shim_hi(b);
}

static inline int32_t __smlabb(int32_t a, int32_t b, int32_t acc) { return acc + eng_shim_lo(a) * eng_shim_lo(b); }
static inline int32_t __smlatt(int32_t a, int32_t b, int32_t acc) { return acc + eng_shim_hi(a) * eng_shim_hi(b); }
static inline int32_t __smlatb(int32_t a, int32_t b, int32_t acc) { return acc + eng_shim_hi(a) * eng_shim_lo(b); }

/* The APSR.GE bits that SSUB8 sets and SEL reads, one per byte lane. */
static uint32_t eng_shim_ge;

/* SSUB8: lane-wise signed byte difference; GE[i] set where a[i] >= b[i]. */
static inline int8x4_t __ssub8(int8x4_t a, int8x4_t b)
{
    uint32_t r = 0;
    eng_shim_ge = 0;
    for (int i = 0; i < 4; i++) {
        const int32_t d = (int8_t)((uint32_t)a >> (8 * i)) - (int8_t)((uint32_t)b >> (8 * i));
        r |= ((uint32_t)d & 0xFFu) << (8 * i);
        eng_shim_ge |= (d >= 0 ? 1u : 0u) << i;
    }
    return (int8x4_t)r;
}

/* SEL: byte i from a where GE[i], else from b. */
static inline uint32_t __sel(uint32_t a, uint32_t b)
{
    uint32_t r = 0;
    for (int i = 0; i < 4; i++) {
        r |= (((eng_shim_ge >> i) & 1u) ? a : b) & (0xFFu << (8 * i));
    }
    return r;
}

#endif /* ENG_ACLE_SHIM_H */
