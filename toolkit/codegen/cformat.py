"""C literals: integers, exact float32 (hex floats), arrays, struct initialisers, identifiers."""
from __future__ import annotations

import re

import numpy as np


def c_float(x) -> str:
    """A float32 as a C hex-float literal: the bits survive the round trip exactly."""
    v = float(np.float32(x))
    if not np.isfinite(v):
        raise ValueError(f"non-finite float {v} in generated data")
    return f"{v.hex()}f" if v != 0 else "0.0f"


def c_ident(name: str) -> str:
    """A C identifier made from a graph name (for comments and symbol suffixes)."""
    s = re.sub(r"[^0-9A-Za-z_]", "_", name)
    return s if not s[:1].isdigit() else "_" + s


def c_string(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def c_comment(text: str) -> str:
    return "/* " + text.replace("*/", "* /") + " */"


def c_values(values, per_line: int, fmt=str) -> str:
    """Comma-separated values, `per_line` a line, indented four spaces."""
    items = [fmt(v) for v in values]
    lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
    return ",\n".join("    " + ln for ln in lines)


def c_array(ctype: str, name: str, values, per_line: int = 16, fmt=str, const: bool = True,
            align: int | None = None) -> str:
    """`static const <ctype> name[n] = {...};` (an empty array gets one zero element)."""
    values = list(values)
    n = len(values)
    body = c_values(values, per_line, fmt) if values else "    0"
    attr = f" __attribute__((aligned({align})))" if align else ""
    qual = "static const " if const else "static "
    return f"{qual}{ctype} {name}[{max(n, 1)}]{attr} = {{\n{body}\n}};\n"


def c_init(fields: dict) -> str:
    """A designated struct initialiser: {.a = 1, .b = {...}}."""
    return "{" + ", ".join(f".{k} = {v}" for k, v in fields.items()) + "}"


def c_pads(p) -> str:
    top, left, bottom, right = (int(v) for v in p)
    return c_init({"top": top, "left": left, "bottom": bottom, "right": right})
