/* Serial protocol v1, board side: CRC-32, COBS framing, frame encode and decode (see protocol.h). */
#include "protocol.h"

#include <string.h>

uint32_t proto_crc32(uint32_t crc, const uint8_t *data, size_t n)
{
    /* Bitwise CRC-32 (reflected, polynomial 0xEDB88320): no 1 KB table in RAM or flash; frames
     * are short and the UART is far slower than this loop. */
    crc = ~crc;
    while (n--) {
        crc ^= *data++;
        for (int k = 0; k < 8; k++) {
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
        }
    }
    return ~crc;
}

uint32_t proto_get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

uint16_t proto_get_u16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

void proto_put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

void proto_put_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

/* COBS decode of raw[0..n) into body; returns the decoded size or -1 if malformed. */
static int cobs_decode(const uint8_t *raw, size_t n, uint8_t *body, size_t cap)
{
    size_t i = 0, o = 0;
    while (i < n) {
        const uint8_t code = raw[i++];
        if (code == 0 || i + code - 1u > n) {
            return -1;
        }
        for (uint8_t k = 1; k < code; k++) {
            if (o >= cap) {
                return -1;
            }
            body[o++] = raw[i++];
        }
        if (code != 0xFF && i < n) {
            if (o >= cap) {
                return -1;
            }
            body[o++] = 0;
        }
    }
    return (int)o;
}

static proto_status decode(proto_rx *rx, proto_frame *f)
{
    const int n = cobs_decode(rx->raw, rx->n, rx->body, sizeof rx->body);
    if (n < 0) {
        return PROTO_E_FRAME;
    }
    if (n >= 3) {
        f->type = rx->body[1];
        f->seq = rx->body[2];
    }
    if ((size_t)n < PROTO_HEADER + PROTO_CRC) {
        return PROTO_E_FRAME;
    }
    const uint32_t crc = proto_get_u32(rx->body + n - PROTO_CRC);
    if (proto_crc32(0, rx->body, (size_t)n - PROTO_CRC) != crc) {
        return PROTO_E_CRC;
    }
    f->version = rx->body[0];
    f->status = rx->body[3];
    f->length = proto_get_u16(rx->body + 4);
    f->payload = rx->body + PROTO_HEADER;
    if (f->length > PROTO_MAX_PAYLOAD || (size_t)f->length + PROTO_HEADER + PROTO_CRC != (size_t)n) {
        return PROTO_E_LENGTH;
    }
    if (f->version != PROTO_VERSION) {
        return PROTO_E_VERSION;
    }
    return PROTO_OK;
}

int proto_rx_byte(proto_rx *rx, uint8_t byte, proto_frame *frame, proto_status *status)
{
    if (byte != 0) {
        if (rx->n < sizeof rx->raw) {
            rx->raw[rx->n++] = byte;
        } else {
            rx->too_long = 1;
        }
        return 0;
    }
    if (rx->n == 0 && !rx->too_long) {
        return 0;
    }
    memset(frame, 0, sizeof *frame);
    *status = rx->too_long ? PROTO_E_TOO_LONG : decode(rx, frame);
    rx->n = 0;
    rx->too_long = 0;
    return 1;
}

size_t proto_encode(uint8_t type, uint8_t seq, uint8_t status, const uint8_t *payload, uint16_t length,
                    uint8_t *out)
{
    uint8_t head[PROTO_HEADER] = {PROTO_VERSION, type, seq, status, 0, 0};
    uint8_t tail[PROTO_CRC];
    proto_put_u16(head + 4, length);
    proto_put_u32(tail, proto_crc32(proto_crc32(0, head, sizeof head), payload, length));
    /* COBS over head | payload | tail without copying them into one buffer. */
    size_t o = 0, code_at = 1;
    uint8_t code = 1;
    out[o++] = 0;
    out[o++] = 0; /* placeholder for the first code byte */
    const size_t total = PROTO_HEADER + (size_t)length + PROTO_CRC;
    for (size_t i = 0; i < total; i++) {
        const uint8_t b = i < PROTO_HEADER ? head[i]
                          : i < PROTO_HEADER + length ? payload[i - PROTO_HEADER]
                                                      : tail[i - PROTO_HEADER - length];
        if (b != 0) {
            out[o++] = b;
            code++;
        }
        if (b == 0 || code == 0xFF) {
            out[code_at] = code;
            code = 1;
            code_at = o;
            out[o++] = 0;
        }
    }
    out[code_at] = code;
    out[o++] = 0;
    return o;
}
