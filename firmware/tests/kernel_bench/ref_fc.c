/* The reference fc kernel (firmware/engine/kernels/fc.c) under a ref_ name, linked next to the DSP
 * kernel of the same name so one benchmark image measures both (benchmarks/bench_kernels_qemu.py).
 * Scratch sizes are shared by both builds (engine/kernels/scratch_size.c): not renamed. */
#define eng_fc_s8 ref_eng_fc_s8
#include "../../engine/kernels/fc.c"
