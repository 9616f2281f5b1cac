/* The STM32 NUCLEO-144 console (USART3 on PD8/PD9) and the counter, shared by the F7 and H7 ports. */
#include "stm32.h"

const int port_emulated = 0;
const char port_counter_unit[] = "cycles";

/* GPIO port registers (RM0385 6.4, RM0433 11.4) */
#define GPIO_MODER(base) REG((base) + 0x00)
#define GPIO_OSPEEDR(base) REG((base) + 0x08)
#define GPIO_PUPDR(base) REG((base) + 0x0C)
#define GPIO_AFRH(base) REG((base) + 0x24)

/* USART3 (RM0385 31.8, RM0433 48.7) */
#define USART3_BASE 0x40004800u
#define USART3_CR1 REG(USART3_BASE + 0x00)
#define USART3_BRR REG(USART3_BASE + 0x0C)
#define USART3_ISR REG(USART3_BASE + 0x1C)
#define USART3_ICR REG(USART3_BASE + 0x20)
#define USART3_RDR REG(USART3_BASE + 0x24)
#define USART3_TDR REG(USART3_BASE + 0x28)
#define USART_CR1_UE (1u << 0)
#define USART_CR1_RE (1u << 2)
#define USART_CR1_TE (1u << 3)
#define USART_CR1_RXNEIE (1u << 5)
#define USART_ISR_ORE (1u << 3)
#define USART_ISR_RXNE (1u << 5)
#define USART_ISR_TXE (1u << 7)
#define USART_ICR_ORECF (1u << 3)
#define USART3_IRQ 39u

void stm32_console_init(uint32_t gpiod_base, uint32_t pclk1_hz, uint32_t baud)
{
    GPIO_MODER(gpiod_base) = (GPIO_MODER(gpiod_base) & ~(0xFu << 16)) | (0xAu << 16); /* PD8, PD9: AF */
    GPIO_OSPEEDR(gpiod_base) |= 0xFu << 16;                                             /* very high speed */
    GPIO_PUPDR(gpiod_base) = (GPIO_PUPDR(gpiod_base) & ~(0xFu << 16)) | (0x4u << 16);   /* pull-up on RX */
    GPIO_AFRH(gpiod_base) = (GPIO_AFRH(gpiod_base) & ~0xFFu) | 0x77u;                    /* AF7 */
    USART3_BRR = (pclk1_hz + baud / 2u) / baud; /* oversampling by 16 */
    USART3_CR1 = USART_CR1_TE | USART_CR1_RE | USART_CR1_RXNEIE | USART_CR1_UE;
    nvic_enable(USART3_IRQ);
}

void USART3_IRQHandler(void);
void USART3_IRQHandler(void)
{
    const uint32_t isr = USART3_ISR;
    if (isr & USART_ISR_ORE) { /* a byte arrived before the last was read: it is lost */
        USART3_ICR = USART_ICR_ORECF;
        port_rx_overrun();
    }
    if (isr & USART_ISR_RXNE) {
        port_rx_push((uint8_t)USART3_RDR); /* reading RDR clears RXNE */
    }
}

void port_uart_putc(char c)
{
    while (!(USART3_ISR & USART_ISR_TXE)) {
    }
    USART3_TDR = (uint8_t)c;
}

uint32_t port_ticks(void)
{
    return cm7_cycles();
}

uint64_t port_ticks_to_units(uint32_t ticks)
{
    return ticks; /* core clock cycles */
}
