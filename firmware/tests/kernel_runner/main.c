/* Kernel test runner: reads test vectors written by tests/kernel_vectors.py (golden outputs from
 * toolkit/golden.py), runs each case through the engine kernel the build links (reference or DSP)
 * and compares the int8 output element by element.
 *
 * Usage: kernel_runner <vectors.bin> [-v] [-s]   (under QEMU the file is opened through semihosting;
 *        -v prints a "CASE i op" line before each case; -s runs the kernels that take views (conv,
 *        depthwise, in-place depthwise, max and average pool, pad) on views: input and output rows
 *        further apart than w * c, the bytes between them filled with a sentinel the kernel must
 *        leave alone, as a patch tile's regions inside wider buffers)
 * Prints one line per failing case and a final "RESULT cases=N pass=P fail=F skip=S"; exit status 0
 * iff no case failed. Every kernel array is copied into its own exact-size heap block and the scratch
 * is exactly *_scratch_size() bytes, so AddressSanitizer sees any out-of-bounds access. The expected
 * output is not loaded: it is streamed from the file and compared chunk by chunk after the kernel
 * ran, so that a case needs only its inputs + output in RAM (the F746 has 320 KB). A case whose
 * blocks the heap cannot hold (malloc returns NULL: only on a small target) is reported as
 * "SKIP case i op k: out of memory, needs N bytes" and counted in skip=, never as a pass.
 *
 * File format (little endian): "EKTV", u32 version (1), u32 number of cases; per case
 *   u32 op, i32 ints[24], f32 floats[4], u32 n_arrays, then n_arrays x { u32 type (1 i8, 2 i32,
 *   3 f32), u32 count, data padded to 4 bytes }. The meaning of ints/floats/arrays per op is the
 *   one written by tests/kernel_vectors.py (see the OP_* cases below). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_kernels.h"

enum { OP_CONV = 1, OP_DEPTHWISE, OP_FC, OP_ADD, OP_MAXPOOL, OP_AVGPOOL, OP_PAD, OP_REQUANT, OP_CONCAT,
       OP_DEPTHWISE_INPLACE, OP_LUT, OP_MUL, OP_RESIZE, OP_SLICE,
       OP_SOFTMAX, OP_CONV_TRANSPOSE, OP_AVGPOOL2D, OP_TRANSPOSE, OP_CONV_AVGPOOL };
enum { N_INTS = 24, N_FLOATS = 4, MAX_ARRAYS = 40 };

typedef struct {
    uint32_t type, count;
    void *data; /* own heap block, exact size (NULL when count is 0) */
} array_t;

typedef struct {
    uint32_t op;
    uint32_t need;     /* bytes of heap the case asked for */
    int oom;           /* a block could not be allocated: the case is skipped */
    int32_t stray;     /* -s: sentinel bytes between the output's rows the kernel overwrote */
    int32_t ints[N_INTS];
    float floats[N_FLOATS];
    uint32_t n_arrays;
    array_t arrays[MAX_ARRAYS];
} case_t;

static int read_u32(FILE *f, uint32_t *v)
{
    uint8_t b[4];
    if (fread(b, 1, 4, f) != 4) {
        return 0;
    }
    *v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    return 1;
}

static void free_case(case_t *c)
{
    for (uint32_t i = 0; i < c->n_arrays; i++) {
        free(c->arrays[i].data);
        c->arrays[i].data = NULL;
    }
    c->n_arrays = 0;
}

static int skip_bytes(FILE *f, size_t n)
{
    uint8_t tmp[256];
    while (n) {
        const size_t k = n < sizeof tmp ? n : sizeof tmp;
        if (fread(tmp, 1, k, f) != k) {
            return 0;
        }
        n -= k;
    }
    return 1;
}

