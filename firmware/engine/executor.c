/* The executor: a switch over op kinds calling the kernels; see engine_executor.h. */
#include "engine_executor.h"

#include <string.h>

#define ENG_MAX_INPUTS 8

/* h x w x c at arena + offset, rows `row` bytes apart (w * c: dense). */
static eng_tensor view(uint8_t *arena, int32_t offset, int32_t h, int32_t w, int32_t c, int32_t row)
{
    eng_tensor t;
    t.data = (int8_t *)(arena + offset);
    t.h = h;
    t.w = w;
    t.c = c;
    t.row = row;
    return t;
}

static int dense(const eng_tensor *t)
{
    return t->row == t->w * t->c;
}

/* The kinds whose kernels take views (rows further apart than w * c); see engine_kernels.h. */
static int takes_views(eng_op_kind kind)
{
    return kind == ENG_OP_CONV || kind == ENG_OP_DEPTHWISE || kind == ENG_OP_DEPTHWISE_INPLACE ||
           kind == ENG_OP_MAXPOOL || kind == ENG_OP_AVGPOOL2D || kind == ENG_OP_PAD;
}

/* One eng_concat_s8 call per input; params is an array of n_inputs entries (offset per input). */
static eng_status run_concat(const eng_op *op, const eng_ctx *ctx, const eng_tensor *in, eng_tensor *out)
{
    const eng_concat_params *p = (const eng_concat_params *)op->params;
    int32_t i;
    for (i = 0; i < op->n_inputs; i++) {
        eng_status s = eng_concat_s8(ctx, &p[i], &in[i], out);
        if (s != ENG_OK) {
            return s;
        }
    }
    return ENG_OK;
}

/* One op on prepared tensors; `pads` overrides the op's own padding (patch tiles), or NULL. */
static eng_status run_kernel(const eng_op *op, const eng_ctx *ctx, const eng_tensor *in, eng_tensor *out,
                             const eng_pads *pads)
{
    switch (op->kind) {
    case ENG_OP_CONV:
    case ENG_OP_DEPTHWISE:
    case ENG_OP_DEPTHWISE_INPLACE: {
        eng_conv_params p = *(const eng_conv_params *)op->params;
        if (pads) {
            p.pads = *pads;
        }
        if (op->kind == ENG_OP_CONV) {
            return eng_conv_s8(ctx, &p, &in[0], op->filter, op->bias, out);
        }
        return op->kind == ENG_OP_DEPTHWISE ? eng_depthwise_s8(ctx, &p, &in[0], op->filter, op->bias, out)
                                            : eng_depthwise_inplace_s8(ctx, &p, &in[0], op->filter, op->bias, out);
    }
    case ENG_OP_CONV_TRANSPOSE:
        return eng_conv_transpose_s8(ctx, (const eng_conv_params *)op->params, &in[0], op->filter, op->bias, out);
    case ENG_OP_MAXPOOL: {
        eng_maxpool_params p = *(const eng_maxpool_params *)op->params;
        if (pads) {
            p.pads = *pads;
        }
        return eng_maxpool_s8(ctx, &p, &in[0], out);
    }
    case ENG_OP_AVGPOOL2D: {
        eng_avgpool2d_params p = *(const eng_avgpool2d_params *)op->params;
        if (pads) {
            p.pads = *pads;
        }
        return eng_avgpool2d_s8(ctx, &p, &in[0], out);
    }
    case ENG_OP_PAD: {
        eng_pad_params p = *(const eng_pad_params *)op->params;
        if (pads) {
            p.pads = *pads;
        }
        return eng_pad_s8(ctx, &p, &in[0], out);
    }
    case ENG_OP_FC:
        return eng_fc_s8(ctx, (const eng_fc_params *)op->params, &in[0], op->filter, op->bias, out);
    case ENG_OP_ADD:
        return eng_add_s8(ctx, (const eng_add_params *)op->params, &in[0], &in[1], out);
    case ENG_OP_AVGPOOL:
        return eng_avgpool_s8(ctx, (const eng_avgpool_params *)op->params, &in[0], out);
    case ENG_OP_CONV_AVGPOOL:
        return eng_conv_avgpool_s8(ctx, (const eng_conv_avgpool_params *)op->params, &in[0], op->filter, op->bias,
                                   out);
    case ENG_OP_CONCAT:
        return run_concat(op, ctx, in, out);
    case ENG_OP_REQUANT:
        return eng_requant_s8(ctx, (const eng_requant_params *)op->params, &in[0], out);
    case ENG_OP_LUT:
        return eng_lut_s8(ctx, (const eng_lut_params *)op->params, &in[0], out);
    case ENG_OP_MUL:
        return eng_mul_s8(ctx, (const eng_mul_params *)op->params, &in[0], &in[1], out);
    case ENG_OP_RESIZE:
        return eng_resize_s8(ctx, (const eng_resize_params *)op->params, &in[0], out);
    case ENG_OP_TRANSPOSE:
        return eng_transpose_s8(ctx, (const eng_transpose_params *)op->params, &in[0], out);
    case ENG_OP_SLICE:
        return eng_slice_s8(ctx, (const eng_slice_params *)op->params, &in[0], out);
    case ENG_OP_SOFTMAX:
        return eng_softmax_s8(ctx, (const eng_softmax_params *)op->params, &in[0], out);
    }
    return ENG_ARG_ERROR;
}

