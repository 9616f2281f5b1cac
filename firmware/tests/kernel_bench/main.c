/* Kernel benchmark on the emulated Cortex-M7 (QEMU mps2-an500 under -icount shift=6,align=off,sleep=off):
 * representative layers through the reference C kernels (ref_eng_*, firmware/engine/kernels) and the
 * DSP kernels (eng_*, firmware/engine/kernels_dsp), same inputs, back to back in one image.
 * Prints one line per layer:
 *   BENCH name=<layer> macs=<n> ref_instr=<n> dsp_instr=<n> match=<1 iff both outputs are identical>
 * Instruction counts come from CMSDK timer 0 (port_ticks_to_units): emulated instructions,
 * not cycles. MACs are nominal (Ho*Wo*Cout*KH*KW*Cin, taps in the padding included). Data: seeded
 * pseudo-random int8 weights/inputs, int32 bias, per-channel float multipliers. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "engine_kernels.h"
#include "port.h"

eng_status ref_eng_conv_s8(const eng_ctx *ctx, const eng_conv_params *params, const eng_tensor *input,
                           const int8_t *filter, const int32_t *bias, eng_tensor *output);
eng_status ref_eng_depthwise_s8(const eng_ctx *ctx, const eng_conv_params *params, const eng_tensor *input,
                                const int8_t *filter, const int32_t *bias, eng_tensor *output);
eng_status ref_eng_fc_s8(const eng_ctx *ctx, const eng_fc_params *params, const eng_tensor *input,
                         const int8_t *filter, const int32_t *bias, eng_tensor *output);

/* One arena for every layer (the F746's RAM: 320 KB minus stack and statics). */
enum { ARENA_BYTES = 272 * 1024 };
static uint8_t arena[ARENA_BYTES] __attribute__((aligned(8)));
static uint32_t arena_used;

static void *take(uint32_t bytes)
{
    void *p = &arena[arena_used];
    arena_used += (bytes + 7u) & ~7u;
    if (arena_used > ARENA_BYTES) {
        printf("ERROR arena too small\n");
        port_exit(2);
    }
    return p;
}

static uint32_t rng = 0x12345678u;
static uint32_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

static int8_t *rand_i8(uint32_t n)
{
    int8_t *p = take(n);
    for (uint32_t i = 0; i < n; i++) {
        p[i] = (int8_t)(next() & 0xFFu);
    }
    return p;
}

static int32_t *rand_bias(uint32_t n)
{
    int32_t *p = take(4 * n);
    for (uint32_t i = 0; i < n; i++) {
        p[i] = (int32_t)(next() % 20001u) - 10000;
    }
    return p;
}

static float *multipliers(uint32_t n, float base)
{
    float *p = take(4 * n);
    for (uint32_t i = 0; i < n; i++) {
        p[i] = base * (1.0f + (float)(next() % 1000u) / 1000.0f);
    }
    return p;
}

static uint32_t hash(const int8_t *p, uint32_t n)
{
    uint32_t h = 2166136261u;
    for (uint32_t i = 0; i < n; i++) {
        h = (h ^ (uint8_t)p[i]) * 16777619u;
    }
    return h;
}

static void report(const char *name, uint32_t macs, uint32_t ref_ticks, uint32_t dsp_ticks, int match)
{
    printf("BENCH name=%s macs=%lu ref_instr=%lu dsp_instr=%lu match=%d\n", name, (unsigned long)macs,
           (unsigned long)port_ticks_to_units(ref_ticks), (unsigned long)port_ticks_to_units(dsp_ticks),
           match);
}

enum { CONV, DEPTHWISE };

