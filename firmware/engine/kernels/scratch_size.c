/* Scratch sizes of the kernels that have a reference and a Cortex-M7 DSP implementation.
 * One definition for both builds (this file is in both src filters), so the arena the planner
 * sizes (toolkit/plan/scratch.py mirrors these numbers) is right whichever path is linked. */
#include "eng_util.h"

int32_t eng_conv_s8_scratch_size(const eng_conv_params *params, const eng_tensor *input, const eng_tensor *output)
{
    (void)output;
    if (params == 0 || input == 0) {
        return 0;
    }
    /* Two im2col columns of int16, 2 * Cin * KH * KW elements, 1x1 included (the DSP path's; the
     * reference path does not touch them). */
    return 2 * input->c * params->kernel_h * params->kernel_w * (int32_t)sizeof(int16_t);
}

int32_t eng_depthwise_s8_scratch_size(const eng_conv_params *params, const eng_tensor *input,
                                      const eng_tensor *output)
{
    (void)params;
    (void)input;
    (void)output;
    return 0;
}

/* In-place depthwise (kernels/depthwise_inplace.c, both builds): one input channel plane, h * w int8
 * (toolkit/plan/scratch.py: scratch_bytes(..., in_place=True)). */
int32_t eng_depthwise_inplace_s8_scratch_size(const eng_conv_params *params, const eng_tensor *input,
                                              const eng_tensor *output)
{
    (void)params;
    (void)output;
    if (input == 0) {
        return 0;
    }
    return input->h * input->w;
}

int32_t eng_fc_s8_scratch_size(const eng_fc_params *params, const eng_tensor *input, const eng_tensor *output)
{
    (void)params;
    (void)input;
    (void)output;
    return 0;
}

int32_t eng_maxpool_s8_scratch_size(const eng_maxpool_params *params, const eng_tensor *input,
                                    const eng_tensor *output)
{
    (void)params;
    (void)input;
    (void)output;
    return 0;
}