/* A pixel-wise kernel over views: one call per row, each row a dense 1 x w map (an input of
 * another height, mul's per-channel vector, is passed whole). */
static eng_status run_rows(const eng_op *op, const eng_ctx *ctx, const eng_tensor *in, const eng_tensor *out)
{
    eng_tensor row_in[ENG_MAX_INPUTS], row_out = *out;
    int32_t y, i;
    row_out.h = 1;
    row_out.row = out->w * out->c;
    for (y = 0; y < out->h; y++) {
        for (i = 0; i < op->n_inputs; i++) {
            row_in[i] = in[i];
            if (in[i].h == out->h) {
                row_in[i].data = in[i].data + y * in[i].row;
                row_in[i].h = 1;
                row_in[i].row = in[i].w * in[i].c;
            }
        }
        row_out.data = out->data + y * out->row;
        eng_status s = run_kernel(op, ctx, row_in, &row_out, 0);
        if (s != ENG_OK) {
            return s;
        }
    }
    return ENG_OK;
}

/* One stage op in one tile: its input regions and output region read and written in place, as
 * views of their buffers; an input the output would overwrite before it is read (the planner's
 * aliasing across a wider region) is copied to the staging area first. */
static eng_status run_tile_op(const eng_model *m, const eng_op *op, const eng_tile_op *t, uint8_t *arena)
{
    eng_tensor in[ENG_MAX_INPUTS];
    int8_t *staging = (int8_t *)(arena + m->staging_offset);
    int all_dense = 1;
    int32_t i, y;
    if (op->n_inputs > ENG_MAX_INPUTS) {
        return ENG_ARG_ERROR;
    }
    for (i = 0; i < op->n_inputs; i++) {
        const eng_read *r = &t->reads[i];
        const int32_t c = op->inputs[i].c;
        in[i] = view(arena, r->src_offset + ((int32_t)r->y0 * r->src_w + r->x0) * c, r->h, r->w, c, r->src_w * c);
        if (r->gather) {
            for (y = 0; y < r->h; y++) {
                memmove(staging + y * r->w * c, in[i].data + y * in[i].row, (size_t)(r->w * c));
            }
            in[i].data = staging;
            in[i].row = r->w * c;
            staging += (int32_t)r->h * r->w * c;
        }
        all_dense &= dense(&in[i]);
    }
    const eng_write *wr = &t->write;
    const int32_t c_out = op->output.c;
    eng_tensor out = view(arena, wr->dst_offset + ((int32_t)wr->y0 * wr->dst_w + wr->x0) * c_out, wr->h, wr->w,
                          c_out, wr->dst_w * c_out);
    eng_ctx ctx = {arena + op->scratch_offset, op->scratch_size};
    if (!(all_dense && dense(&out)) && !takes_views(op->kind)) {
        return run_rows(op, &ctx, in, &out);
    }
    return run_kernel(op, &ctx, in, &out, op->n_inputs ? &t->reads[0].pads : 0);
}

