/* NUCLEO-F746ZG port (STM32F746ZG, Cortex-M7): 216 MHz system clock from the ST-LINK's 8 MHz MCO,
 * USART3 on PD8/PD9 (the ST-LINK virtual COM port, stm32/stm32.c) with interrupt-driven receive, DWT
 * cycle counter.
 * Register level, no vendor HAL; section numbers are RM0385 (STM32F75xxx/74xxx reference manual)
 * and PM0253 (Cortex-M7 programming manual). The rest is cortex_m7/core.c. */
#include "stm32.h"

#ifndef PORT_BOARD
#define PORT_BOARD "nucleo-f746zg"
#endif
#ifndef PORT_UART_BAUD
#define PORT_UART_BAUD 921600u /* boards/nucleo-f746zg.toml: uart_baud */
#endif
const char port_board_name[] = PORT_BOARD;

#define SYSCLK_HZ 216000000u
#define PCLK1_HZ (SYSCLK_HZ / 4u) /* APB1 at 54 MHz (max 54 MHz, datasheet) */

/* RCC, RM0385 5.3 */
#define RCC_BASE 0x40023800u
#define RCC_CR REG(RCC_BASE + 0x00)
#define RCC_PLLCFGR REG(RCC_BASE + 0x04)
#define RCC_CFGR REG(RCC_BASE + 0x08)
#define RCC_AHB1ENR REG(RCC_BASE + 0x30)
#define RCC_APB1ENR REG(RCC_BASE + 0x40)
#define RCC_DCKCFGR2 REG(RCC_BASE + 0x90)
#define RCC_CR_HSEON (1u << 16)
#define RCC_CR_HSERDY (1u << 17)
#define RCC_CR_HSEBYP (1u << 18)
#define RCC_CR_PLLON (1u << 24)
#define RCC_CR_PLLRDY (1u << 25)
#define RCC_AHB1ENR_GPIODEN (1u << 3)
#define RCC_APB1ENR_USART3EN (1u << 18)
#define RCC_APB1ENR_PWREN (1u << 28)

/* PWR, RM0385 4.4: voltage scale 1 and over-drive for 216 MHz (4.1.4 "entering over-drive mode") */
#define PWR_BASE 0x40007000u
#define PWR_CR1 REG(PWR_BASE + 0x00)
#define PWR_CSR1 REG(PWR_BASE + 0x04)
#define PWR_CR1_VOS_SCALE1 (3u << 14)
#define PWR_CR1_ODEN (1u << 16)
#define PWR_CR1_ODSWEN (1u << 17)
#define PWR_CSR1_ODRDY (1u << 16)
#define PWR_CSR1_ODSWRDY (1u << 17)

/* Flash interface, RM0385 3.7.1: 7 wait states at 216 MHz / 2.7-3.6 V (table 5), ART and prefetch */
#define FLASH_ACR REG(0x40023C00u)
#define FLASH_ACR_LATENCY_7WS 7u
#define FLASH_ACR_PRFTEN (1u << 8)
#define FLASH_ACR_ARTEN (1u << 9)


static void clock_init(void)
{
    RCC_APB1ENR |= RCC_APB1ENR_PWREN;
    PWR_CR1 |= PWR_CR1_VOS_SCALE1;
    /* HSE in bypass: the ST-LINK drives an 8 MHz clock into PH0 (NUCLEO-144 user manual, 6.7.1) */
    RCC_CR |= RCC_CR_HSEBYP | RCC_CR_HSEON;
    while (!(RCC_CR & RCC_CR_HSERDY)) {
    }
    /* PLL: 8 MHz / M=4 = 2 MHz; x N=216 = 432 MHz VCO; / P=2 = 216 MHz; / Q=9 = 48 MHz (USB) */
    RCC_PLLCFGR = 4u | (216u << 6) | (0u << 16) /* P = 2 */ | (1u << 22) /* HSE */ | (9u << 24);
    RCC_CR |= RCC_CR_PLLON;
    PWR_CR1 |= PWR_CR1_ODEN;
    while (!(PWR_CSR1 & PWR_CSR1_ODRDY)) {
    }
    PWR_CR1 |= PWR_CR1_ODSWEN;
    while (!(PWR_CSR1 & PWR_CSR1_ODSWRDY)) {
    }
    while (!(RCC_CR & RCC_CR_PLLRDY)) {
    }
    FLASH_ACR = FLASH_ACR_LATENCY_7WS | FLASH_ACR_PRFTEN | FLASH_ACR_ARTEN;
    while ((FLASH_ACR & 0xFu) != FLASH_ACR_LATENCY_7WS) {
    }
    /* AHB /1, APB1 /4 (PPRE1 = 101), APB2 /2 (PPRE2 = 100), system clock = PLL (SW = 10) */
    RCC_CFGR = (5u << 10) | (4u << 13) | 2u;
    while (((RCC_CFGR >> 2) & 3u) != 2u) {
    }
}

/* GPIOD, RM0385 6.4 */
#define GPIOD_BASE 0x40020C00u

void port_board_init(void)
{
    clock_init();
    cm7_enable_caches();
    cm7_start_cycle_counter();
    RCC_AHB1ENR |= RCC_AHB1ENR_GPIODEN;
    RCC_APB1ENR |= RCC_APB1ENR_USART3EN;
    RCC_DCKCFGR2 &= ~(3u << 4); /* USART3 kernel clock = PCLK1 */
    stm32_console_init(GPIOD_BASE, PCLK1_HZ, PORT_UART_BAUD);
}

uint64_t port_ticks_to_us(uint32_t ticks)
{
    return ticks / (SYSCLK_HZ / 1000000u);
}
