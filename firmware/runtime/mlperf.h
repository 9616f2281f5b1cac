/* The MLPerf Tiny / EEMBC runner's device-under-test protocol, beside the binary one: ASCII
 * commands ending in '%' (name, profile, db load N, db <hex>, infer N W, results), every reply
 * line ending in "\r\n" and every command's reply with "m-ready" (mlcommons/tiny benchmark/runner).
 * The server hands a command here when the bytes since the last 0x00 are printable ASCII and end in
 * '%': a binary frame can never look like that, its second byte (the version, 1) is not printable. */
#ifndef RUNTIME_MLPERF_H
#define RUNTIME_MLPERF_H

#include <stddef.h>
#include <stdint.h>

#define MLPERF_MAX_COMMAND 80 /* the runner's device command buffer */

/* Run one command (without its '%'); the arena's input is consumed by inferences. */
void mlperf_command(const char *cmd, size_t n);

#endif /* RUNTIME_MLPERF_H */
