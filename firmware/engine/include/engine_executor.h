/* The executor: runs a generated model (model_data.c from toolkit/codegen) over one static arena.
 *
 * The model is data, not code: an op table (eng_op: kind, params, weights, tensor descriptors at
 * arena offsets) and, when the plan has a patch stage, a patch table (eng_patch_stage: per tile,
 * per stage op, where each input region is read and where the output goes). eng_run() is a
 * switch over op kinds calling the kernels of engine_kernels.h; it allocates nothing.
 *
 * Patch stage (MCUNetV2): ops[0 .. stage->n_ops-1] run tile by tile. Each input region is read
 * and each output region written in place, as a view of its buffer (rows as far apart as the
 * buffer's); pixel-wise kernels, which take dense maps, run row by row over views. Padding applies
 * only where a region touches the image border (per tile, per side). An input region that the
 * op's output would overwrite before reading it is first copied to the staging area.
 * Then ops[stage->n_ops ..] run layer by layer on the arena.
 *
 * Cached halos (plan patch.halo "cache"): an op computes only the part of its output that the
 * previous tiles do not hold; its copies then fill the rest of the output's tile buffer from the
 * tensor's row and column caches and save what the next tiles share (toolkit/plan/halo.py). A
 * wholly cached output (run = 0) still gets its copies.
 *
 * Streamed input (plan stream_input): the patch stage holds one band of the input's rows at a
 * time, full width, in a band buffer at the input's arena offset. Before the first tile of each
 * tile row the executor asks hooks->rows for that row's band (halo rows again), and the tiles read
 * their regions from it; the whole image is never in SRAM.
 *
 * All offsets are bytes from the start of the arena; the staging area is part of the arena
 * (after the plan's peak) and its size is counted in arena_size.
 */
#ifndef ENGINE_EXECUTOR_H
#define ENGINE_EXECUTOR_H

#include <stdint.h>

#include "engine_kernels.h"

typedef enum {
    ENG_OP_CONV = 0,
    ENG_OP_DEPTHWISE = 1,
    ENG_OP_FC = 2,
    ENG_OP_ADD = 3,
    ENG_OP_MAXPOOL = 4,
    ENG_OP_AVGPOOL = 5,
    ENG_OP_PAD = 6,
    ENG_OP_CONCAT = 7,
    ENG_OP_REQUANT = 8, /* reshape, clamp: elementwise requantize + clamp, may run in place */
    ENG_OP_DEPTHWISE_INPLACE = 9, /* depthwise whose output the planner aliased onto its input:
                                   * eng_depthwise_inplace_s8, scratch = one input channel plane */
    ENG_OP_LUT = 10,              /* an activation by table lookup, may run in place */
    ENG_OP_MUL = 11,              /* product of two maps, or of a map by a per-channel vector */
    ENG_OP_RESIZE = 12,           /* nearest or bilinear resize of H and W */
    ENG_OP_SLICE = 13,            /* a range of channels */
    ENG_OP_SOFTMAX = 14,          /* softmax over channels */
    ENG_OP_CONV_TRANSPOSE = 15,   /* transposed conv (learned upsampling) */
    ENG_OP_AVGPOOL2D = 16,        /* windowed average pool */
    ENG_OP_TRANSPOSE = 17,        /* a reshape that moves data */
    ENG_OP_CONV_AVGPOOL = 18      /* a 1x1 conv fused with the global average pool reading it */
} eng_op_kind;

/* A tensor in the arena (per-layer execution): byte offset and NHWC shape (batch 1). */
typedef struct {
    int32_t offset;
    int32_t h, w, c;
} eng_buf;

typedef struct {
    eng_op_kind kind;
    const char *name;
    const void *params;           /* eng_conv_params, eng_fc_params, ... by kind; concat: one
                                   * eng_concat_params per input */
    const int8_t *filter;         /* conv, depthwise, fc; else NULL */
    const int32_t *bias;
    int32_t n_inputs;
    const eng_buf *inputs;
    eng_buf output;
    int32_t scratch_offset, scratch_size;
    int8_t gather_input;          /* per layer: input aliases the output, copy it to staging first */
} eng_op;

