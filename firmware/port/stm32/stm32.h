/* What the STM32F7 and STM32H7 ports share (not part of the port API): both NUCLEO-144 boards wire
 * the ST-LINK's virtual COM port to USART3 on PD8 (TX) / PD9 (RX), alternate function 7, and both
 * USART3s have the same register layout (RM0385 31.8, RM0433 48.7) and interrupt number (39). */
#ifndef PORT_STM32_H
#define PORT_STM32_H

#include "cm7.h"

/* USART3 and its pins, after the board port has enabled the GPIOD and USART3 clocks and routed
 * USART3's kernel clock to PCLK1 (pclk1_hz). */
void stm32_console_init(uint32_t gpiod_base, uint32_t pclk1_hz, uint32_t baud);

#endif /* PORT_STM32_H */