/* Reads a case up to the data of its last array (the expected output), which stays in the file. */
static int read_case(FILE *f, case_t *c)
{
    uint32_t v;
    memset(c, 0, sizeof *c);
    if (!read_u32(f, &c->op)) {
        return 0;
    }
    for (int i = 0; i < N_INTS; i++) {
        if (!read_u32(f, &v)) {
            return 0;
        }
        c->ints[i] = (int32_t)v;
    }
    for (int i = 0; i < N_FLOATS; i++) {
        if (!read_u32(f, &v)) {
            return 0;
        }
        memcpy(&c->floats[i], &v, sizeof v);
    }
    if (!read_u32(f, &c->n_arrays) || c->n_arrays > MAX_ARRAYS) {
        return 0;
    }
    for (uint32_t a = 0; a < c->n_arrays; a++) {
        array_t *arr = &c->arrays[a];
        if (!read_u32(f, &arr->type) || !read_u32(f, &arr->count)) {
            return 0;
        }
        const size_t elem = arr->type == 1 ? 1 : 4;
        const size_t bytes = elem * arr->count, padded = (bytes + 3) & ~(size_t)3;
        if (a + 1 == c->n_arrays) {
            return arr->type == 1; /* expected output: int8, streamed by compare_expected() */
        }
        if (arr->count) {
            c->need += (uint32_t)bytes;
            arr->data = c->oom ? NULL : malloc(bytes);
            if (arr->data == NULL) {
                c->oom = 1;
                if (!skip_bytes(f, padded)) {
                    return 0;
                }
                continue;
            }
            if (fread(arr->data, 1, bytes, f) != bytes) {
                return 0;
            }
        }
        if (!skip_bytes(f, padded - bytes)) {
            return 0;
        }
    }
    return 0; /* no expected array */
}

/* Compares `out` (NULL: only skip) with the expected output in the file; *bad, *first, got/want. */
static int compare_expected(FILE *f, const int8_t *out, uint32_t count, int32_t *bad, int32_t *first,
                            int8_t *got, int8_t *want)
{
    int8_t tmp[256];
    *bad = 0;
    *first = -1;
    for (uint32_t done = 0; done < count;) {
        const uint32_t k = count - done < sizeof tmp ? count - done : (uint32_t)sizeof tmp;
        if (fread(tmp, 1, k, f) != k) {
            return 0;
        }
        for (uint32_t j = 0; out != NULL && j < k; j++) {
            if (out[done + j] != tmp[j]) {
                if (*first < 0) {
                    *first = (int32_t)(done + j);
                    *got = out[done + j];
                    *want = tmp[j];
                }
                (*bad)++;
            }
        }
        done += k;
    }
    return skip_bytes(f, (4 - count % 4) % 4);
}

static eng_tensor tensor(int8_t *data, const int32_t *dims)
{
    eng_tensor t;
    t.data = data;
    t.h = dims[0];
    t.w = dims[1];
    t.c = dims[2];
    t.row = t.w * t.c;
    return t;
}

enum { SENTINEL = 0x5A };
static int views; /* -s */

/* -s: t moved into a new exact-size block whose rows are row bytes apart, the bytes between rows
 * SENTINEL (the data copied when copy, else SENTINEL too). 0 if the block cannot be allocated. */
static int to_view(case_t *c, eng_tensor *t, int32_t row, int copy)
{
    const size_t bytes = (size_t)((t->h - 1) * row + t->w * t->c);
    int8_t *blk = (int8_t *)malloc(bytes);
    c->need += (uint32_t)bytes;
    if (blk == NULL) {
        c->oom = 1;
        return 0;
    }
    memset(blk, SENTINEL, bytes);
    for (int32_t y = 0; copy && y < t->h; y++) {
        memcpy(blk + y * row, t->data + y * t->row, (size_t)(t->w * t->c));
    }
    t->data = blk;
    t->row = row;
    return 1;
}

/* -s: the view's rows copied into dense (when not NULL), the SENTINEL bytes between one row's
 * w * c bytes and the next row counted in c->stray; the block freed. */
static void from_view(case_t *c, eng_tensor *t, int8_t *dense)
{
    for (int32_t y = 0; y < t->h; y++) {
        const int8_t *r = t->data + y * t->row;
        if (dense != NULL) {
            memcpy(dense + y * t->w * t->c, r, (size_t)(t->w * t->c));
        }
        for (int32_t i = t->w * t->c; y + 1 < t->h && i < t->row; i++) {
            c->stray += r[i] != SENTINEL;
        }
    }
    free(t->data);
    t->data = NULL;
}

