/* INFO: what the board says about itself and its model, as JSON text built once at boot. */
#ifndef RUNTIME_INFO_H
#define RUNTIME_INFO_H

#include <stdint.h>

#define INFO_MAX 2048

/* Writes the INFO document into text (INFO_MAX bytes); returns its length (0 if it did not fit). */
uint32_t info_build(char *text);

#endif /* RUNTIME_INFO_H */
