/* The command server (see server.h and docs/protocol.md for every command's payload). */
#include "server.h"

#include <string.h>

#include "info.h"
#include "mlperf.h"
#include "model_data.h"
#include "port.h"
#include "protocol.h"

#define ARENA_PAINT 0xA5u

/* Everything the server keeps, static and sized at build time. */
static struct {
    proto_rx rx;
    uint8_t tx[PROTO_MAX_FRAME];
    size_t tx_n;
    uint8_t reply[PROTO_MAX_PAYLOAD];
    int has_last;
    uint8_t last_type, last_seq;
    uint32_t loaded[ENG_N_INPUTS];
    int outputs_valid;
    uint64_t latency;
    uint32_t inferences, frames_ok, frames_bad;
    uint32_t arena_high_water;
    /* profile of the last inference, in ticks */
    uint32_t op_start;
    int32_t tile;
    uint32_t op_ticks[ENG_N_OPS];
    uint32_t tile_ticks[ENG_N_TILES > 0 ? ENG_N_TILES : 1];
    char info[INFO_MAX];
    uint32_t info_len;
    /* received bytes not yet fed to the frame decoder (a handler may receive more: nesting) */
    uint8_t in[64];
    size_t in_pos, in_len;
    uint32_t overruns;
    /* a streamed INFER waiting for the input's bytes [band_lo, band_hi) */
    int band_wait, band_abort;
    uint32_t band_lo, band_hi;
    uint8_t infer_seq;
    uint32_t wait_ticks;
} s;

static void receive(void);

static void send_frame(uint8_t type, uint8_t seq, uint8_t status, const uint8_t *payload, uint16_t n)
{
    s.tx_n = proto_encode(type, seq, status, payload, n, s.tx);
    port_uart_write(s.tx, s.tx_n);
}

static void reply(const proto_frame *req, const uint8_t *payload, uint16_t n)
{
    send_frame((uint8_t)(req->type | PROTO_REPLY), req->seq, PROTO_OK, payload, n);
}

static void fail(uint8_t type, uint8_t seq, proto_status status, const char *text)
{
    send_frame(type, seq, (uint8_t)status, (const uint8_t *)text, (uint16_t)strlen(text));
}

static void fail_req(const proto_frame *req, proto_status status, const char *text)
{
    fail((uint8_t)(req->type | PROTO_REPLY), req->seq, status, text);
}

/* ---------------------------------------------------------------- profiling hooks */
static void before_op(void *user, int32_t op)
{
    (void)user;
    (void)op;
    s.op_start = port_ticks();
}

static void after_op(void *user, int32_t op)
{
    const uint32_t dt = port_ticks() - s.op_start;
    (void)user;
    s.op_ticks[op] += dt;
    if (s.tile >= 0 && eng_model_data.patch && op < eng_model_data.patch->n_ops) {
        s.tile_ticks[s.tile] += dt;
    }
}

static void start_tile(void *user, int32_t tile)
{
    (void)user;
    s.tile = tile;
}

/* ---------------------------------------------------------------- arena high-water mark */
static void paint_arena(void)
{
    memset(eng_arena, ARENA_PAINT, sizeof eng_arena);
}

static uint32_t arena_high_water(void)
{
    uint32_t i = (uint32_t)sizeof eng_arena;
    while (i > 0 && eng_arena[i - 1] == ARENA_PAINT) {
        i--;
    }
    return i;
}

/* ---------------------------------------------------------------- commands */
static uint16_t hello_payload(uint8_t *p)
{
    const size_t board = strlen(port_board_name);
    p[0] = PROTO_VERSION;
    proto_put_u16(p + 1, PROTO_MAX_PAYLOAD);
    proto_put_u16(p + 3, (uint16_t)sizeof s.rx.raw);
    memcpy(p + 5, port_board_name, board);
    return (uint16_t)(5 + board);
}

static void cmd_info(const proto_frame *req)
{
    if (req->length != 2) {
        fail_req(req, PROTO_E_ARGUMENT, "INFO takes a u16 offset");
        return;
    }
    const uint32_t off = proto_get_u16(req->payload);
    if (off > s.info_len) {
        fail_req(req, PROTO_E_SIZE, "INFO offset beyond the document");
        return;
    }
    uint32_t n = s.info_len - off;
    if (n > PROTO_MAX_PAYLOAD - 2u) {
        n = PROTO_MAX_PAYLOAD - 2u;
    }
    proto_put_u16(s.reply, (uint16_t)s.info_len);
    memcpy(s.reply + 2, s.info + off, n);
    reply(req, s.reply, (uint16_t)(2 + n));
}