/* -s: the views' row pitch: three pixels and one byte more than the wider of the two rows (an
 * odd pitch for odd channel counts, so that rows start unaligned as they may in a tile). */
static int32_t view_row(const eng_tensor *in, const eng_tensor *out)
{
    const int32_t wide = in->w * in->c > out->w * out->c ? in->w * in->c : out->w * out->c;
    return wide + 3 * in->c + 1;
}

static int takes_views(uint32_t op)
{
    return op == OP_CONV || op == OP_DEPTHWISE || op == OP_MAXPOOL || op == OP_AVGPOOL2D || op == OP_PAD;
}

/* -s and a kernel that takes views: in and out moved to views (0: out of memory). */
static int view_begin(case_t *c, eng_tensor *in, eng_tensor *out)
{
    if (!views || !takes_views(c->op)) {
        return 1;
    }
    const int32_t row = view_row(in, out);
    if (!to_view(c, in, row, 1)) {
        return 0;
    }
    if (!to_view(c, out, row, 0)) {
        free(in->data);
        return 0;
    }
    return 1;
}

/* After the kernel: the output view's rows into dense, its sentinels checked, both views freed. */
static void view_end(case_t *c, eng_tensor *in, eng_tensor *out, int8_t *dense)
{
    if (!views || !takes_views(c->op)) {
        return;
    }
    from_view(c, out, dense);
    free(in->data);
}

static eng_pads pads(const int32_t *p)
{
    eng_pads q;
    q.top = (int16_t)p[0];
    q.left = (int16_t)p[1];
    q.bottom = (int16_t)p[2];
    q.right = (int16_t)p[3];
    return q;
}

static eng_qparam qp(int32_t zp, float scale)
{
    eng_qparam q;
    q.zero_point = zp;
    q.scale = scale;
    return q;
}

static int8_t *i8(case_t *c, uint32_t a)
{
    return (int8_t *)c->arrays[a].data;
}

/* A kernel's scratch, `need` bytes (none: NULL), counted in the case's memory; 0 when out of memory. */
static int alloc_scratch(case_t *c, eng_ctx *ctx, int32_t need)
{
    ctx->buf = need ? malloc((size_t)need) : NULL;
    ctx->size = need;
    c->need += (uint32_t)need;
    if (need && ctx->buf == NULL) {
        c->oom = 1;
        return 0;
    }
    return 1;
}

/* ints: kh kw sh sw dh dw | pads t l b r | in_off out_zp act_min act_max; array 3: the multipliers */
static eng_conv_params conv_params(const case_t *c)
{
    const int32_t *n = c->ints;
    eng_conv_params p;
    p.kernel_h = (int16_t)n[0];
    p.kernel_w = (int16_t)n[1];
    p.stride_h = (int16_t)n[2];
    p.stride_w = (int16_t)n[3];
    p.dilation_h = (int16_t)n[4];
    p.dilation_w = (int16_t)n[5];
    p.pads = pads(n + 6);
    p.input_offset = n[10];
    p.output_zero_point = n[11];
    p.act_min = n[12];
    p.act_max = n[13];
    p.multiplier = (const float *)c->arrays[3].data;
    return p;
}

