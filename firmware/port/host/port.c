/* Host port: the firmware application on the build machine, its serial link on stdin/stdout (the
 * toolkit's host target speaks the protocol over the pipe). Latency in nanoseconds of wall time;
 * stack and static RAM are not measured here (0): the report takes the host's sizes from the ELF. */
#define _POSIX_C_SOURCE 200809L

#include "port.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

const char port_board_name[] = "host";
const int port_emulated = 0;
const char port_counter_unit[] = "ns";

static char **saved_argv;

/* Runs before main (GCC constructor): keeps argv for port_reset(). */
static void port_start(int argc, char **argv) __attribute__((constructor));
static void port_start(int argc, char **argv)
{
    (void)argc;
    saved_argv = argv;
}

void port_uart_putc(char c)
{
    const uint8_t b = (uint8_t)c;
    port_uart_write(&b, 1);
}

void port_uart_write(const uint8_t *buf, size_t n)
{
    while (n > 0) {
        const ssize_t k = write(STDOUT_FILENO, buf, n);
        if (k < 0 && errno == EINTR) {
            continue;
        }
        if (k <= 0) {
            exit(0); /* the host closed the link */
        }
        buf += k;
        n -= (size_t)k;
    }
}

size_t port_uart_read(uint8_t *buf, size_t max)
{
    struct pollfd p = {STDIN_FILENO, POLLIN, 0};
    if (poll(&p, 1, 0) <= 0) {
        return 0;
    }
    const ssize_t k = read(STDIN_FILENO, buf, max);
    if (k == 0) {
        exit(0); /* end of the link: the host went away */
    }
    return k < 0 ? 0 : (size_t)k;
}

void port_wait_for_rx(void)
{
    struct pollfd p = {STDIN_FILENO, POLLIN, 0};
    (void)poll(&p, 1, -1);
}

int port_uart_getc(void)
{
    uint8_t b;
    while (port_uart_read(&b, 1) == 0) {
        port_wait_for_rx();
    }
    return b;
}

uint32_t port_uart_overruns(void)
{
    return 0; /* a pipe does not drop bytes */
}

uint32_t port_ticks(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint32_t)((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec);
}

uint64_t port_ticks_to_units(uint32_t ticks)
{
    return ticks;
}

uint32_t port_stack_high_water(void) { return 0; }
uint32_t port_stack_size(void) { return 0; }
uint32_t port_static_ram_bytes(void) { return 0; }
uint32_t port_ram_bytes(void) { return 0; }
uint32_t port_flash_used_bytes(void) { return 0; }
uint32_t port_flash_bytes(void) { return 0; }
uint32_t port_heap_used(void) { return 0; }
uint32_t port_heap_size(void) { return 0; }

void port_reset(void)
{
    execv("/proc/self/exe", saved_argv); /* a fresh process on the same pipe */
    exit(1);
}

void port_exit(int code)
{
    exit(code);
}

uint64_t port_ticks_to_us(uint32_t ticks)
{
    return ticks / 1000u;
}