/* Where one stage op reads one input in one tile. */
typedef struct {
    int32_t src_offset;           /* the source buffer (patch tensor or full tensor) */
    int16_t src_w;                /* its row width in pixels */
    int16_t y0, x0, h, w;         /* the region, relative to the source buffer */
    int8_t gather;                /* 1: copy to staging first (the output overwrites it otherwise) */
    eng_pads pads;                /* border padding of this tile, per side */
} eng_read;

/* Where one stage op writes its output in one tile. */
typedef struct {
    int32_t dst_offset;
    int16_t dst_w;
    int16_t y0, x0, h, w;
} eng_write;

/* A rectangle copied after a stage op runs: `h` rows of `row_bytes`, rows `src_row` / `dst_row`
 * bytes apart (cached halos: between a tensor's tile buffer and its row and column caches). */
typedef struct {
    int32_t src, dst;             /* arena offsets of the first rows */
    int32_t src_row, dst_row;
    int16_t h;
    int32_t row_bytes;
} eng_copy;

typedef struct {
    int8_t run;                   /* 0: this op's output is not needed by the tile, or wholly cached */
    const eng_read *reads;        /* one per input */
    eng_write write;
    int16_t n_copies;             /* cached halos: fills of the output's tile buffer from its caches, */
    const eng_copy *copies;       /* then saves into them for the next tiles, in this order */
} eng_tile_op;

typedef struct {
    const eng_tile_op *ops;       /* one per stage op */
} eng_tile;

/* Input rows [y0, y1) of one tile row's band. */
typedef struct {
    int16_t y0, y1;
} eng_band;

/* A streamed input: which one, and the band of every tile row (grid_h of them). */
typedef struct {
    int32_t input;                /* index into the model's inputs */
    int32_t row_bytes;            /* one input row: w * c */
    int32_t band_bytes;           /* the band buffer: the tallest band */
    const eng_band *bands;
} eng_stream;

typedef struct {
    int32_t n_ops;                /* the stage is ops[0 .. n_ops-1] */
    int32_t n_tiles;
    int16_t grid_h, grid_w;
    const eng_tile *tiles;
} eng_patch_stage;

/* A model input or output in the arena. */
typedef struct {
    const char *name;             /* ONNX float tensor name it (de)quantizes */
    int32_t offset, size;         /* bytes in the arena (a streamed input: its band buffer's
                                   * offset, and the whole image's size) */
    float scale;
    int32_t zero_point;
    int32_t rank;
    int32_t shape[4];             /* IR order (NHWC for feature maps) */
} eng_io;

typedef struct {
    const char *name;
    const char *sha256;           /* of the int8 model file */
    int32_t arena_size;           /* plan peak + staging */
    int32_t plan_peak;            /* the planner's arena */
    int32_t staging_offset, staging_size;
    int32_t n_ops;
    const eng_op *ops;
    const eng_patch_stage *patch; /* NULL: per layer only */
    const eng_stream *stream;     /* NULL: every input is in the arena before eng_run */
    int32_t n_inputs, n_outputs;
    const eng_io *inputs;
    const eng_io *outputs;
} eng_model;

/* Hooks: before/after every op run (per tile in the patch stage) and at the start of each tile of
 * the patch stage (profiling, optional: NULL), and `rows`, which a streamed model needs: write the
 * input's rows [y0, y1) (row_bytes each) to dst and return ENG_OK, or ENG_INPUT_ERROR if they
 * cannot come (the run then stops with that status). */
typedef struct {
    void (*before)(void *user, int32_t op);
    void (*after)(void *user, int32_t op);
    void (*tile)(void *user, int32_t tile);
    eng_status (*rows)(void *user, int32_t input, int32_t y0, int32_t y1, int8_t *dst);
    void *user;
} eng_hooks;

/* Run one inference: inputs already at their arena offsets (a streamed one arrives through
 * hooks->rows), outputs left at theirs.
 * arena must hold model->arena_size bytes. Returns ENG_OK or the first kernel error. */
eng_status eng_run(const eng_model *model, uint8_t *arena, const eng_hooks *hooks);

#endif /* ENGINE_EXECUTOR_H */
