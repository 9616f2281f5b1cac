"""The op table and the patch table: where every tensor lives in the arena, per op and per tile.

Offsets come from the Plan (plan.json): `tensor_offsets`/`scratch` for a per-layer plan; for a
patch plan, `patch.full_tensor_offsets`/`patch.rest_scratch` outside the stage and
`patch.tensor_offsets`/`patch.scratch` (the patch arena) inside it.

A tile reads its input regions and writes its output region in place: the executor passes the
kernels views whose rows are as far apart as their buffer's (eng_tensor.row). Only an input the
op's output would overwrite before reading it is copied to a staging area first (an op whose
output overlaps its input without an elementwise kernel, per layer or in a tile). A depthwise op
the plan aliased (input and output at the same offset, with the in-place kernel's scratch) runs
eng_depthwise_inplace_s8 instead and needs no copy. With cached halos an op writes only the part
of its output's held region it computes, and its eng_copy list assembles the rest from the
tensor's caches (toolkit.plan.halo). The staging area sits after the plan's peak
and its size (`Staging.size`) is added to the arena the firmware declares.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from toolkit.errors import UnsupportedModelError
from toolkit.ir import Graph, Op
from toolkit.plan.halo import Copy, tile_copies
from toolkit.plan.schema import Plan
from toolkit.codegen.cformat import c_comment, c_init, c_pads, c_string
from toolkit.codegen.ops import io_views
from toolkit.codegen.params import OpData
from toolkit.ops import spec
from toolkit.ops.conv import depthwise_inplace_scratch


MAX_INPUTS = 8  # ENG_MAX_INPUTS in firmware/engine/executor.c


@dataclass
class ArenaLayout:
    offsets: dict[str, int]               # full-size tensors
    scratch: dict[str, list[int]]         # op name -> [offset, bytes]
    patch_offsets: dict[str, int] = field(default_factory=dict)   # stage tensors (patch arena)
    peak: int = 0
    streamed: str | None = None           # the input held one band of rows at a time (its offset: the band's)


def arena_layout(plan: Plan) -> ArenaLayout:
    if plan.patch is None:
        return ArenaLayout(dict(plan.tensor_offsets), dict(plan.scratch), {}, plan.arena_bytes)
    p = plan.patch
    streamed = None
    if plan.stream_input:
        if len(p["stage_inputs"]) != 1:
            raise UnsupportedModelError(f"the engine streams one input; the model has {len(p['stage_inputs'])}")
        streamed = p["stage_inputs"][0]
    return ArenaLayout(dict(p["full_tensor_offsets"]), {**p["rest_scratch"], **p["scratch"]},
                       dict(p["tensor_offsets"]), plan.arena_bytes, streamed)


@dataclass
class Staging:
    """The largest staging area any op or tile needs (bytes)."""
    size: int = 0

    def need(self, nbytes: int) -> None:
        self.size = max(self.size, nbytes)


def _overlap(a0: int, an: int, b0: int, bn: int) -> bool:
    return a0 < b0 + bn and b0 < a0 + an


def needs_copy(op: Op, src: int, src_bytes: int, dst: int, dst_bytes: int, pixel: int = 0,
               src_row: int = 0, dst_row: int = 0) -> bool:
    """True when the kernel would read bytes it has already overwritten. `pixel`: the channel count
    of an op run by its in-place kernel (safe when input and output start whole pixels apart).
    An elementwise (alias-safe) kernel runs front to back, row after row, so it is safe when every
    output element sits at or before its input element: the output starts at or before the input
    and its rows (`*_row` bytes apart, 0: dense maps of one size) are no further apart."""
    if not _overlap(src, src_bytes, dst, dst_bytes):
        return False
    if pixel and (src - dst) % pixel == 0:
        return False
    return not (spec(op.kind).alias_safe and dst <= src and dst_row <= src_row)


def in_place_kernel(g: Graph, op: Op, lay: ArenaLayout) -> bool:
    """Whether `op` runs its in-place kernel: the plan aliased its output onto its input (same
    offset in the same arena) and gave it the kernel's scratch."""
    if spec(op.kind).in_place_kernel is None:
        return False
    x, y = g.activations(op)[0].name, op.outputs[0]
    sc = lay.scratch.get(op.name, [0, 0])[1]
    offs = lay.patch_offsets if x in lay.patch_offsets else lay.offsets  # a stage tensor, or full size
    if not (x in offs and y in offs and offs[x] == offs[y]):
        return False
    _, h, w, _ = g.tensors[x].shape
    # Per layer the plane is the whole map; a tile's is checked per read (_read).
    return sc >= (1 if offs is lay.patch_offsets else depthwise_inplace_scratch(h, w))