/* Whether input idx is streamed (its rows arrive during INFER, asked for by NEED). */
static int streamed(int32_t idx)
{
    return eng_model_data.stream && idx == eng_model_data.stream->input;
}

/* LOAD of a streamed input: only the bytes a NEED asked for, in order, into the band buffer. */
static void load_band(const proto_frame *req, uint8_t idx, uint32_t off, uint32_t n)
{
    if (!s.band_wait) {
        fail_req(req, PROTO_E_ORDER, "this input is streamed: INFER asks for its rows (NEED)");
        return;
    }
    if (off != s.loaded[idx]) {
        fail_req(req, PROTO_E_ORDER, "chunk not at the next offset the band needs");
        return;
    }
    if ((uint64_t)off + n > s.band_hi) {
        fail_req(req, PROTO_E_SIZE, "more bytes than the band NEED asked for");
        return;
    }
    memcpy(eng_arena + eng_model_data.inputs[idx].offset + (off - s.band_lo), req->payload + 5, n);
    s.loaded[idx] = off + n;
    proto_put_u32(s.reply, s.loaded[idx]);
    reply(req, s.reply, 4);
}

static void cmd_load(const proto_frame *req)
{
    const eng_model *m = &eng_model_data;
    if (req->length < 5) {
        fail_req(req, PROTO_E_ARGUMENT, "LOAD takes u8 input, u32 offset, data");
        return;
    }
    const uint8_t idx = req->payload[0];
    const uint32_t off = proto_get_u32(req->payload + 1), n = req->length - 5u;
    if (idx >= m->n_inputs) {
        fail_req(req, PROTO_E_ARGUMENT, "no such input");
        return;
    }
    if (streamed(idx)) {
        load_band(req, idx, off, n);
        return;
    }
    if (off == 0 && idx == 0) { /* a new inference's input: start the arena high-water mark */
        paint_arena();
        memset(s.loaded, 0, sizeof s.loaded);
    }
    s.outputs_valid = 0; /* inputs and outputs may share arena bytes */
    if (off != s.loaded[idx] && off != 0) {
        fail_req(req, PROTO_E_ORDER, "chunk out of order: resend from offset 0");
        s.loaded[idx] = 0;
        return;
    }
    if ((uint64_t)off + n > (uint64_t)m->inputs[idx].size) {
        fail_req(req, PROTO_E_SIZE, "more bytes than the input holds");
        s.loaded[idx] = 0;
        return;
    }
    memcpy(eng_arena + m->inputs[idx].offset + off, req->payload + 5, n);
    s.loaded[idx] = off + n;
    proto_put_u32(s.reply, s.loaded[idx]);
    reply(req, s.reply, 4);
}

/* The rows hook of a streamed model: NEED the band's bytes, then serve frames until every one of
 * them was LOADed, or another command ended the inference. The wait is not inference time. */
static eng_status stream_rows(void *user, int32_t input, int32_t y0, int32_t y1, int8_t *dst)
{
    const uint32_t row = (uint32_t)eng_model_data.stream->row_bytes, t0 = port_ticks();
    uint8_t need[9];
    (void)user;
    (void)dst; /* the band buffer: load_band writes there */
    s.band_lo = (uint32_t)y0 * row;
    s.band_hi = (uint32_t)y1 * row;
    s.loaded[input] = s.band_lo;
    s.band_wait = 1;
    need[0] = (uint8_t)input;
    proto_put_u32(need + 1, s.band_lo);
    proto_put_u32(need + 5, s.band_hi - s.band_lo);
    send_frame(PROTO_NEED, s.infer_seq, PROTO_OK, need, sizeof need);
    while (s.loaded[input] < s.band_hi && !s.band_abort) {
        receive();
    }
    s.band_wait = 0;
    s.wait_ticks += port_ticks() - t0;
    return s.band_abort ? ENG_INPUT_ERROR : ENG_OK;
}

