"""OpSpec: everything the stages need to know about one op kind, in one definition.

A stage never switches on op kinds: the importer asks `onnx` for a converter, the golden interpreter
calls `golden`, the planner asks `window` (None: the op needs its whole input, so a patch stage ends
before it), `local_check`, `in_place` and `scratch`, code generation asks `c_kind` and `c_data`.
firmware/engine/executor.c has one case per `c_kind` and one kernel file per kernel.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Callable

import numpy as np

from toolkit.ir import Graph, Op, OpKind


@dataclass(frozen=True)
class Window:
    """The 1-D sliding window of an op along one spatial axis (identity for elementwise ops)."""
    kernel: int = 1
    stride: int = 1
    dilation: int = 1
    pad_before: int = 0


def elementwise(op: Op, axis: int) -> Window:
    return Window()


def windowed(kernel: Callable) -> Callable:
    """tile_golden of a windowed kernel that takes the tile's output size and border padding."""
    return lambda g, op, xs, out_hw, pads: kernel(g, op, xs[0], out_hw=out_hw, pads=pads)


class InPlace(str, Enum):
    NEVER = "never"
    OPTION = "option"   # when the plan asks for in-place ops (the `in_place` option)
    ALWAYS = "always"   # an elementwise pass over its input: always in place


def no_scratch(graph: Graph, op: Op, in_place: bool, input_bytes: int | None) -> int:
    return 0


def no_check(graph: Graph, op: Op) -> str | None:
    return None


@dataclass(frozen=True)
class OpSpec:
    kind: OpKind
    onnx: dict[str, Callable]          # ONNX op type -> converter(ctx, node) -> Op
    golden: Callable[..., np.ndarray]  # (graph, op, *activation inputs) -> int8 output
    c_kind: str                        # the executor's ENG_OP_* case
    c_data: Callable                   # (graph, op, symbol) -> codegen.params.OpData
    window: Callable[[Op, int], Window] | None = None   # None: not spatially local
    local_check: Callable[[Graph, Op], str | None] = no_check   # why a local kind still cannot tile
    # golden on a tile region: (graph, op, xs, out_hw, pads (top, left, bottom, right)); None: golden(*xs)
    tile_golden: Callable | None = None
    pad_value: str = "zero_point"      # what a tile's border padding holds ("min": -128, never selected)
    in_place: InPlace = InPlace.NEVER
    paper_in_place: bool = False       # the paper's accounting counts it in place
    alias_safe: bool = False           # its C kernel may write its output over its input (elementwise)
    in_place_kernel: str | None = None  # C kind of a kernel that runs over its input whole pixels apart
    scratch: Callable[[Graph, Op, bool, int | None], int] = no_scratch
    io_views: Callable | None = None   # (graph, op) -> (input views, output view), default NHWC or flat
    quantize_types: tuple[str, ...] = field(default=())  # ONNX types quantize_static must be told about

    @property
    def local(self) -> bool:
        return self.window is not None
