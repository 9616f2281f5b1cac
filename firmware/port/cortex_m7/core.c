/* Cortex-M7 port core, shared by every Cortex-M7 port (see port.h, cm7.h): the receive ring filled
 * by the port's UART interrupt, memory measurement (painted stack, static RAM, flash, heap), newlib
 * system calls, semihosting (PORT_SEMIHOSTING only: QEMU test images, never a board), reset, exit,
 * fault reporting and the C entry point. A port adds its UART, counter and clocks. */
#include "cm7.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#ifndef PORT_SEMIHOSTING
#define PORT_SEMIHOSTING 0
#endif

/* Linker symbols (sections.ld and the port's memory map). */
extern uint32_t __stack_limit[], __stack_top[];
extern char __heap_start[], __heap_end[];
extern char __data_start[], __data_end[], __data_load[], __bss_start[], __bss_end[];
extern char __flash_start[], __flash_size[], __ram_size[], __arena_extra[];

int main(int argc, char **argv);
void port_main(void);
void port_fault(uint32_t ipsr);

/* ------------------------------------------------------------------ caches, cycle counter */
#define SCB_ICIALLU REG(0xE000EF50u)
#define SCB_DCISW REG(0xE000EF60u)
#define SCB_CCSIDR REG(0xE000ED80u)
#define SCB_CSSELR REG(0xE000ED84u)
#define SCB_CCR_DC (1u << 16)
#define SCB_CCR_IC (1u << 17)
#define DEMCR REG(0xE000EDFCu)
#define DEMCR_TRCENA (1u << 24)
#define DWT_CTRL REG(0xE0001000u)
#define DWT_CYCCNT REG(0xE0001004u)
#define DWT_LAR REG(0xE0001FB0u) /* the M7's DWT is locked until this key is written */

static void barrier(void)
{
    __asm__ volatile("dsb\n\tisb" ::: "memory");
}

void cm7_enable_caches(void)
{
    barrier();
    SCB_ICIALLU = 0; /* invalidate the I-cache, then enable it */
    barrier();
    SCB_CCR |= SCB_CCR_IC;
    SCB_CSSELR = 0; /* level 1 data cache: invalidate every set and way, then enable */
    barrier();
    const uint32_t ccsidr = SCB_CCSIDR;
    const uint32_t sets = ((ccsidr >> 13) & 0x7FFFu) + 1u, ways = ((ccsidr >> 3) & 0x3FFu) + 1u;
    for (uint32_t set = 0; set < sets; set++) {
        for (uint32_t way = 0; way < ways; way++) {
            SCB_DCISW = (way << 30) | (set << 5); /* 4 ways, 32-byte lines */
        }
    }
    barrier();
    SCB_CCR |= SCB_CCR_DC;
    barrier();
}

void cm7_start_cycle_counter(void)
{
    DEMCR |= DEMCR_TRCENA;
    DWT_LAR = 0xC5ACCE55u;
    DWT_CYCCNT = 0;
    DWT_CTRL |= 1u; /* CYCCNTENA */
}

uint32_t cm7_cycles(void)
{
    return DWT_CYCCNT;
}

/* ------------------------------------------------------------------ receive ring */
/* Receive ring buffer, filled by the RX interrupt. A power of two; larger than one protocol frame
 * (the host never has more than one in flight, see firmware/runtime/protocol.h). */
#define RX_RING 2048u
static volatile uint8_t rx_ring[RX_RING];
static volatile uint32_t rx_head, rx_tail, rx_overruns;

void port_rx_push(uint8_t b)
{
    if (rx_head - rx_tail < RX_RING) {
        rx_ring[rx_head % RX_RING] = b;
        rx_head++;
    } else {
        rx_overruns++;
    }
}

void port_rx_overrun(void)
{
    rx_overruns++;
}

void port_uart_write(const uint8_t *buf, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        port_uart_putc((char)buf[i]);
    }
}

size_t port_uart_read(uint8_t *buf, size_t max)
{
    size_t n = 0;
    while (n < max && rx_tail != rx_head) {
        buf[n++] = rx_ring[rx_tail % RX_RING];
        rx_tail++;
    }
    return n;
}

void port_wait_for_rx(void)
{
    /* Interrupts masked around the test so that a byte arriving between it and WFI still wakes
     * the core (WFI wakes on a pending interrupt even with PRIMASK set). */
    __asm__ volatile("cpsid i" ::: "memory");
    if (rx_tail == rx_head) {
        __asm__ volatile("dsb\n\twfi" ::: "memory");
    }
    __asm__ volatile("cpsie i" ::: "memory");
}

uint32_t port_uart_overruns(void)
{
    return rx_overruns;
}

int port_uart_getc(void)
{
    uint8_t b;
    while (port_uart_read(&b, 1) == 0) {
        port_wait_for_rx();
    }
    return b;
}

static void uart_puts(const char *s)
{
    while (*s) {
        port_uart_putc(*s++);
    }
}

