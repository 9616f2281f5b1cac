/* Bare-metal port for QEMU mps2-an500 (Cortex-M7), standing in for the STM32F746 (NUCLEO-F746ZG).
 * Everything board-specific lives under firmware/port/; the engine and the apps only see this API
 * and the C library (stdout -> UART0; files -> semihosting when built with -DPORT_SEMIHOSTING=1).
 *
 * Startup (startup.S): FPU enabled (CPACR), .data copied, .bss zeroed, stack painted, then
 * port_main() initialises the UART and timer and calls main(argc, argv). With PORT_SEMIHOSTING the
 * arguments come from the semihosting command line (QEMU: -kernel image -append "args") and the
 * return value of main() ends QEMU with that exit code (SYS_EXIT_EXTENDED). Without it, a real
 * board never executes `bkpt 0xAB`: the exit code is printed and the core sleeps. */
#ifndef PORT_H
#define PORT_H

#include <stdint.h>

/* CMSDK APB UART0 (0x40004000): blocking, polled. */
void port_uart_init(void);
void port_uart_putc(char c);
int port_uart_getc(void);

/* CMSDK timer 0 (0x40000000, 25 MHz), free-running, counting up (wraps at 2^32 ticks). */
uint32_t port_ticks(void);
/* Under QEMU -icount shift=6,align=off,sleep=off: one instruction = 64 ns of virtual time, one tick
 * = 40 ns, so instructions = round(ticks * 40 / 64), exact and identical in every run. These are
 * emulated INSTRUCTIONS, not Cortex-M7 cycles (QEMU models no pipeline, no dual issue, no wait states). */
uint32_t port_ticks_to_instructions(uint32_t ticks);

/* Bytes of stack used so far (painted-stack high-water mark) / the stack size. */
uint32_t port_stack_high_water(void);
uint32_t port_stack_size(void);
/* Bytes of heap handed out by _sbrk so far / available in total. */
uint32_t port_heap_used(void);
uint32_t port_heap_size(void);

/* Ends the program: semihosting SYS_EXIT_EXTENDED (PORT_SEMIHOSTING) or print + sleep forever. */
void port_exit(int code) __attribute__((noreturn));

#endif /* PORT_H */
