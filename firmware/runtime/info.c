/* The INFO document (see docs/protocol.md, "INFO"). No printf: the C library's is large and the
 * floats (scales) go out as the hex of their IEEE-754 bits, exact and easy to read back. */
#include "info.h"

#include <string.h>

#include "model_data.h"
#include "port.h"
#include "protocol.h"

#ifndef FW_BUILD_ID
#define FW_BUILD_ID "unknown"
#endif

typedef struct {
    char *text;
    uint32_t n;
    int full;
} writer;

static void put(writer *w, const char *s)
{
    const size_t len = strlen(s);
    if (w->n + len >= INFO_MAX) {
        w->full = 1;
        return;
    }
    memcpy(w->text + w->n, s, len);
    w->n += (uint32_t)len;
}

static void put_uint(writer *w, uint32_t v, int base)
{
    static const char digits[] = "0123456789abcdef";
    char buf[12];
    int i = (int)sizeof buf - 1;
    buf[i] = '\0';
    do {
        buf[--i] = digits[v % (uint32_t)base];
        v /= (uint32_t)base;
    } while (v);
    put(w, buf + i);
}

static void put_int(writer *w, int32_t v)
{
    if (v < 0) {
        put(w, "-");
        put_uint(w, (uint32_t)0 - (uint32_t)v, 10);
    } else {
        put_uint(w, (uint32_t)v, 10);
    }
}

static void put_field(writer *w, const char *key, const char *value, int quoted)
{
    put(w, "\"");
    put(w, key);
    put(w, quoted ? "\": \"" : "\": ");
    put(w, value);
    if (quoted) {
        put(w, "\"");
    }
}

static void put_num_field(writer *w, const char *key, uint32_t v)
{
    put_field(w, key, "", 0);
    put_uint(w, v, 10);
}

static void put_io(writer *w, const char *key, const eng_io *io, int32_t n)
{
    put(w, "\"");
    put(w, key);
    put(w, "\": [");
    for (int32_t i = 0; i < n; i++) {
        uint32_t bits;
        memcpy(&bits, &io[i].scale, sizeof bits);
        put(w, i ? ", {" : "{");
        put_field(w, "name", io[i].name, 1);
        put(w, ", \"shape\": [");
        for (int32_t d = 0; d < io[i].rank; d++) {
            if (d) {
                put(w, ", ");
            }
            put_int(w, io[i].shape[d]);
        }
        put(w, "], ");
        put_num_field(w, "bytes", (uint32_t)io[i].size);
        put(w, ", \"scale_f32\": \"0x");
        put_uint(w, bits, 16);
        put(w, "\", \"zero_point\": ");
        put_int(w, io[i].zero_point);
        put(w, "}");
    }
    put(w, "]");
}

uint32_t info_build(char *text)
{
    const eng_model *m = &eng_model_data;
    writer w = {text, 0, 0};
    put(&w, "{");
    put_num_field(&w, "protocol", PROTO_VERSION);
    put(&w, ", ");
    put_field(&w, "board", port_board_name, 1);
    put(&w, ", ");
    put_field(&w, "emulated", port_emulated ? "true" : "false", 0);
    put(&w, ", ");
    put_field(&w, "build", FW_BUILD_ID, 1);
    put(&w, ", ");
    put_field(&w, "model", m->name, 1);
    put(&w, ", ");
    put_field(&w, "sha256", m->sha256, 1);
    put(&w, ", ");
    put_field(&w, "counter_unit", port_counter_unit, 1);
    put(&w, ", ");
    put_num_field(&w, "arena_bytes", (uint32_t)m->arena_size);
    put(&w, ", ");
    put_num_field(&w, "plan_arena_bytes", (uint32_t)m->plan_peak);
    put(&w, ", ");
    put_num_field(&w, "staging_bytes", (uint32_t)m->staging_size);
    put(&w, ", ");
    put_num_field(&w, "static_ram_bytes", port_static_ram_bytes());
    put(&w, ", ");
    put_num_field(&w, "ram_bytes", port_ram_bytes());
    put(&w, ", ");
    put_num_field(&w, "stack_bytes", port_stack_size());
    put(&w, ", ");
    put_num_field(&w, "flash_used_bytes", port_flash_used_bytes());
    put(&w, ", ");
    put_num_field(&w, "flash_bytes", port_flash_bytes());
    put(&w, ", ");
    put_num_field(&w, "ops", (uint32_t)m->n_ops);
    put(&w, ", ");
    put_num_field(&w, "tiles", m->patch ? (uint32_t)m->patch->n_tiles : 0u);
    put(&w, ", ");
    put_num_field(&w, "stream_bands", m->stream ? (uint32_t)m->patch->grid_h : 0u);
    put(&w, ", ");
    put_num_field(&w, "band_bytes", m->stream ? (uint32_t)m->stream->band_bytes : 0u);
    put(&w, ", ");
    put_num_field(&w, "max_payload", PROTO_MAX_PAYLOAD);
    put(&w, ", ");
    put_io(&w, "inputs", m->inputs, m->n_inputs);
    put(&w, ", ");
    put_io(&w, "outputs", m->outputs, m->n_outputs);
    put(&w, "}");
    return w.full ? 0u : w.n;
}