static void uart_hex(uint32_t v)
{
    static const char digits[] = "0123456789abcdef";
    uart_puts("0x");
    for (int i = 28; i >= 0; i -= 4) {
        port_uart_putc(digits[(v >> i) & 0xFu]);
    }
}

/* ------------------------------------------------------------------ memory */
uint32_t port_stack_high_water(void)
{
    const uint32_t *p = __stack_limit;
    while (p < __stack_top && *p == 0xC0FFEE55u) {
        p++;
    }
    return (uint32_t)((const char *)__stack_top - (const char *)p);
}

uint32_t port_stack_size(void)
{
    return (uint32_t)((const char *)__stack_top - (const char *)__stack_limit);
}

uint32_t port_static_ram_bytes(void)
{
    /* .data + .bss (the arena between them), plus the arena when it has a region of its own (H7: AXI) */
    return (uint32_t)(__bss_end - __data_start) + (uint32_t)(uintptr_t)__arena_extra;
}

uint32_t port_ram_bytes(void)
{
    return (uint32_t)(uintptr_t)__ram_size;
}

uint32_t port_flash_used_bytes(void)
{
    return (uint32_t)(__data_load + (__data_end - __data_start) - __flash_start);
}

uint32_t port_flash_bytes(void)
{
    return (uint32_t)(uintptr_t)__flash_size;
}

static char *heap_brk = __heap_start;

uint32_t port_heap_used(void)
{
    return (uint32_t)(heap_brk - __heap_start);
}

uint32_t port_heap_size(void)
{
    return (uint32_t)(__heap_end - __heap_start);
}

void *_sbrk(ptrdiff_t incr);
void *_sbrk(ptrdiff_t incr)
{
    char *prev = heap_brk;
    if (incr > __heap_end - heap_brk || incr < __heap_start - heap_brk) {
        errno = ENOMEM;
        return (void *)-1;
    }
    heap_brk += incr;
    return prev;
}

/* ------------------------------------------------------------------ semihosting */
#if PORT_SEMIHOSTING
enum { SH_OPEN = 0x01, SH_CLOSE = 0x02, SH_WRITE = 0x05, SH_READ = 0x06, SH_SEEK = 0x0A, SH_FLEN = 0x0C,
       SH_GET_CMDLINE = 0x15, SH_EXIT_EXTENDED = 0x20 };