/* Cached halos: the copies after a tile op, in order (source and destination never overlap). */
static void run_copies(const eng_tile_op *t, uint8_t *arena)
{
    int32_t i, y;
    for (i = 0; i < t->n_copies; i++) {
        const eng_copy *c = &t->copies[i];
        for (y = 0; y < c->h; y++) {
            memcpy(arena + c->dst + y * c->dst_row, arena + c->src + y * c->src_row, (size_t)c->row_bytes);
        }
    }
}

/* A streamed input's band for tile row r, into its band buffer. */
static eng_status fetch_band(const eng_model *m, uint8_t *arena, const eng_hooks *hooks, int32_t r)
{
    const eng_stream *sm = m->stream;
    const eng_band *b = &sm->bands[r];
    if (b->y1 <= b->y0) {
        return ENG_OK; /* cached halos: this tile row needs no new input rows */
    }
    if (!hooks || !hooks->rows || (int32_t)(b->y1 - b->y0) * sm->row_bytes > sm->band_bytes) {
        return ENG_INPUT_ERROR;
    }
    return hooks->rows(hooks->user, sm->input, b->y0, b->y1, (int8_t *)(arena + m->inputs[sm->input].offset));
}

static eng_status run_stage(const eng_model *m, uint8_t *arena, const eng_hooks *hooks)
{
    const eng_patch_stage *st = m->patch;
    int32_t tile, i;
    for (tile = 0; tile < st->n_tiles; tile++) {
        if (m->stream && tile % st->grid_w == 0) {
            eng_status s = fetch_band(m, arena, hooks, tile / st->grid_w);
            if (s != ENG_OK) {
                return s;
            }
        }
        if (hooks && hooks->tile) {
            hooks->tile(hooks->user, tile);
        }
        for (i = 0; i < st->n_ops; i++) {
            const eng_tile_op *t = &st->tiles[tile].ops[i];
            if (!t->run && !t->n_copies) {
                continue;
            }
            if (hooks && hooks->before) {
                hooks->before(hooks->user, i);
            }
            eng_status s = t->run ? run_tile_op(m, &m->ops[i], t, arena) : ENG_OK;
            if (s == ENG_OK) {
                run_copies(t, arena);
            }
            if (hooks && hooks->after) {
                hooks->after(hooks->user, i);
            }
            if (s != ENG_OK) {
                return s;
            }
        }
    }
    return ENG_OK;
}

static eng_status run_layer(const eng_model *m, const eng_op *op, uint8_t *arena)
{
    eng_tensor in[ENG_MAX_INPUTS];
    int32_t i;
    if (op->n_inputs > ENG_MAX_INPUTS) {
        return ENG_ARG_ERROR;
    }
    for (i = 0; i < op->n_inputs; i++) {
        const eng_buf *b = &op->inputs[i];
        in[i] = view(arena, b->offset, b->h, b->w, b->c, b->w * b->c);
    }
    if (op->gather_input) {
        const int32_t n = in[0].h * in[0].w * in[0].c;
        memcpy(arena + m->staging_offset, in[0].data, (size_t)n);
        in[0].data = (int8_t *)(arena + m->staging_offset);
    }
    eng_tensor out = view(arena, op->output.offset, op->output.h, op->output.w, op->output.c,
                          op->output.w * op->output.c);
    eng_ctx ctx = {arena + op->scratch_offset, op->scratch_size};
    return run_kernel(op, &ctx, in, &out, 0);
}

eng_status eng_run(const eng_model *m, uint8_t *arena, const eng_hooks *hooks)
{
    int32_t i = 0;
    if (m->stream && !m->patch) {
        return ENG_ARG_ERROR; /* code generation streams only into a patch stage */
    }
    if (m->patch) {
        eng_status s = run_stage(m, arena, hooks);
        if (s != ENG_OK) {
            return s;
        }
        i = m->patch->n_ops;
    }
    for (; i < m->n_ops; i++) {
        if (hooks && hooks->before) {
            hooks->before(hooks->user, i);
        }
        eng_status s = run_layer(m, &m->ops[i], arena);
        if (hooks && hooks->after) {
            hooks->after(hooks->user, i);
        }
        if (s != ENG_OK) {
            return s;
        }
    }
    return ENG_OK;
}
