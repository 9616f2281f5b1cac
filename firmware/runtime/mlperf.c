/* The MLPerf Tiny runner's protocol (see mlperf.h). Inferences run the same engine on the same arena
 * as INFER; the runner loads input 0 as hex, `infer N W` times N inferences after W warm-ups and
 * prints the first inference's output 0, dequantized, as the results (the arena is reused by every
 * inference, so only the first sees the loaded input; the timing is the same for all). */
#include "mlperf.h"

#include <string.h>

#include "model_data.h"
#include "port.h"

#define RESULTS_MAX 1024 /* output bytes kept for `results` (MLPerf Tiny's largest output: 640) */

static struct {
    uint32_t expected, loaded;
    uint8_t results[RESULTS_MAX];
    uint32_t n_results;
} m;

static void out(const char *s)
{
    port_uart_write((const uint8_t *)s, strlen(s));
}

static void out_uint(uint64_t v)
{
    char buf[21];
    int i = (int)sizeof buf - 1;
    buf[i] = '\0';
    do {
        buf[--i] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v);
    out(buf + i);
}

/* A float with three decimals, no printf. */
static void out_fixed3(float x)
{
    const int neg = x < 0.0f;
    const float mag = neg ? -x : x;
    const uint64_t milli = (uint64_t)(mag * 1000.0f + 0.5f);
    if (neg && milli) {
        out("-");
    }
    out_uint(milli / 1000u);
    out(".");
    const char digits[4] = {(char)('0' + milli / 100u % 10u), (char)('0' + milli / 10u % 10u),
                            (char)('0' + milli % 10u), '\0'};
    out(digits);
}

static int parse_uint(const char **p, uint32_t *v)
{
    while (**p == ' ') {
        (*p)++;
    }
    if (**p < '0' || **p > '9') {
        return 0;
    }
    *v = 0;
    while (**p >= '0' && **p <= '9') {
        *v = *v * 10u + (uint32_t)(*(*p)++ - '0');
    }
    return 1;
}

static int hex(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static void db(const char *arg)
{
    const eng_io *in = &eng_model_data.inputs[0];
    uint32_t n;
    if (strncmp(arg, "load", 4) == 0) {
        const char *p = arg + 4;
        if (eng_model_data.stream) { /* the arena holds one band of the input, not the image */
            out("e-[db load: this firmware streams its input over the binary protocol; deploy with "
                "--stream-input never for the MLPerf Tiny runner]\r\n");
            return;
        }
        if (!parse_uint(&p, &n) || n != (uint32_t)in->size) {
            out("e-[db load: the model's input is ");
            out_uint((uint32_t)in->size);
            out(" bytes]\r\n");
            return;
        }
        m.expected = n;
        m.loaded = 0;
        out("m-[Expecting ");
        out_uint(n);
        out(" bytes]\r\n");
        return;
    }
    for (const char *p = arg; p[0] && p[1]; p += 2) {
        const int hi = hex(p[0]), lo = hex(p[1]);
        if (hi < 0 || lo < 0 || m.loaded >= m.expected) {
            out("e-[db: bad hex or more bytes than db load announced]\r\n");
            return;
        }
        eng_arena[in->offset + (int32_t)m.loaded++] = (uint8_t)(hi << 4 | lo);
    }
    if (m.expected && m.loaded == m.expected) {
        out("m-load-done\r\n");
    }
}

static void results(void)
{
    const eng_io *o = &eng_model_data.outputs[0];
    out("m-results-[");
    for (uint32_t i = 0; i < m.n_results; i++) {
        if (i) {
            out(",");
        }
        out_fixed3(((float)(int8_t)m.results[i] - (float)o->zero_point) * o->scale);
    }
    out("]\r\n");
}

static void infer(const char *arg)
{
    uint32_t n = 1, warmups = 0;
    const char *p = arg;
    if (!parse_uint(&p, &n) || n == 0) {
        out("e-[infer N [W]: N >= 1]\r\n");
        return;
    }
    (void)parse_uint(&p, &warmups);
    if (!m.expected || m.loaded != m.expected) {
        out("e-[infer: no input loaded (db load N, then db <hex>)]\r\n");
        return;
    }
    const eng_io *o = &eng_model_data.outputs[0];
    m.n_results = (uint32_t)o->size < RESULTS_MAX ? (uint32_t)o->size : RESULTS_MAX;
    out("m-warmup-start-");
    out_uint(warmups);
    out("\r\n");
    for (uint32_t i = 0; i < warmups + n; i++) {
        if (i == warmups) {
            out("m-warmup-done\r\nm-infer-start-");
            out_uint(n);
            out("\r\nm-lap-us-");
            out_uint(port_ticks_to_us(port_ticks()));
            out("\r\n");
        }
        if (eng_run(&eng_model_data, eng_arena, 0) != ENG_OK) {
            out("e-[infer: the engine failed]\r\n");
            return;
        }
        if (i == 0) { /* the only run that saw the loaded input */
            memcpy(m.results, eng_arena + o->offset, m.n_results);
        }
    }
    out("m-lap-us-");
    out_uint(port_ticks_to_us(port_ticks()));
    out("\r\nm-infer-done\r\n");
    results();
    m.loaded = 0; /* consumed */
}

void mlperf_command(const char *cmd, size_t n)
{
    char buf[MLPERF_MAX_COMMAND + 1];
    if (n > MLPERF_MAX_COMMAND) {
        out("e-[command too long]\r\nm-ready\r\n");
        return;
    }
    memcpy(buf, cmd, n);
    buf[n] = '\0';
    const char *c = buf;
    while (*c == ' ') {
        c++;
    }
    if (strcmp(c, "name") == 0) {
        out("m-name-dut-[tinyml-toolkit ");
        out(port_board_name);
        out("]\r\n");
    } else if (strcmp(c, "profile") == 0) {
        out("m-profile-[ULPMark for tinyML Firmware V0.0.1]\r\n");
        out("m-model-[");
        out(eng_model_data.name);
        out("]\r\n");
    } else if (strncmp(c, "db ", 3) == 0) {
        db(c + 3);
    } else if (strncmp(c, "infer", 5) == 0) {
        infer(c + 5);
    } else if (strcmp(c, "results") == 0) {
        results();
    } else if (*c) {
        out("e-[unknown command: ");
        out(c);
        out("]\r\n");
    }
    out("m-ready\r\n");
}