def c_buf(offset: int, v: tuple[int, int, int]) -> str:
    return c_init({"offset": offset, "h": v[0], "w": v[1], "c": v[2]})


def layer_entry(g: Graph, op: Op, sym: str, data: OpData, lay: ArenaLayout, staging: Staging,
                in_stage: bool = False) -> tuple[str, str]:
    """(static text, op table initialiser) of one op. A stage op's buffers only give channels;
    its tiles say where it reads and writes."""
    ins, out = io_views(g, op)
    if len(ins) > MAX_INPUTS:
        raise UnsupportedModelError(f"{op.name}: {len(ins)} inputs; the executor takes at most {MAX_INPUTS}")
    names = [t.name for t in g.activations(op)]
    offs = [lay.offsets.get(n, lay.patch_offsets.get(n, 0)) for n in names]
    out_off = lay.offsets.get(op.outputs[0], lay.patch_offsets.get(op.outputs[0], 0))
    out_bytes = out[0] * out[1] * out[2]
    gather = 0
    inplace = in_place_kernel(g, op, lay)
    pixel = ins[0][2] if inplace else 0
    for i, (o, v) in enumerate(zip(offs, ins)):
        if not in_stage and needs_copy(op, o, v[0] * v[1] * v[2], out_off, out_bytes, pixel if i == 0 else 0):
            if i != 0:
                raise UnsupportedModelError(f"{op.name}: input {i} aliases the output")
            gather = 1
            staging.need(v[0] * v[1] * v[2])
    text = f"static const eng_buf {sym}_inputs[{len(ins)}] = {{" + ", ".join(
        c_buf(o, v) for o, v in zip(offs, ins)) + "};\n"
    sc = lay.scratch.get(op.name, [0, 0])
    entry = c_init({"kind": spec(op.kind).in_place_kernel if inplace else spec(op.kind).c_kind, "name": c_string(op.name), "params": data.params,
                    "filter": data.filter, "bias": data.bias, "n_inputs": len(ins), "inputs": f"{sym}_inputs",
                    "output": c_buf(out_off, out), "scratch_offset": sc[0], "scratch_size": sc[1],
                    "gather_input": gather})
    return text, entry


def _width(region) -> int:
    return region[3] - region[2]


def _span(h: int, w: int, c: int, buffer_w: int) -> int:
    """Bytes from the first to one past the last byte of an h x w x c region of a buffer_w wide map."""
    return ((h - 1) * buffer_w + w) * c


