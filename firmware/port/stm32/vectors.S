/* External interrupt vectors of the STM32 ports, after the core's 16 (cortex_m7/startup.S):
 * PORT_IRQ_COUNT of them (the board's env defines it: F746 98, RM0385 table 40; H743 150, RM0433
 * table 148). Only USART3, IRQ 39 on both, is enabled. */
#ifndef PORT_IRQ_COUNT
#error "PORT_IRQ_COUNT: the board's number of external interrupts (platformio.ini, [port_<board>])"
#endif
    .syntax unified
    .thumb
    .section .isr_vector_irq, "a", %progbits
    .align 2
    .rept 39                        /* IRQ 0..38 */
    .word Default_Handler
    .endr
    .word USART3_IRQHandler         /* IRQ 39: USART3 (stm32.c) */
    .rept PORT_IRQ_COUNT - 40       /* IRQ 40.. */
    .word Default_Handler
    .endr
