/* The reference depthwise kernel (firmware/engine/kernels/depthwise.c) under a ref_ name, linked next to the DSP
 * kernel of the same name so one benchmark image measures both (benchmarks/bench_kernels_qemu.py).
 * Scratch sizes are shared by both builds (engine/kernels/scratch_size.c): not renamed. */
#define eng_depthwise_s8 ref_eng_depthwise_s8
#include "../../engine/kernels/depthwise.c"