static void bench_conv(const char *name, int kind, int32_t h, int32_t w, int32_t cin, int32_t cout, int16_t k,
                       int16_t stride, int16_t pad)
{
    arena_used = 0;
    eng_conv_params p;
    memset(&p, 0, sizeof p);
    p.kernel_h = p.kernel_w = k;
    p.stride_h = p.stride_w = stride;
    p.dilation_h = p.dilation_w = 1;
    p.pads.top = p.pads.left = p.pads.bottom = p.pads.right = pad;
    p.input_offset = 3;
    p.output_zero_point = -5;
    p.act_min = -128;
    p.act_max = 127;
    const int32_t ho = (h + 2 * pad - k) / stride + 1, wo = (w + 2 * pad - k) / stride + 1;
    const int32_t wsize = kind == CONV ? cout * k * k * cin : k * k * cin;
    p.multiplier = multipliers((uint32_t)cout, kind == CONV ? 1.0f / (float)(20 * k * k * cin) : 1.0f / 300.0f);
    eng_tensor in = {rand_i8((uint32_t)(h * w * cin)), h, w, cin, w * cin};
    eng_tensor out = {take((uint32_t)(ho * wo * cout)), ho, wo, cout, wo * cout};
    const int8_t *filter = rand_i8((uint32_t)wsize);
    const int32_t *bias = rand_bias((uint32_t)cout);
    const int32_t need = kind == CONV ? eng_conv_s8_scratch_size(&p, &in, &out) : eng_depthwise_s8_scratch_size(&p, &in, &out);
    eng_ctx ctx = {take((uint32_t)need + 8u), need};
    const uint32_t n_out = (uint32_t)(ho * wo * cout);

    uint32_t t0 = port_ticks();
    eng_status s1 = kind == CONV ? ref_eng_conv_s8(&ctx, &p, &in, filter, bias, &out)
                                 : ref_eng_depthwise_s8(&ctx, &p, &in, filter, bias, &out);
    uint32_t t1 = port_ticks();
    const uint32_t h_ref = hash(out.data, n_out);
    memset(out.data, 0x5A, n_out);
    uint32_t t2 = port_ticks();
    eng_status s2 = kind == CONV ? eng_conv_s8(&ctx, &p, &in, filter, bias, &out)
                                 : eng_depthwise_s8(&ctx, &p, &in, filter, bias, &out);
    uint32_t t3 = port_ticks();
    const uint32_t h_dsp = hash(out.data, n_out);
    const uint32_t macs = (uint32_t)(ho * wo * cout * k * k) * (uint32_t)(kind == CONV ? cin : 1);
    report(name, macs, t1 - t0, t3 - t2, s1 == ENG_OK && s2 == ENG_OK && h_ref == h_dsp);
}

/* fc 1280 -> 1000: its 1.28 MB of weights exceed the F746 (1 MB flash, 320 KB RAM), so it runs as
 * 5 calls of 1280 -> 200 (one 256 KB weight slice reused), which is the same per-MAC work. */
static void bench_fc(void)
{
    enum { K = 1280, N_SLICE = 200, SLICES = 5 };
    arena_used = 0;
    eng_fc_params p;
    p.input_offset = 0;   /* as code generation emits an fc: the offset folded into the bias */
    p.output_zero_point = -5;
    p.act_min = -128;
    p.act_max = 127;
    p.multiplier = multipliers(N_SLICE, 1.0f / (20.0f * K));
    eng_tensor in = {rand_i8(K), 1, 1, K, K};
    eng_tensor out = {take(N_SLICE), 1, 1, N_SLICE, N_SLICE};
    const int8_t *filter = rand_i8((uint32_t)K * N_SLICE);
    const int32_t *bias = rand_bias(N_SLICE);
    eng_ctx ctx = {NULL, 0};
    uint32_t ref_ticks = 0, dsp_ticks = 0;
    int match = 1;
    for (int s = 0; s < SLICES; s++) {
        uint32_t t0 = port_ticks();
        eng_status s1 = ref_eng_fc_s8(&ctx, &p, &in, filter, bias, &out);
        uint32_t t1 = port_ticks();
        const uint32_t h_ref = hash(out.data, N_SLICE);
        memset(out.data, 0x5A, N_SLICE);
        uint32_t t2 = port_ticks();
        eng_status s2 = eng_fc_s8(&ctx, &p, &in, filter, bias, &out);
        uint32_t t3 = port_ticks();
        match &= s1 == ENG_OK && s2 == ENG_OK && h_ref == hash(out.data, N_SLICE);
        ref_ticks += t1 - t0;
        dsp_ticks += t3 - t2;
        in.data[s] ^= 0x55; /* a different input for the next slice */
    }
    report("fc_1280x1000", (uint32_t)K * N_SLICE * SLICES, ref_ticks, dsp_ticks, match);
}

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    /* Timer read overhead (two back-to-back reads), reported, not subtracted. */
    uint32_t t0 = port_ticks(), t1 = port_ticks();
    printf("TIMER overhead_instr=%lu\n", (unsigned long)port_ticks_to_units(t1 - t0));
    bench_conv("conv1x1_16x16x64_128", CONV, 16, 16, 64, 128, 1, 1, 0);
    bench_conv("conv1x1_28x28x32_192", CONV, 28, 28, 32, 192, 1, 1, 0);
    bench_conv("dw3x3_28x28x128", DEPTHWISE, 28, 28, 128, 128, 3, 1, 1);
    bench_conv("dw3x3_s2_56x56x64", DEPTHWISE, 56, 56, 64, 64, 3, 2, 1);
    bench_conv("conv3x3_s2_64x64x3_32", CONV, 64, 64, 3, 32, 3, 2, 1);
    bench_conv("conv3x3_16x16x64_64", CONV, 16, 16, 64, 64, 3, 1, 1);
    bench_fc();
    printf("STACK used=%lu of %lu bytes\n", (unsigned long)port_stack_high_water(), (unsigned long)port_stack_size());
    printf("DONE\n");
    return 0;
}