static void cmd_infer(const proto_frame *req)
{
    static const char *const errors[] = {"", "engine: bad arguments", "engine: scratch too small",
                                         "streamed input abandoned: a command other than LOAD came"};
    const eng_model *m = &eng_model_data;
    const eng_hooks hooks = {before_op, after_op, start_tile, stream_rows, 0};
    for (int32_t i = 0; i < m->n_inputs; i++) {
        if (s.loaded[i] != (uint32_t)m->inputs[i].size && !streamed(i)) {
            fail_req(req, PROTO_E_NO_INPUT, "input not completely loaded");
            return;
        }
    }
    if (m->stream) { /* no LOAD started this inference: start the arena high-water mark here */
        paint_arena();
        s.outputs_valid = 0;
    }
    memset(s.op_ticks, 0, sizeof s.op_ticks);
    memset(s.tile_ticks, 0, sizeof s.tile_ticks);
    s.tile = -1;
    s.infer_seq = req->seq;
    s.band_abort = 0;
    s.wait_ticks = 0;
    const uint32_t t0 = port_ticks();
    const eng_status st = eng_run(m, eng_arena, &hooks);
    const uint32_t t1 = port_ticks();
    memset(s.loaded, 0, sizeof s.loaded); /* the arena is reused: the input is gone */
    if (st != ENG_OK) {
        fail_req(req, PROTO_E_ENGINE, errors[st == ENG_INPUT_ERROR ? 3 : st == ENG_SCRATCH_ERROR ? 2 : 1]);
        return;
    }
    const uint32_t hw = arena_high_water();
    s.arena_high_water = hw > s.arena_high_water ? hw : s.arena_high_water;
    s.latency = port_ticks_to_units(t1 - t0 - s.wait_ticks);
    s.outputs_valid = 1;
    s.inferences++;
    proto_put_u32(s.reply, (uint32_t)s.latency);
    proto_put_u32(s.reply + 4, (uint32_t)(s.latency >> 32));
    reply(req, s.reply, 8);
}

static void cmd_read(const proto_frame *req)
{
    const eng_model *m = &eng_model_data;
    if (req->length != 7) {
        fail_req(req, PROTO_E_ARGUMENT, "READ takes u8 output, u32 offset, u16 count");
        return;
    }
    const uint8_t idx = req->payload[0];
    const uint32_t off = proto_get_u32(req->payload + 1), n = proto_get_u16(req->payload + 5);
    if (idx >= m->n_outputs) {
        fail_req(req, PROTO_E_ARGUMENT, "no such output");
        return;
    }
    if (!s.outputs_valid) {
        fail_req(req, PROTO_E_NO_OUTPUT, "no outputs: INFER first");
        return;
    }
    if (n > PROTO_MAX_PAYLOAD || (uint64_t)off + n > (uint64_t)m->outputs[idx].size) {
        fail_req(req, PROTO_E_SIZE, "beyond the output or the frame");
        return;
    }
    reply(req, eng_arena + m->outputs[idx].offset + off, (uint16_t)n);
}

static void cmd_stats(const proto_frame *req)
{
    const uint32_t v[] = {port_stack_high_water(), port_stack_size(), s.arena_high_water,
                          (uint32_t)sizeof eng_arena, port_static_ram_bytes(), port_ram_bytes(),
                          port_heap_used(), s.inferences, s.frames_ok, s.frames_bad, port_uart_overruns()};
    for (uint32_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        proto_put_u32(s.reply + 4 * i, v[i]);
    }
    reply(req, s.reply, (uint16_t)sizeof v);
}

static void cmd_profile(const proto_frame *req)
{
    if (req->length != 3 || req->payload[0] > 1) {
        fail_req(req, PROTO_E_ARGUMENT, "PROFILE takes u8 table (0 ops, 1 tiles), u16 first");
        return;
    }
    const uint32_t *values = req->payload[0] ? s.tile_ticks : s.op_ticks;
    const uint32_t total = req->payload[0] ? (uint32_t)ENG_N_TILES : (uint32_t)ENG_N_OPS;
    const uint32_t first = proto_get_u16(req->payload + 1);
    uint32_t n = 0;
    if (first > total) {
        fail_req(req, PROTO_E_SIZE, "first entry beyond the table");
        return;
    }
    while (first + n < total && 4u + 4u * (n + 1u) <= PROTO_MAX_PAYLOAD) {
        proto_put_u32(s.reply + 4 + 4 * n, (uint32_t)port_ticks_to_units(values[first + n]));
        n++;
    }
    proto_put_u16(s.reply, (uint16_t)total);
    proto_put_u16(s.reply + 2, (uint16_t)n);
    reply(req, s.reply, (uint16_t)(4 + 4 * n));
}

