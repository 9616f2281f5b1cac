/* QEMU mps2-an500 port (a Cortex-M7 standing in for the NUCLEO boards): CMSDK UART0 and timer 0.
 * The rest (receive ring, memory, system calls, semihosting, faults) is cortex_m7/core.c. */
#include "cm7.h"

/* ------------------------------------------------------------------ registers */
#define UART0_BASE 0x40004000u
#define UART_DATA REG(UART0_BASE + 0x00)
#define UART_STATE REG(UART0_BASE + 0x04) /* bit0 TX full, bit1 RX full */
#define UART_CTRL REG(UART0_BASE + 0x08)  /* bit0 TX enable, bit1 RX enable */
#define UART_INTSTATUS REG(UART0_BASE + 0x0C) /* write 1 to clear: bit0 TX, bit1 RX */
#define UART_BAUDDIV REG(UART0_BASE + 0x10)
#define UART_CTRL_TX_EN 1u
#define UART_CTRL_RX_EN 2u
#define UART_CTRL_RX_INT_EN 8u
#define UART_STATE_RX_FULL 2u
#define UART_STATE_RX_OVERRUN 8u
#define UART0_RX_IRQ 0u /* QEMU mps2: UART n RX is IRQ 2n, TX 2n+1 */

#define TIMER0_BASE 0x40000000u
#define TIMER_CTRL REG(TIMER0_BASE + 0x00)
#define TIMER_VALUE REG(TIMER0_BASE + 0x04)
#define TIMER_RELOAD REG(TIMER0_BASE + 0x08)

#ifndef PORT_BOARD
#define PORT_BOARD "nucleo-f746zg"
#endif
const char port_board_name[] = PORT_BOARD;
const int port_emulated = 1;
const char port_counter_unit[] = "instructions";

/* ------------------------------------------------------------------ UART, timer */
void UART0RX_Handler(void);
void UART0RX_Handler(void)
{
    /* Acknowledge first, then drain: a byte that lands after the last check raises the interrupt
     * again. (Clearing after draining loses the interrupt of a byte that arrived in between, and
     * with it the link: the UART holds that byte and accepts no other.) */
    UART_INTSTATUS = 2u;
    while (UART_STATE & UART_STATE_RX_FULL) {
        port_rx_push((uint8_t)UART_DATA);
    }
    if (UART_STATE & UART_STATE_RX_OVERRUN) {
        UART_STATE = UART_STATE_RX_OVERRUN; /* write 1 to clear */
        port_rx_overrun();
    }
}

static void uart_init(void)
{
    UART_BAUDDIV = 16; /* >= 16 required; the rate itself is ignored by QEMU */
    UART_CTRL = UART_CTRL_TX_EN | UART_CTRL_RX_EN | UART_CTRL_RX_INT_EN;
    nvic_enable(UART0_RX_IRQ);
}

void port_uart_putc(char c)
{
    while (UART_STATE & 1u) {
    }
    UART_DATA = (uint8_t)c;
}

static void timer_init(void)
{
    TIMER_CTRL = 0;
    TIMER_RELOAD = 0xFFFFFFFFu;
    TIMER_VALUE = 0xFFFFFFFFu;
    TIMER_CTRL = 1; /* enable, no interrupt */
}

uint32_t port_ticks(void)
{
    return 0xFFFFFFFFu - TIMER_VALUE; /* down counter -> up counter */
}

uint64_t port_ticks_to_units(uint32_t ticks)
{
    return ((uint64_t)ticks * 40u + 32u) / 64u;
}

void port_board_init(void)
{
    uart_init();
    timer_init();
}

uint64_t port_ticks_to_us(uint32_t ticks)
{
    return ticks / 25u; /* CMSDK timer at 25 MHz of virtual time */
}
