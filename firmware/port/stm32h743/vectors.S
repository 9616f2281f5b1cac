/* External interrupt vectors of the STM32H743 (RM0433 table 148: 150 interrupts), after the core's
 * 16 (cortex_m7/startup.S). Only USART3 is enabled. */
    .syntax unified
    .thumb
    .section .isr_vector_irq, "a", %progbits
    .align 2
    .rept 39                        /* IRQ 0..38 */
    .word Default_Handler
    .endr
    .word USART3_IRQHandler         /* IRQ 39: USART3 (stm32/stm32.c) */
    .rept 110                       /* IRQ 40..149 */
    .word Default_Handler
    .endr