static void handle(const proto_frame *req)
{
    /* A repeated request (the host resends when a reply was lost) gets the same reply again,
     * without running the command twice. HELLO always runs: it starts a session. */
    if (s.has_last && req->type != PROTO_HELLO && req->type == s.last_type && req->seq == s.last_seq) {
        port_uart_write(s.tx, s.tx_n);
        return;
    }
    if (s.band_wait && req->type != PROTO_LOAD) {
        fail_req(req, PROTO_E_BUSY, "INFER was waiting for input rows: it ends, send this again");
        s.band_abort = 1;
        s.has_last = 0;
        return;
    }
    switch (req->type) {
    case PROTO_HELLO:
        reply(req, s.reply, hello_payload(s.reply));
        break;
    case PROTO_INFO:
        cmd_info(req);
        break;
    case PROTO_LOAD:
        cmd_load(req);
        break;
    case PROTO_INFER:
        cmd_infer(req);
        break;
    case PROTO_READ:
        cmd_read(req);
        break;
    case PROTO_STATS:
        cmd_stats(req);
        break;
    case PROTO_PROFILE:
        cmd_profile(req);
        break;
    case PROTO_RESET:
        reply(req, 0, 0);
        port_reset();
    default:
        fail_req(req, PROTO_E_COMMAND, "unknown command");
        break;
    }
    s.has_last = 1;
    s.last_type = req->type;
    s.last_seq = req->seq;
}

static void on_frame(const proto_frame *f, proto_status st)
{
    static const char *const texts[] = {"", "bad CRC", "bad length", "bad frame", "protocol version not supported",
                                        "", "", "", "", "", "", "", "", "frame too long"};
    if (st == PROTO_OK) {
        s.frames_ok++;
        handle(f);
        return;
    }
    s.frames_bad++;
    s.has_last = 0;
    /* A bad version or length came in an intact frame: its type and seq can be trusted. */
    if (st == PROTO_E_VERSION || st == PROTO_E_LENGTH) {
        fail((uint8_t)(f->type | PROTO_REPLY), f->seq, st, texts[st]);
    } else {
        fail(PROTO_ERROR, f->seq, st, texts[st]);
    }
}

/* Whether the bytes since the last delimiter, ended by a '%', are an MLPerf Tiny runner command. */
static int text_command(const proto_rx *rx)
{
    if (rx->too_long || rx->n > MLPERF_MAX_COMMAND) {
        return 0;
    }
    for (size_t i = 0; i < rx->n; i++) {
        if (rx->raw[i] < 0x20 || rx->raw[i] > 0x7E) {
            return 0;
        }
    }
    return 1;
}

static void on_text_command(void)
{
    mlperf_command((const char *)s.rx.raw, s.rx.n);
    s.rx.n = 0;
    /* the runner's inferences reused the arena: nothing the binary side loaded or computed is left */
    memset(s.loaded, 0, sizeof s.loaded);
    s.outputs_valid = 0;
    s.has_last = 0;
}

/* Feeds the received bytes to the decoder, waiting for some if none are left; every complete
 * frame is handled at once. A handler may call receive() itself (a streamed INFER waiting for its
 * rows): it goes on from the next byte, and the outer call then finds the bytes consumed. */
static void receive(void)
{
    if (s.in_pos == s.in_len) {
        s.in_len = port_uart_read(s.in, sizeof s.in);
        s.in_pos = 0;
        if (s.in_len == 0) {
            port_wait_for_rx();
            return;
        }
        if (port_uart_overruns() != s.overruns) { /* bytes were lost: the frame in progress is broken */
            s.overruns = port_uart_overruns();
            s.rx.n = 0;
            s.has_last = 0;
            fail(PROTO_ERROR, 0, PROTO_E_OVERRUN, "receive buffer overrun: bytes lost");
        }
    }
    while (s.in_pos < s.in_len) {
        const uint8_t b = s.in[s.in_pos++];
        proto_frame f;
        proto_status st;
        if (b == '%' && text_command(&s.rx)) {
            if (s.band_wait) { /* the MLPerf runner needs the arena: the streamed INFER ends */
                s.band_abort = 1;
                s.rx.n = 0;
                continue;
            }
            on_text_command();
            continue;
        }
        if (proto_rx_byte(&s.rx, b, &f, &st)) {
            on_frame(&f, st);
        }
    }
}

void server_run(void)
{
    s.overruns = port_uart_overruns();
    s.info_len = info_build(s.info);
    send_frame(PROTO_BOOT, 0, PROTO_OK, s.reply, hello_payload(s.reply));
    port_uart_write((const uint8_t *)"\r\n", 2); /* ends the line for a text (MLPerf Tiny) reader */
    for (;;) {
        receive();
    }
}
