/* The board port API: everything board-specific lives under firmware/port/<port>/, and the engine,
 * the runtime and the test apps see only this header and the C library. Every port implements all
 * of it (firmware/port/mps2_an500: QEMU Cortex-M7 standing in for the NUCLEO-F746ZG;
 * firmware/port/host: the build machine, serial over stdin/stdout).
 *
 * Start-up (the port's own): memory initialised, stack painted, UART and counter running, then
 * main(argc, argv). With PORT_SEMIHOSTING (QEMU test images only, never a board) the arguments come
 * from the semihosting command line and main's return value ends the emulator with that code. */
#ifndef PORT_H
#define PORT_H

#include <stddef.h>
#include <stdint.h>

/* ---- UART: the serial link to the host. Receive is interrupt-driven into a ring buffer (a real
 * USART holds one byte: whatever arrives while the core computes must not be lost). */
void port_uart_putc(char c);
void port_uart_write(const uint8_t *buf, size_t n);
/* Up to max bytes already received, without waiting; 0 if none. */
size_t port_uart_read(uint8_t *buf, size_t max);
/* Blocking read of one byte (the C library's stdin). */
int port_uart_getc(void);
/* Sleep until something may have been received (an interrupt), or return at once. The runtime
 * never relies on the board's sense of time while idle: under QEMU -icount, virtual time jumps
 * ahead when the core sleeps. */
void port_wait_for_rx(void);
/* Bytes dropped because the ring buffer was full (or the USART overran), since boot. */
uint32_t port_uart_overruns(void);

/* ---- Counter for latency: free-running, wraps at 2^32 ticks. PORT_COUNTER_UNIT names what
 * port_ticks_to_units() returns: "instructions" (QEMU -icount: exact emulated instructions, NOT
 * Cortex-M7 cycles), "cycles" (DWT CYCCNT on a board) or "ns" (host). */
uint32_t port_ticks(void);
uint64_t port_ticks_to_units(uint32_t ticks);
/* The same in microseconds (the MLPerf Tiny runner's m-lap-us): at the core clock on a board,
 * wall time on the host, QEMU's virtual time under -icount (64 ns per instruction) on the emulator. */
uint64_t port_ticks_to_us(uint32_t ticks);
extern const char port_counter_unit[];

/* ---- Memory, measured: the painted stack's high-water mark and size; static RAM (.data + .bss,
 * from the linker script; 0 where the port cannot know it); the RAM and flash of the target. */
uint32_t port_stack_high_water(void);
uint32_t port_stack_size(void);
uint32_t port_static_ram_bytes(void);
uint32_t port_ram_bytes(void);
uint32_t port_flash_used_bytes(void);
uint32_t port_flash_bytes(void);
/* Bytes of heap handed out by _sbrk so far / available in total. */
uint32_t port_heap_used(void);
uint32_t port_heap_size(void);

/* The board this image is built for (boards/<name>.toml, from -DPORT_BOARD="...") and whether it
 * runs on an emulator standing in for it. */
extern const char port_board_name[];
extern const int port_emulated;

/* Restart the target from reset (the runtime's RESET command). */
void port_reset(void) __attribute__((noreturn));
/* Ends the program: semihosting SYS_EXIT_EXTENDED (PORT_SEMIHOSTING) or print + sleep forever. */
void port_exit(int code) __attribute__((noreturn));

#endif /* PORT_H */