/* Runs the case into a fresh exact-size output block; returns the kernel status, *out the block. */
static eng_status run_case(case_t *c, int8_t **out, int32_t *out_len)
{
    const int32_t *n = c->ints;
    const float *fl = c->floats;
    eng_ctx ctx = {NULL, 0};
    eng_status st = ENG_ARG_ERROR;
    int32_t need = 0;
    uint32_t expected = c->n_arrays - 1;
    *out_len = (int32_t)c->arrays[expected].count;
    c->need += (uint32_t)*out_len;
    *out = c->oom ? NULL : (int8_t *)malloc((size_t)*out_len);
    if (*out == NULL) {
        c->oom = 1;
        return ENG_OK;
    }
    memset(*out, 0x5A, (size_t)*out_len);

    switch (c->op) {
    case OP_CONV:
    case OP_DEPTHWISE:
    case OP_DEPTHWISE_INPLACE:
    case OP_CONV_TRANSPOSE: {
        /* ints: kh kw sh sw dh dw | pads t l b r | in_off out_zp act_min act_max | in hwc | out hwc
         * arrays: input, filter, bias (count 0: NULL), multiplier, expected */
        eng_conv_params p = conv_params(c);
        eng_tensor in = tensor(i8(c, 0), n + 14), o = tensor(*out, n + 17);
        need = c->op == OP_CONV             ? eng_conv_s8_scratch_size(&p, &in, &o)
               : c->op == OP_DEPTHWISE      ? eng_depthwise_s8_scratch_size(&p, &in, &o)
               : c->op == OP_CONV_TRANSPOSE ? eng_conv_transpose_s8_scratch_size(&p, &in, &o)
                                            : eng_depthwise_inplace_s8_scratch_size(&p, &in, &o);
        if (!alloc_scratch(c, &ctx, need)) {
            break;
        }
        const int32_t *bias = (const int32_t *)c->arrays[2].data;
        if (c->op == OP_DEPTHWISE_INPLACE && views) {
            /* in place on views: input and output from the same start with the same pitch, a
             * whole number of pixels (the kernel's condition), in a block as tall as the taller;
             * the bytes past both rows hold SENTINEL */
            const int32_t pitch = (view_row(&in, &o) / in.c + 1) * in.c;
            eng_tensor blk = in;
            blk.h = in.h > o.h ? in.h : o.h;
            blk.w = in.w > o.w ? in.w : o.w;
            if (!to_view(c, &blk, pitch, 0)) {
                break;
            }
            for (int32_t y = 0; y < in.h; y++) {
                memcpy(blk.data + y * pitch, in.data + y * in.row, (size_t)in.row);
            }
            in.data = o.data = blk.data;
            in.row = o.row = pitch;
            st = eng_depthwise_inplace_s8(&ctx, &p, &in, i8(c, 1), bias, &o);
            for (int32_t y = 0; y < o.h; y++) {
                memcpy(*out + y * o.w * o.c, o.data + y * pitch, (size_t)(o.w * o.c));
            }
            from_view(c, &blk, NULL);
            break;
        }
        if (c->op == OP_DEPTHWISE_INPLACE) {
            /* In place: the output is written over the input from the same start, in the input's
             * own exact-size block (or a copy in a block of the output's size when that is larger);
             * the result is then copied out for the comparison. */
            const int32_t in_len = in.h * in.w * in.c;
            int8_t *blk = in.data;
            if (*out_len > in_len) {
                blk = (int8_t *)malloc((size_t)*out_len);
                c->need += (uint32_t)*out_len;
                if (blk == NULL) {
                    c->oom = 1;
                    break;
                }
                memset(blk, 0x5A, (size_t)*out_len);
                memcpy(blk, in.data, (size_t)in_len);
            }
            in.data = blk;
            o.data = blk;
            st = eng_depthwise_inplace_s8(&ctx, &p, &in, i8(c, 1), bias, &o);
            memcpy(*out, blk, (size_t)*out_len);
            if (blk != i8(c, 0)) {
                free(blk);
            }
            break;
        }
        if (!view_begin(c, &in, &o)) {
            break;
        }
        st = c->op == OP_CONV             ? eng_conv_s8(&ctx, &p, &in, i8(c, 1), bias, &o)
             : c->op == OP_CONV_TRANSPOSE ? eng_conv_transpose_s8(&ctx, &p, &in, i8(c, 1), bias, &o)
                                          : eng_depthwise_s8(&ctx, &p, &in, i8(c, 1), bias, &o);
        view_end(c, &in, &o, *out);
        break;
    }
    case OP_CONV_AVGPOOL: {
        /* ints: the conv's (1x1) | in hwc | out hwc (1 1 c) | pool zpi zpo; floats: pool si so;
         * arrays: input, filter, bias (count 0: NULL), multiplier, expected */
        eng_conv_avgpool_params p;
        p.conv = conv_params(c);
        p.pool.input = qp(n[20], fl[0]);
        p.pool.output = qp(n[21], fl[1]);
        eng_tensor in = tensor(i8(c, 0), n + 14), o = tensor(*out, n + 17);
        if (!alloc_scratch(c, &ctx, eng_conv_avgpool_s8_scratch_size(&p, &in, &o))) {
            break;
        }
        st = eng_conv_avgpool_s8(&ctx, &p, &in, i8(c, 1), (const int32_t *)c->arrays[2].data, &o);
        break;
    }
    case OP_FC: {
        /* ints: in_off out_zp act_min act_max | in hwc | out hwc; arrays: input, filter, bias, mult, expected */
        eng_fc_params p;
        p.input_offset = n[0];
        p.output_zero_point = n[1];
        p.act_min = n[2];
        p.act_max = n[3];
        p.multiplier = (const float *)c->arrays[3].data;
        eng_tensor in = tensor(i8(c, 0), n + 4), o = tensor(*out, n + 7);
        if (!alloc_scratch(c, &ctx, eng_fc_s8_scratch_size(&p, &in, &o))) {
            break;
        }
        st = eng_fc_s8(&ctx, &p, &in, i8(c, 1), (const int32_t *)c->arrays[2].data, &o);
        break;
    }
    case OP_ADD: {
        /* ints: zp1 zp2 zpo | hwc; floats: s1 s2 so; arrays: in1, in2, expected */
        eng_add_params p;
        p.input1 = qp(n[0], fl[0]);
        p.input2 = qp(n[1], fl[1]);
        p.output = qp(n[2], fl[2]);
        eng_tensor a = tensor(i8(c, 0), n + 3), b = tensor(i8(c, 1), n + 3), o = tensor(*out, n + 3);
        st = eng_add_s8(&ctx, &p, &a, &b, &o);
        break;
    }
    case OP_MUL: {
        /* ints: zp1 zp2 zpo | in1 hwc | in2 hwc (the same, or 1 1 C); floats: s1 s2 so; arrays: in1, in2, expected */
        eng_mul_params p;
        p.input1 = qp(n[0], fl[0]);
        p.input2 = qp(n[1], fl[1]);
        p.output = qp(n[2], fl[2]);
        eng_tensor a = tensor(i8(c, 0), n + 3), b = tensor(i8(c, 1), n + 6), o = tensor(*out, n + 3);
        st = eng_mul_s8(&ctx, &p, &a, &b, &o);
        break;
    }
    case OP_RESIZE: {
        /* ints: linear zp_in zp_out | in hwc | out hwc; floats: s_in s_out;
         * arrays: input, y1 y2 x1 x2 (int16 as bytes), dy1 dy2 dx1 dx2 (float), expected */
        eng_resize_params p;
        p.linear = n[0];
        p.input = qp(n[1], fl[0]);
        p.output = qp(n[2], fl[1]);
        p.y1 = (const int16_t *)c->arrays[1].data;
        p.y2 = (const int16_t *)c->arrays[2].data;
        p.x1 = (const int16_t *)c->arrays[3].data;
        p.x2 = (const int16_t *)c->arrays[4].data;
        p.dy1 = (const float *)c->arrays[5].data;
        p.dy2 = (const float *)c->arrays[6].data;
        p.dx1 = (const float *)c->arrays[7].data;
        p.dx2 = (const float *)c->arrays[8].data;
        eng_tensor in = tensor(i8(c, 0), n + 3), o = tensor(*out, n + 6);
        st = eng_resize_s8(&ctx, &p, &in, &o);
        break;
    }
    case OP_TRANSPOSE: {
        /* ints: perm[3] zp_in zp_out | in hwc | out hwc; floats: s_in s_out; arrays: input, expected */
        eng_transpose_params p;
        memcpy(p.perm, n, sizeof p.perm);
        p.input = qp(n[3], fl[0]);
        p.output = qp(n[4], fl[1]);
        eng_tensor in = tensor(i8(c, 0), n + 5), o = tensor(*out, n + 8);
        st = eng_transpose_s8(&ctx, &p, &in, &o);
        break;
    }
    case OP_SLICE: {
        /* ints: start step zp_in zp_out | in hwc | out hwc; floats: s_in s_out; arrays: input, expected */
        eng_slice_params p;
        p.start = n[0];
        p.step = n[1];
        p.input = qp(n[2], fl[0]);
        p.output = qp(n[3], fl[1]);
        eng_tensor in = tensor(i8(c, 0), n + 4), o = tensor(*out, n + 7);
        st = eng_slice_s8(&ctx, &p, &in, &o);
        break;
    }
    case OP_SOFTMAX: {
        /* ints: zp_out | in hwc | out hwc; floats: s_out; arrays: input, exp table (float), expected */
        eng_softmax_params p;
        p.exp = (const float *)c->arrays[1].data;
        p.output = qp(n[0], fl[0]);
        eng_tensor in = tensor(i8(c, 0), n + 1), o = tensor(*out, n + 4);
        st = eng_softmax_s8(&ctx, &p, &in, &o);
        break;
    }
    case OP_AVGPOOL2D: {
        /* ints: kh kw sh sw | pads t l b r | count_include_pad zpi zpo | in hwc | out hwc; floats: si so */
        eng_avgpool2d_params p;
        p.kernel_h = (int16_t)n[0];
        p.kernel_w = (int16_t)n[1];
        p.stride_h = (int16_t)n[2];
        p.stride_w = (int16_t)n[3];
        p.pads = pads(n + 4);
        p.count_include_pad = n[8];
        p.input = qp(n[9], fl[0]);
        p.output = qp(n[10], fl[1]);
        eng_tensor in = tensor(i8(c, 0), n + 11), o = tensor(*out, n + 14);
        if (!view_begin(c, &in, &o)) {
            break;
        }
        st = eng_avgpool2d_s8(&ctx, &p, &in, &o);
        view_end(c, &in, &o, *out);
        break;
    }
    case OP_MAXPOOL: {
        /* ints: kh kw sh sw | pads t l b r | zpi zpo | in hwc | out hwc; floats: si so */
        eng_maxpool_params p;
        p.kernel_h = (int16_t)n[0];
        p.kernel_w = (int16_t)n[1];
        p.stride_h = (int16_t)n[2];
        p.stride_w = (int16_t)n[3];
        p.pads = pads(n + 4);
        p.input = qp(n[8], fl[0]);
        p.output = qp(n[9], fl[1]);
        eng_tensor in = tensor(i8(c, 0), n + 10), o = tensor(*out, n + 13);
        if (!view_begin(c, &in, &o)) {
            break;
        }
        st = eng_maxpool_s8(&ctx, &p, &in, &o);
        view_end(c, &in, &o, *out);
        break;
    }
    case OP_AVGPOOL: {
        /* ints: zpi zpo | in hwc | out hwc; floats: si so */
        eng_avgpool_params p;
        p.input = qp(n[0], fl[0]);
        p.output = qp(n[1], fl[1]);
        eng_tensor in = tensor(i8(c, 0), n + 2), o = tensor(*out, n + 5);
        st = eng_avgpool_s8(&ctx, &p, &in, &o);
        break;
    }
    case OP_PAD: {
        /* ints: pads t l b r | c_before c_after | zpi zpo | in hwc | out hwc; floats: si so */
        eng_pad_params p;
        p.pads = pads(n);
        p.channels_before = n[4];
        p.channels_after = n[5];
        p.input = qp(n[6], fl[0]);
        p.output = qp(n[7], fl[1]);
        eng_tensor in = tensor(i8(c, 0), n + 8), o = tensor(*out, n + 11);
        if (!view_begin(c, &in, &o)) {
            break;
        }
        st = eng_pad_s8(&ctx, &p, &in, &o);
        view_end(c, &in, &o, *out);
        break;
    }
    case OP_REQUANT: {
        /* ints: zpi zpo act_min act_max in_place | in hwc | out hwc; floats: si so */
        eng_requant_params p;
        p.input = qp(n[0], fl[0]);
        p.output = qp(n[1], fl[1]);
        p.act_min = n[2];
        p.act_max = n[3];
        eng_tensor in = tensor(i8(c, 0), n + 5), o = tensor(*out, n + 8);
        if (n[4]) { /* in place: the output block starts as a copy of the input */
            memcpy(*out, in.data, (size_t)*out_len);
            in.data = *out;
        }
        st = eng_requant_s8(&ctx, &p, &in, &o);
        break;
    }
    case OP_LUT: {
        /* ints: tables in_place | in hwc | out hwc; arrays: input, tables x 256 */
        eng_lut_params p;
        p.table = i8(c, 1);
        p.tables = n[0];
        eng_tensor in = tensor(i8(c, 0), n + 2), o = tensor(*out, n + 5);
        if (n[1]) {
            memcpy(*out, in.data, (size_t)*out_len);
            in.data = *out;
        }
        st = eng_lut_s8(&ctx, &p, &in, &o);
        break;
    }
    case OP_CONCAT: {
        /* ints: axis zpo n_inputs | out hwc; floats: so; arrays: per input {data, meta i32[5] = h w c zp
         * offset, scale f32[1]}, expected */
        const int32_t count = n[2];
        eng_tensor o = tensor(*out, n + 3);
        st = ENG_OK;
        for (int32_t i = 0; i < count && st == ENG_OK; i++) {
            const int32_t *meta = (const int32_t *)c->arrays[3 * i + 1].data;
            const float *scale = (const float *)c->arrays[3 * i + 2].data;
            eng_concat_params p;
            p.axis = n[0];
            p.offset = meta[4];
            p.input = qp(meta[3], scale[0]);
            p.output = qp(n[1], fl[0]);
            eng_tensor in = tensor(i8(c, (uint32_t)(3 * i)), meta);
            st = eng_concat_s8(&ctx, &p, &in, &o);
        }
        break;
    }
    default:
        break;
    }
    free(ctx.buf);
    return st;
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "kernel_vectors.bin";
    FILE *f = fopen(path, "rb");
    uint32_t magic = 0, version = 0, ncases = 0;
    if (f == NULL || !read_u32(f, &magic) || magic != 0x56544B45u /* "EKTV" */ || !read_u32(f, &version) ||
        version != 1 || !read_u32(f, &ncases)) {
        printf("ERROR cannot read test vectors from %s\n", path);
        return 2;
    }
    static case_t c;
    int verbose = 0;
    for (int a = 2; a < argc; a++) {
        verbose |= strcmp(argv[a], "-v") == 0;
        views |= strcmp(argv[a], "-s") == 0;
    }
    uint32_t pass = 0, fail = 0, skip = 0;
    for (uint32_t i = 0; i < ncases; i++) {
        if (!read_case(f, &c)) {
            printf("ERROR truncated vector file at case %lu\n", (unsigned long)i);
            free_case(&c);
            return 2;
        }
        if (verbose) {
            printf("CASE %lu op %lu\n", (unsigned long)i, (unsigned long)c.op);
            fflush(stdout);
        }
        int8_t *out = NULL;
        int32_t len = 0;
        const eng_status st = c.oom ? ENG_OK : run_case(&c, &out, &len);
        int32_t bad = 0, first = -1;
        int8_t got = 0, want = 0;
        if (!compare_expected(f, c.oom || st != ENG_OK ? NULL : out, c.arrays[c.n_arrays - 1].count, &bad, &first,
                              &got, &want)) {
            printf("ERROR truncated vector file at case %lu\n", (unsigned long)i);
            return 2;
        }
        if (c.oom) {
            skip++;
            printf("SKIP case %lu op %lu: out of memory, needs %lu bytes\n", (unsigned long)i, (unsigned long)c.op,
                   (unsigned long)c.need);
        } else if (st != ENG_OK || bad || c.stray) {
            fail++;
            if (st != ENG_OK) {
                printf("FAIL case %lu op %lu: status %d\n", (unsigned long)i, (unsigned long)c.op, (int)st);
            } else if (c.stray) {
                printf("FAIL case %lu op %lu: %ld bytes written between the output view's rows\n",
                       (unsigned long)i, (unsigned long)c.op, (long)c.stray);
            } else {
                printf("FAIL case %lu op %lu: %ld of %ld differ, first at %ld: got %d want %d\n", (unsigned long)i,
                       (unsigned long)c.op, (long)bad, (long)len, (long)first, got, want);
            }
        } else {
            pass++;
        }
        free(out);
        free_case(&c);
    }
    fclose(f);
    printf("RESULT cases=%lu pass=%lu fail=%lu skip=%lu\n", (unsigned long)ncases, (unsigned long)pass,
           (unsigned long)fail, (unsigned long)skip);
    return fail ? 1 : 0;
}
