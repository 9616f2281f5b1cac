/* Host runner: the generated model on the PC, for bit-exactness tests and host benchmarks.
 *
 *   runner IN OUT N
 * reads N images from IN (per image, every model input's int8 bytes in model order, IR layout),
 * runs eng_run on each, writes every output's int8 bytes per image to OUT, and prints one JSON
 * object on stdout: per-image and per-op wall time (ns), the arena high-water mark (arena painted
 * before each image, highest changed byte after), and the arena size. A streamed input (plan
 * stream_input) is read into host memory and handed to the engine band by band through the rows
 * hook, as the board's server does over serial.
 */
#define _POSIX_C_SOURCE 199309L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model_data.h"

#ifdef ENG_CALLGRIND_PER_OP /* benchmarks/bench_engine.py: one callgrind dump per op run */
#include <valgrind/callgrind.h>
#define OP_BEGIN(op) do { (void)(op); CALLGRIND_ZERO_STATS; } while (0)
#define OP_END(op) CALLGRIND_DUMP_STATS_AT(eng_model_data.ops[op].name)
#else
#define OP_BEGIN(op) (void)(op)
#define OP_END(op) (void)(op)
#endif

#define PAINT 0xA5

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

typedef struct {
    int64_t start;
    int64_t per_op[4096];
    int8_t *image; /* a streamed input, whole (host memory, not the arena) */
} profile;

static void before(void *user, int32_t op)
{
    OP_BEGIN(op);
    ((profile *)user)->start = now_ns();
}

static void after(void *user, int32_t op)
{
    profile *p = user;
    OP_END(op);
    if (op >= 0 && op < 4096) {
        p->per_op[op] += now_ns() - p->start;
    }
}

static eng_status rows(void *user, int32_t input, int32_t y0, int32_t y1, int8_t *dst)
{
    const eng_stream *sm = eng_model_data.stream;
    (void)input;
    memcpy(dst, ((profile *)user)->image + y0 * sm->row_bytes, (size_t)((y1 - y0) * sm->row_bytes));
    return ENG_OK;
}

static int32_t high_water(const uint8_t *arena, int32_t size)
{
    int32_t i;
    for (i = size; i > 0; i--) {
        if (arena[i - 1] != PAINT) {
            return i;
        }
    }
    return 0;
}

static int run_image(FILE *in, FILE *out, profile *prof, int64_t *ns, int32_t *hw)
{
    const eng_model *m = &eng_model_data;
    eng_hooks hooks = {before, after, 0, rows, prof};
    int32_t i;
    memset(eng_arena, PAINT, sizeof eng_arena);
    for (i = 0; i < m->n_inputs; i++) {
        int8_t *dst = (int8_t *)eng_arena + m->inputs[i].offset;
        if (m->stream && i == m->stream->input) {
            prof->image = prof->image ? prof->image : malloc((size_t)m->inputs[i].size);
            dst = prof->image;
        }
        if (dst == NULL || fread(dst, 1, (size_t)m->inputs[i].size, in) != (size_t)m->inputs[i].size) {
            fprintf(stderr, "runner: short input file\n");
            return 1;
        }
    }
    int64_t t0 = now_ns();
    eng_status s = eng_run(m, eng_arena, &hooks);
    *ns = now_ns() - t0;
    if (s != ENG_OK) {
        fprintf(stderr, "runner: eng_run failed with status %d\n", (int)s);
        return 1;
    }
    *hw = high_water(eng_arena, (int32_t)sizeof eng_arena);
    for (i = 0; i < m->n_outputs; i++) {
        fwrite(eng_arena + m->outputs[i].offset, 1, (size_t)m->outputs[i].size, out);
    }
    return 0;
}

int main(int argc, char **argv)
{
    const eng_model *m = &eng_model_data;
    static profile prof;
    if (argc != 4) {
        fprintf(stderr, "usage: %s IN OUT N\n", argv[0]);
        return 2;
    }
    FILE *in = fopen(argv[1], "rb"), *out = fopen(argv[2], "wb");
    int n = atoi(argv[3]), k, hw_max = 0, rc = 0;
    if (!in || !out || m->n_ops > 4096) {
        fprintf(stderr, "runner: cannot open files\n");
        return 2;
    }
    printf("{\"model\": \"%s\", \"arena_size\": %d, \"plan_peak\": %d, \"staging_size\": %d, \"per_image_ns\": [",
           m->name, (int)m->arena_size, (int)m->plan_peak, (int)m->staging_size);
    for (k = 0; k < n && rc == 0; k++) {
        int64_t ns = 0;
        int32_t hw = 0;
        rc = run_image(in, out, &prof, &ns, &hw);
        hw_max = hw > hw_max ? hw : hw_max;
        printf("%s%lld", k ? ", " : "", (long long)ns);
    }
    printf("], \"arena_high_water\": %d, \"per_op_ns\": [", hw_max);
    for (k = 0; k < m->n_ops; k++) {
        printf("%s%lld", k ? ", " : "", (long long)(n ? prof.per_op[k] / n : 0));
    }
    printf("]}\n");
    fclose(in);
    fclose(out);
    return rc;
}
