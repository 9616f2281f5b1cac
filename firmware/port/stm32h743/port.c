/* NUCLEO-H743ZI2 port (STM32H743ZI rev V, Cortex-M7): 480 MHz from the ST-LINK V3's 8 MHz MCO,
 * USART3 on PD8/PD9 (the ST-LINK virtual COM port, stm32/stm32.c) with interrupt-driven receive, DWT
 * cycle counter.
 * Register level, no vendor HAL; section numbers are RM0433 (STM32H742/743/750/753 reference
 * manual) and PM0253. Memory: data and stack in the 128 KB DTCM, the arena in the 512 KB AXI SRAM
 * (stm32h743zi.ld). The rest is cortex_m7/core.c. */
#include "stm32.h"

#ifndef PORT_BOARD
#define PORT_BOARD "nucleo-h743zi2"
#endif
#ifndef PORT_UART_BAUD
#define PORT_UART_BAUD 921600u /* boards/nucleo-h743zi2.toml: uart_baud */
#endif
const char port_board_name[] = PORT_BOARD;

#define SYSCLK_HZ 480000000u
#define PCLK1_HZ (SYSCLK_HZ / 4u) /* AHB /2 = 240 MHz, APB1 /2 = 120 MHz */

/* PWR, RM0433 6.8 */
#define PWR_BASE 0x58024800u
#define PWR_CSR1 REG(PWR_BASE + 0x04)
#define PWR_CR3 REG(PWR_BASE + 0x0C)
#define PWR_D3CR REG(PWR_BASE + 0x18)
#define PWR_CR3_LDOEN (1u << 1)
#define PWR_CR3_BYPASS (1u << 0)
#define PWR_CSR1_ACTVOSRDY (1u << 13)
#define PWR_D3CR_VOS_SCALE1 (3u << 14)
#define PWR_D3CR_VOSRDY (1u << 13)
/* SYSCFG_PWRCR.ODEN: VOS0 (over-drive) on top of scale 1, RM0433 6.6.2 */
#define SYSCFG_PWRCR REG(0x58000404u)

/* RCC, RM0433 8.7 */
#define RCC_BASE 0x58024400u
#define RCC_CR REG(RCC_BASE + 0x00)
#define RCC_CFGR REG(RCC_BASE + 0x10)
#define RCC_D1CFGR REG(RCC_BASE + 0x18)
#define RCC_D2CFGR REG(RCC_BASE + 0x1C)
#define RCC_D3CFGR REG(RCC_BASE + 0x20)
#define RCC_PLLCKSELR REG(RCC_BASE + 0x28)
#define RCC_PLLCFGR REG(RCC_BASE + 0x2C)
#define RCC_PLL1DIVR REG(RCC_BASE + 0x30)
#define RCC_D2CCIP2R REG(RCC_BASE + 0x54)
#define RCC_AHB4ENR REG(RCC_BASE + 0xE0)
#define RCC_APB1LENR REG(RCC_BASE + 0xE8)
#define RCC_APB4ENR REG(RCC_BASE + 0xF4)
#define RCC_CR_HSEON (1u << 16)
#define RCC_CR_HSERDY (1u << 17)
#define RCC_CR_HSEBYP (1u << 18)
#define RCC_CR_PLL1ON (1u << 24)
#define RCC_CR_PLL1RDY (1u << 25)

/* Flash, RM0433 4.9.1: 4 wait states and WRHIGHFREQ = 2 for a 240 MHz AXI clock at VOS0 (table 17) */
#define FLASH_ACR REG(0x52002000u)
#define FLASH_ACR_VALUE (4u | (2u << 4))


static void clock_init(void)
{
    /* Supply: LDO (the NUCLEO-H743ZI2 has no SMPS); written once after reset, then locked */
    PWR_CR3 = (PWR_CR3 & ~PWR_CR3_BYPASS) | PWR_CR3_LDOEN;
    while (!(PWR_CSR1 & PWR_CSR1_ACTVOSRDY)) {
    }
    PWR_D3CR |= PWR_D3CR_VOS_SCALE1;
    while (!(PWR_D3CR & PWR_D3CR_VOSRDY)) {
    }
    RCC_APB4ENR |= 1u << 1; /* SYSCFG */
    SYSCFG_PWRCR |= 1u;     /* ODEN: VOS0 */
    while (!(PWR_D3CR & PWR_D3CR_VOSRDY)) {
    }
    RCC_CR |= RCC_CR_HSEBYP | RCC_CR_HSEON; /* 8 MHz from the ST-LINK V3 (UM2407 6.8.1) */
    while (!(RCC_CR & RCC_CR_HSERDY)) {
    }
    /* PLL1: HSE / M=1 = 8 MHz (range 8-16 MHz, wide VCO); x N=120 = 960 MHz; / P=2 = 480 MHz */
    RCC_PLLCKSELR = 2u /* HSE */ | (1u << 4) /* DIVM1 */;
    RCC_PLLCFGR = (3u << 2) /* PLL1RGE 8-16 MHz */ | (1u << 16) | (1u << 17) | (1u << 18); /* DIVP1/Q1/R1 EN */
    RCC_PLL1DIVR = (120u - 1u) | ((2u - 1u) << 9) | ((4u - 1u) << 16) | ((2u - 1u) << 24);
    RCC_CR |= RCC_CR_PLL1ON;
    while (!(RCC_CR & RCC_CR_PLL1RDY)) {
    }
    FLASH_ACR = FLASH_ACR_VALUE;
    while ((FLASH_ACR & 0x3Fu) != FLASH_ACR_VALUE) {
    }
    /* D1: CPU /1, AHB /2 (HPRE = 1000), APB3 /2; D2: APB1, APB2 /2; D3: APB4 /2 */
    RCC_D1CFGR = 8u | (4u << 4);
    RCC_D2CFGR = (4u << 4) | (4u << 8);
    RCC_D3CFGR = 4u << 4;
    RCC_CFGR = (RCC_CFGR & ~7u) | 3u; /* system clock = PLL1 */
    while (((RCC_CFGR >> 3) & 7u) != 3u) {
    }
}

/* GPIOD, RM0433 11.4 */
#define GPIOD_BASE 0x58020C00u

void port_board_init(void)
{
    clock_init();
    cm7_enable_caches();
    cm7_start_cycle_counter();
    RCC_AHB4ENR |= 1u << 3;   /* GPIOD */
    RCC_APB1LENR |= 1u << 18; /* USART3 */
    RCC_D2CCIP2R &= ~7u;      /* USART2/3/4/5/7/8 kernel clock = PCLK1 */
    stm32_console_init(GPIOD_BASE, PCLK1_HZ, PORT_UART_BAUD);
}

uint64_t port_ticks_to_us(uint32_t ticks)
{
    return ticks / (SYSCLK_HZ / 1000000u);
}
