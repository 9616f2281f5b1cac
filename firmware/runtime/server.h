/* The runtime's command server: serves the serial protocol (protocol.h) for the generated model
 * (model_data.h) on one port (port.h). Static memory only: the frame buffers, the per-op and
 * per-tile profile and the INFO text are sized at build time and counted in static RAM. */
#ifndef RUNTIME_SERVER_H
#define RUNTIME_SERVER_H

#include <stdint.h>

/* Announce the boot (a PROTO_BOOT frame), then serve requests forever. */
void server_run(void) __attribute__((noreturn));

#endif /* RUNTIME_SERVER_H */