static int sh_call(int op, void *arg)
{
    register int r0 __asm__("r0") = op;
    register void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

/* newlib fd (3..3+MAX_FILES-1) -> semihosting handle and position (SYS_SEEK is absolute). */
enum { FD_BASE = 3, MAX_FILES = 8 };
static struct {
    int handle; /* -1: free */
    uint32_t pos;
} files[MAX_FILES] = {{-1, 0}, {-1, 0}, {-1, 0}, {-1, 0}, {-1, 0}, {-1, 0}, {-1, 0}, {-1, 0}};

static int file_slot(int fd)
{
    const int i = fd - FD_BASE;
    return i >= 0 && i < MAX_FILES && files[i].handle >= 0 ? i : -1;
}
#endif

int _open(const char *path, int flags, ...);
int _open(const char *path, int flags, ...)
{
#if PORT_SEMIHOSTING
    int mode = 1; /* "rb" */
    const int acc = flags & O_ACCMODE;
    if (acc == O_RDWR) {
        mode = (flags & O_TRUNC) ? 7 : (flags & O_APPEND) ? 11 : 3; /* "w+b" "a+b" "r+b" */
    } else if (acc == O_WRONLY) {
        mode = (flags & O_APPEND) ? 9 : 5; /* "ab" "wb" */
    }
    for (int i = 0; i < MAX_FILES; i++) {
        if (files[i].handle < 0) {
            uint32_t blk[3] = {(uint32_t)path, (uint32_t)mode, (uint32_t)strlen(path)};
            const int h = sh_call(SH_OPEN, blk);
            if (h < 0) {
                errno = ENOENT;
                return -1;
            }
            files[i].handle = h;
            files[i].pos = 0;
            return FD_BASE + i;
        }
    }
    errno = EMFILE;
#else
    (void)path;
    (void)flags;
    errno = ENOSYS;
#endif
    return -1;
}

int _close(int fd);
int _close(int fd)
{
#if PORT_SEMIHOSTING
    const int i = file_slot(fd);
    if (i >= 0) {
        uint32_t blk[1] = {(uint32_t)files[i].handle};
        files[i].handle = -1;
        return sh_call(SH_CLOSE, blk) == 0 ? 0 : -1;
    }
#endif
    (void)fd;
    return fd >= 0 && fd < 3 ? 0 : -1;
}

int _write(int fd, const char *buf, int len);
int _write(int fd, const char *buf, int len)
{
    if (fd == 1 || fd == 2) {
        for (int i = 0; i < len; i++) {
            port_uart_putc(buf[i]);
        }
        return len;
    }
#if PORT_SEMIHOSTING
    const int i = file_slot(fd);
    if (i >= 0) {
        uint32_t blk[3] = {(uint32_t)files[i].handle, (uint32_t)buf, (uint32_t)len};
        const int written = len - sh_call(SH_WRITE, blk);
        files[i].pos += (uint32_t)written;
        return written;
    }
#endif
    errno = EBADF;
    return -1;
}

int _read(int fd, char *buf, int len);
int _read(int fd, char *buf, int len)
{
    if (fd == 0) {
        for (int i = 0; i < len; i++) {
            buf[i] = (char)port_uart_getc();
        }
        return len;
    }
#if PORT_SEMIHOSTING
    const int i = file_slot(fd);
    if (i >= 0) {
        uint32_t blk[3] = {(uint32_t)files[i].handle, (uint32_t)buf, (uint32_t)len};
        const int got = len - sh_call(SH_READ, blk); /* SYS_READ returns the bytes NOT read */
        files[i].pos += (uint32_t)got;
        return got;
    }
#endif
    errno = EBADF;
    return -1;
}

int _lseek(int fd, int offset, int whence);
int _lseek(int fd, int offset, int whence)
{
#if PORT_SEMIHOSTING
    const int i = file_slot(fd);
    if (i >= 0) {
        int32_t target = offset;
        if (whence == SEEK_CUR) {
            target += (int32_t)files[i].pos;
        } else if (whence == SEEK_END) {
            uint32_t blk[1] = {(uint32_t)files[i].handle};
            target += sh_call(SH_FLEN, blk);
        }
        uint32_t blk[2] = {(uint32_t)files[i].handle, (uint32_t)target};
        if (target < 0 || sh_call(SH_SEEK, blk) != 0) {
            errno = EINVAL;
            return -1;
        }
        files[i].pos = (uint32_t)target;
        return target;
    }
#endif
    (void)fd;
    (void)offset;
    (void)whence;
    errno = ESPIPE;
    return -1;
}

int _fstat(int fd, struct stat *st);
int _fstat(int fd, struct stat *st)
{
    memset(st, 0, sizeof *st);
    st->st_mode = fd < 3 ? S_IFCHR : S_IFREG;
    return 0;
}

int _isatty(int fd);
int _isatty(int fd)
{
    return fd >= 0 && fd < 3;
}

void _exit(int code);
void _exit(int code)
{
    port_exit(code);
}

/* ------------------------------------------------------------------ reset, exit, faults, entry */
void port_reset(void)
{
    __asm__ volatile("dsb" ::: "memory");
    SCB_AIRCR = 0x05FA0004u; /* VECTKEY | SYSRESETREQ: QEMU reloads the image and restarts */
    __asm__ volatile("dsb" ::: "memory");
    for (;;) {
    }
}

void port_exit(int code)
{
    fflush(stdout);
    fflush(stderr);
#if PORT_SEMIHOSTING
    uint32_t blk[2] = {0x20026u /* ADP_Stopped_ApplicationExit */, (uint32_t)code};
    (void)sh_call(SH_EXIT_EXTENDED, blk);
#else
    uart_puts("EXIT ");
    uart_hex((uint32_t)code);
    uart_puts("\n");
#endif
    for (;;) {
        __asm__ volatile("cpsid i\n\twfi");
    }
}

void port_fault(uint32_t ipsr)
{
    uart_puts("\nFAULT exception ");
    uart_hex(ipsr & 0x1FFu);
    uart_puts(" CFSR ");
    uart_hex(SCB_CFSR);
    uart_puts(" HFSR ");
    uart_hex(SCB_HFSR);
    uart_puts(" MMFAR ");
    uart_hex(SCB_MMFAR);
    uart_puts(" BFAR ");
    uart_hex(SCB_BFAR);
    uart_puts("\n");
    port_exit(128 + (int)(ipsr & 0x1FFu));
}

void port_main(void)
{
    static char *argv[9];
    int argc = 0;
    port_board_init();
    /* stdout's buffer static, not malloc'ed at the first printf: a long-lived block in the middle of
     * the heap would fragment it (320 KB hold the largest kernel test cases only unfragmented). */
    static char stdout_buf[256];
    setvbuf(stdout, stdout_buf, _IOLBF, sizeof stdout_buf);
#if PORT_SEMIHOSTING
    static char cmdline[256];
    uint32_t blk[2] = {(uint32_t)cmdline, sizeof cmdline - 1};
    if (sh_call(SH_GET_CMDLINE, blk) == 0) {
        cmdline[blk[1] < sizeof cmdline ? blk[1] : sizeof cmdline - 1] = '\0';
        for (char *p = cmdline; *p && argc < 8;) {
            while (*p == ' ') {
                *p++ = '\0';
            }
            if (*p) {
                argv[argc++] = p;
                while (*p && *p != ' ') {
                    p++;
                }
            }
        }
    }
#endif
    if (argc == 0) {
        argv[argc++] = "firmware";
    }
    argv[argc] = NULL;
    port_exit(main(argc, argv));
}