def _read(g: Graph, op: Op, i: int, inp: dict, tile: dict, lay: ArenaLayout,
          write: tuple[int, int, int]) -> tuple[dict, int]:
    """One eng_read initialiser's fields and the staging bytes it takes; `write`: the output region's
    first byte, span and row pitch."""
    t, region = inp["tensor"], inp["region"]
    c = io_views(g, op)[0][i][2]
    if t in lay.patch_offsets:
        held = tile["tensors"][t]
        src = lay.patch_offsets[t]
    else:
        full = g.tensors[t].shape
        # a streamed input: the band of this tile's row (full width) is in the buffer
        held = [*tile["tensors"][t][:2], 0, full[2]] if t == lay.streamed else [0, full[1], 0, full[2]]
        src = lay.offsets[t]
    y0, x0 = region[0] - held[0], region[2] - held[2]
    h, w = region[1] - region[0], _width(region)
    start = src + (y0 * _width(held) + x0) * c
    pixel = c if i == 0 and in_place_kernel(g, op, lay) else 0
    if pixel and lay.scratch[op.name][1] < depthwise_inplace_scratch(h, w):
        raise UnsupportedModelError(f"{op.name}: in-place scratch {lay.scratch[op.name][1]} B < the tile's "
                                    f"{h}x{w} plane")
    gather = needs_copy(op, start, _span(h, w, c, _width(held)), write[0], write[1], pixel, _width(held) * c, write[2])
    fields = {"src_offset": src, "src_w": _width(held), "y0": y0, "x0": x0, "h": h, "w": w,
              "gather": int(gather), "pads": c_pads(inp["pad"])}
    return fields, (h * w * c if gather else 0)


def _write(g: Graph, op: Op, top: dict, tile: dict, lay: ArenaLayout, stage_output: str) -> dict:
    out, region = op.outputs[0], top["output_region"]
    c = io_views(g, op)[1][2]
    h, w = region[1] - region[0], _width(region)
    if out == stage_output:
        full = g.tensors[out].shape
        return {"dst_offset": lay.offsets[out], "dst_w": full[2], "y0": region[0], "x0": region[2], "h": h,
                "w": w, "_bytes": _span(h, w, c, full[2]), "_row": full[2] * c,
                "_start": lay.offsets[out] + (region[0] * full[2] + region[2]) * c}
    held = tile["tensors"][out]   # with cached halos the op computes only part of it
    y0, x0 = region[0] - held[0], region[2] - held[2]
    start = lay.patch_offsets[out] + (y0 * _width(held) + x0) * c
    return {"dst_offset": lay.patch_offsets[out], "dst_w": _width(held), "y0": y0, "x0": x0, "h": h, "w": w,
            "_bytes": _span(h, w, c, _width(held)), "_row": _width(held) * c, "_start": start}


def _copies(t: str, copies: list[Copy], held: list[int], lay: ArenaLayout, cache: dict, sym: str) -> str:
    """The static eng_copy array of a cached tensor's copies in one tile ("" when none)."""
    if not copies:
        return ""
    c = cache["channels"]
    bufs = {"tile": (lay.patch_offsets[t], _width(held)), "rows": (cache["rows"][0], cache["rows"][2]),
            "cols": (cache["cols"][0], cache["cols"][2])}

    def at(buf: str, yx: tuple[int, int]) -> int:
        base, width = bufs[buf]
        return base + (yx[0] * width + yx[1]) * c

    return f"static const eng_copy {sym}[{len(copies)}] = {{" + ", ".join(c_init(
        {"src": at(cp.src, cp.src_at), "dst": at(cp.dst, cp.dst_at), "src_row": bufs[cp.src][1] * c,
         "dst_row": bufs[cp.dst][1] * c, "h": cp.h, "row_bytes": cp.w * c}) for cp in copies) + "};\n"


def tile_op_entry(g: Graph, op: Op, top: dict | None, tile: dict, lay: ArenaLayout, stage_output: str,
                  sym: str, staging: Staging, copies: tuple[str, int] = ("", 0)) -> tuple[str, str]:
    """(static reads array, eng_tile_op initialiser) of one stage op in one tile; `copies`: the
    static eng_copy array of its output's cached halos and its length."""
    text, n = copies
    links = {"n_copies": n, "copies": f"{sym}_copies"} if n else {}
    if top is None:
        return text, c_init({"run": 0, "reads": 0, "write": "{0}", **links})
    wr = _write(g, op, top, tile, lay, stage_output)
    reads, used = [], 0
    for i, inp in enumerate(top["inputs"]):
        fields, nbytes = _read(g, op, i, inp, tile, lay, (wr["_start"], wr["_bytes"], wr["_row"]))
        reads.append(c_init(fields))
        used += nbytes
    staging.need(used)
    text += f"static const eng_read {sym}[{len(reads)}] = {{" + ", ".join(reads) + "};\n"
    write = c_init({k: v for k, v in wr.items() if not k.startswith("_")})
    return text, c_init({"run": 1, "reads": sym, "write": write, **links})


