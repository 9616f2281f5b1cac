/* External interrupt vectors of QEMU mps2-an500 (after the core's 16, cortex_m7/startup.S). */
    .syntax unified
    .thumb
    .section .isr_vector_irq, "a", %progbits
    .align 2
    .word UART0RX_Handler           /* IRQ 0: UART0 RX (port.c) */
    .rept 31                        /* IRQ 1..31: not enabled */
    .word Default_Handler
    .endr
