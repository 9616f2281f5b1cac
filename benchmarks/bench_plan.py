"""Time a full planner search (every valid split x grids 2..8) on MobileNetV2-1.0 at 224.

    python benchmarks/bench_plan.py [model.onnx]

Uses the given ONNX (through toolkit.importer), else the zoo's built MobileNetV2 if it imports,
else the shape-only stand-in from toolkit.plan.synthetic. Target: under 2 s.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from toolkit.plan import plan_graph  # noqa: E402
from toolkit.plan.synthetic import mobilenet_v2  # noqa: E402


def load(argv: list[str]):
    try:
        from toolkit.importer import load_graph
        if argv:
            return load_graph(argv[0]), argv[0]
        from toolkit.zoo import SAMPLES
        s = SAMPLES["mobilenetv2"]
        path = s.cache / s.onnx_file
        return load_graph(path), str(path)
    except Exception as e:  # importer/zoo not ready, or no built sample
        if argv:
            raise
        return mobilenet_v2(), f"synthetic (zoo model unavailable: {type(e).__name__})"


def main(argv: list[str]) -> None:
    g, source = load(argv)
    runs = []
    for _ in range(3):
        t = time.perf_counter()
        p = plan_graph(g, split="auto", grid="auto")
        runs.append(time.perf_counter() - t)
    print(f"model: {source} ({len(g.ops)} ops)")
    print(f"full search over {len(p.search)} schedules: best {min(runs):.3f} s, worst {max(runs):.3f} s (target < 2 s)")
    print(f"lowest real peak: split after {p.split}, grid {p.grid}: {p.patch_peak_bytes} B "
          f"(per-layer {p.per_layer_peak_bytes} B), MACs {p.patch_macs:,} vs {p.macs:,}")


if __name__ == "__main__":
    main(sys.argv[1:])
