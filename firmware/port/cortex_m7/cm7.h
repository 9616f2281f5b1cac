/* Internals shared by the Cortex-M7 ports (not part of the port API, port.h): register access,
 * the core's system registers, and what a port provides to cortex_m7/core.c. */
#ifndef PORT_CM7_H
#define PORT_CM7_H

#include "port.h"

#define REG(addr) (*(volatile uint32_t *)(addr))

/* System control block (ARMv7-M ARM B3.2) and NVIC (B3.4). */
#define SCB_ICSR REG(0xE000ED04u)
#define SCB_AIRCR REG(0xE000ED0Cu)
#define SCB_CCR REG(0xE000ED14u)
#define SCB_CFSR REG(0xE000ED28u)
#define SCB_HFSR REG(0xE000ED2Cu)
#define SCB_MMFAR REG(0xE000ED34u)
#define SCB_BFAR REG(0xE000ED38u)
#define NVIC_ISER(n) REG(0xE000E100u + 4u * (n))

/* Provided by each port: clocks, UART (its RX interrupt calls port_rx_push), counter. */
void port_board_init(void);
/* For the port's UART receive interrupt: one byte received / one byte lost by the hardware. */
void port_rx_push(uint8_t byte);
void port_rx_overrun(void);

/* L1 instruction and data caches on (PM0253 4.8); the DWT cycle counter running (ARMv7-M C1.8). */
void cm7_enable_caches(void);
void cm7_start_cycle_counter(void);
uint32_t cm7_cycles(void);

static inline void nvic_enable(uint32_t irq)
{
    NVIC_ISER(irq / 32u) = 1u << (irq % 32u);
}

#endif /* PORT_CM7_H */
