/* Serial protocol v1: the board side. The specification is docs/protocol.md; the host side is
 * toolkit/protocol.py. Keep the three in step.
 *
 * On the wire a frame is 0x00, COBS(body), 0x00. The body is
 *   version u8 | type u8 | seq u8 | status u8 | length u16 LE | payload[length] | crc32 u32 LE
 * with the CRC-32 (IEEE 802.3, as zlib.crc32) over everything before it. COBS removes every 0x00
 * from the body, so a delimiter always ends a frame: after garbage, a bit flip or a host that went
 * away mid-frame, the next delimiter resynchronises the receiver, whatever state it was in.
 *
 * Flow control is stop-and-wait: the host sends one request and waits for its reply before the
 * next, so at most one frame (PROTO_MAX_FRAME bytes) is ever in flight towards the board; the
 * receive buffer holds more than that. A reply to LOAD is the credit for the next chunk. */
#ifndef RUNTIME_PROTOCOL_H
#define RUNTIME_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

#define PROTO_VERSION 1u
#define PROTO_MAX_PAYLOAD 512u
#define PROTO_HEADER 6u
#define PROTO_CRC 4u
#define PROTO_MAX_BODY (PROTO_HEADER + PROTO_MAX_PAYLOAD + PROTO_CRC)
/* COBS adds one byte per 254 and one at the start; plus the two delimiters. */
#define PROTO_MAX_FRAME (PROTO_MAX_BODY + PROTO_MAX_BODY / 254u + 1u + 2u)

/* Requests; a reply has the request's type | PROTO_REPLY. */
enum {
    PROTO_HELLO = 0x01,
    PROTO_INFO = 0x02,
    PROTO_LOAD = 0x03,
    PROTO_INFER = 0x04,
    PROTO_READ = 0x05,
    PROTO_STATS = 0x06,
    PROTO_PROFILE = 0x07,
    PROTO_RESET = 0x08,
    PROTO_REPLY = 0x80,
    PROTO_NEED = 0xFD,  /* unsolicited, during a streamed INFER (its seq): u8 input, u32 offset, u32 count */
    PROTO_BOOT = 0xFE,  /* unsolicited, after every boot: payload as HELLO's reply */
    PROTO_ERROR = 0xFF  /* reply to a frame whose type cannot be trusted (bad CRC, bad framing) */
};

/* Status of a reply (0 = OK); an error reply's payload is a short text. */
typedef enum {
    PROTO_OK = 0,
    PROTO_E_CRC = 1,          /* CRC mismatch */
    PROTO_E_LENGTH = 2,       /* length field disagrees with the frame, or exceeds PROTO_MAX_PAYLOAD */
    PROTO_E_FRAME = 3,        /* not a frame: bad COBS, shorter than a header */
    PROTO_E_VERSION = 4,      /* protocol version not spoken here */
    PROTO_E_COMMAND = 5,      /* unknown command */
    PROTO_E_ARGUMENT = 6,     /* payload malformed for the command, index out of range */
    PROTO_E_SIZE = 7,         /* LOAD beyond the input's size, READ beyond the output's */
    PROTO_E_ORDER = 8,        /* LOAD chunk not at the next expected offset */
    PROTO_E_NO_INPUT = 9,     /* INFER before every input is completely loaded */
    PROTO_E_NO_OUTPUT = 10,   /* READ without a successful INFER since the last LOAD */
    PROTO_E_ENGINE = 11,      /* the engine returned an error */
    PROTO_E_OVERRUN = 12,     /* receive buffer overflowed: bytes were lost */
    PROTO_E_TOO_LONG = 13,    /* frame longer than PROTO_MAX_FRAME */
    PROTO_E_BUSY = 14         /* not a LOAD while a streamed INFER waits for input rows: the INFER ends */
} proto_status;

typedef struct {
    uint8_t version, type, seq, status;
    uint16_t length;
    const uint8_t *payload;
} proto_frame;

/* Receiver state: bytes in, one decoded frame out at a time. */
typedef struct {
    uint8_t raw[PROTO_MAX_FRAME];
    size_t n;
    int8_t too_long;
    uint8_t body[PROTO_MAX_BODY];
} proto_rx;

uint32_t proto_crc32(uint32_t crc, const uint8_t *data, size_t n);

/* Feed one received byte. Returns 1 when a frame ended at this byte: then *status is PROTO_OK with
 * *frame decoded, or the error that makes the frame unusable (frame->seq and ->type are the
 * received bytes when there were any, else 0). Returns 0 while a frame is incomplete or for an
 * empty frame (two delimiters in a row). */
int proto_rx_byte(proto_rx *rx, uint8_t byte, proto_frame *frame, proto_status *status);

/* Encode a frame (delimiters, COBS, CRC) into out (PROTO_MAX_FRAME bytes); returns its size. */
size_t proto_encode(uint8_t type, uint8_t seq, uint8_t status, const uint8_t *payload, uint16_t length,
                    uint8_t *out);

/* Little-endian helpers for payloads. */
uint32_t proto_get_u32(const uint8_t *p);
uint16_t proto_get_u16(const uint8_t *p);
void proto_put_u32(uint8_t *p, uint32_t v);
void proto_put_u16(uint8_t *p, uint16_t v);

#endif /* RUNTIME_PROTOCOL_H */