def patch_tables(g: Graph, plan: Plan, lay: ArenaLayout, staging: Staging) -> str:
    """Every tile's eng_tile_op array, the tile list and the eng_patch_stage `patch_stage`."""
    p = plan.patch
    stage = [g.op(n) for n in p["stage_ops"]]
    parts, tiles = [c_comment(f"patch stage: {len(stage)} ops, {plan.grid[0]}x{plan.grid[1]} tiles, "
                              f"stage output {p['stage_output']}") + "\n"], []
    regions, caches = plan.tiles(), plan.caches()
    for n, tile in enumerate(p["tiles"]):
        by_op = {o["op"]: o for o in tile["ops"]}
        copies = tile_copies(regions, tuple(plan.grid), n, caches)
        entries = []
        for i, op in enumerate(stage):
            t, sym = op.outputs[0], f"tile{n}_op{i}_reads"
            cps = copies.get(t, [])
            made = (_copies(t, cps, tile["tensors"].get(t), lay, p.get("halo_caches", {}).get(t), f"{sym}_copies"),
                    len(cps))
            text, entry = tile_op_entry(g, op, by_op.get(op.name), tile, lay, p["stage_output"], sym, staging, made)
            parts.append(text)
            entries.append("    " + entry)
        parts.append(f"static const eng_tile_op tile{n}_ops[{len(stage)}] = {{\n" + ",\n".join(entries) + "\n};\n")
        tiles.append(f"{{tile{n}_ops}}")
    parts.append(f"static const eng_tile tiles[{len(tiles)}] = {{" + ", ".join(tiles) + "};\n")
    if lay.streamed:
        parts.append(stream_table(g, plan, lay.streamed))
    parts.append("static const eng_patch_stage patch_stage = " + c_init(
        {"n_ops": len(stage), "n_tiles": len(tiles), "grid_h": plan.grid[0], "grid_w": plan.grid[1],
         "tiles": "tiles"}) + ";\n")
    return "".join(p for p in parts if p)


def stream_table(g: Graph, plan: Plan, name: str) -> str:
    """The eng_stream `stream`: the streamed input's band per tile row."""
    _, h, w, c = g.tensors[name].shape
    bands, band_bytes = plan.patch["bands"], plan.patch["band_bytes"]   # the band buffer the plan counts
    return (c_comment(f"streamed input {name}: {len(bands)} bands of at most {band_bytes // (w * c)} of {h} "
                      "rows") + "\n"
            f"static const eng_band bands[{len(bands)}] = {{" + ", ".join(
                c_init({"y0": y0, "y1": y1}) for y0, y1 in bands) + "};\n"
            "static const eng_stream stream = " + c_init(
                {"input": g.inputs.index(name), "row_bytes": w * c, "band_bytes": band_bytes,
                 "bands": "bands"}) + ";\n")


def staging_bytes(g: Graph, plan: Plan) -> int:
    """The staging area the generated model will need for `plan` (without rendering any data)."""
    lay, staging = arena_layout(plan), Staging()
    stage = set(plan.patch["stage_ops"]) if plan.patch else set()
    for op in g.ops:
        layer_entry(g, op, "x", OpData("", "0"), lay, staging, in_stage=op.name in stage)
    if plan.patch:
        patch_tables(g, plan, lay, staging)
    return staging.size
