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

#endif /* ENG_ACLE_SHIM_H */
