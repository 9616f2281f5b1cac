/* Start-up of every Cortex-M7 port: the core's 16 exception vectors and the reset handler. The
 * external interrupts follow in the port's own table (section .isr_vector_irq, its vectors.S).
 * Written in assembly so that nothing touches the FPU or the stack before the FPU is enabled
 * (CPACR), .data is copied, .bss zeroed and the stack painted. Then port_main() (core.c). */
    .syntax unified
    .cpu cortex-m7
    .thumb

    .section .isr_vector, "a", %progbits
    .align 2
    .globl __isr_vector
__isr_vector:
    .word __stack_top
    .word Reset_Handler
    .word NMI_Handler
    .word HardFault_Handler
    .word MemManage_Handler
    .word BusFault_Handler
    .word UsageFault_Handler
    .word 0, 0, 0, 0
    .word SVC_Handler
    .word DebugMon_Handler
    .word 0
    .word PendSV_Handler
    .word SysTick_Handler

    .section .text.Reset_Handler, "ax", %progbits
    .align 2
    .globl Reset_Handler
    .type Reset_Handler, %function
    .thumb_func
Reset_Handler:
    ldr r0, =__stack_top
    msr msp, r0
    /* FPU: full access to CP10/CP11 (CPACR bits 20-23) before any floating-point instruction. */
    ldr r0, =0xE000ED88
    ldr r1, [r0]
    orr r1, r1, #(0xF << 20)
    str r1, [r0]
    dsb
    isb
    /* .data: flash -> RAM */
    ldr r0, =__data_load
    ldr r1, =__data_start
    ldr r2, =__data_end
1:  cmp r1, r2
    bhs 2f
    ldr r3, [r0], #4
    str r3, [r1], #4
    b 1b
2:  /* .bss = 0 */
    ldr r1, =__bss_start
    ldr r2, =__bss_end
    movs r3, #0
3:  cmp r1, r2
    bhs 4f
    str r3, [r1], #4
    b 3b
4:  /* paint the stack (limit .. current sp) for the high-water mark */
    ldr r1, =__stack_limit
    mov r2, sp
    ldr r3, =0xC0FFEE55
5:  cmp r1, r2
    bhs 6f
    str r3, [r1], #4
    b 5b
6:  bl port_main
7:  b 7b
    .size Reset_Handler, . - Reset_Handler

    .section .text.Default_Handler, "ax", %progbits
    .align 2
    .globl Default_Handler
    .type Default_Handler, %function
    .thumb_func
Default_Handler:
    mrs r0, ipsr
    b port_fault
    .size Default_Handler, . - Default_Handler

    .weak NMI_Handler
    .thumb_set NMI_Handler, Default_Handler
    .weak HardFault_Handler
    .thumb_set HardFault_Handler, Default_Handler
    .weak MemManage_Handler
    .thumb_set MemManage_Handler, Default_Handler
    .weak BusFault_Handler
    .thumb_set BusFault_Handler, Default_Handler
    .weak UsageFault_Handler
    .thumb_set UsageFault_Handler, Default_Handler
    .weak SVC_Handler
    .thumb_set SVC_Handler, Default_Handler
    .weak DebugMon_Handler
    .thumb_set DebugMon_Handler, Default_Handler
    .weak PendSV_Handler
    .thumb_set PendSV_Handler, Default_Handler
    .weak SysTick_Handler
    .thumb_set SysTick_Handler, Default_Handler
