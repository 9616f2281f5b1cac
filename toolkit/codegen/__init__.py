"""Code generation: Graph + Plan -> C data for the engine (model_data.c/.h), and golden execution by plan.

`generate(graph, plan, out_dir, model_path=None) -> [model_data.c, model_data.h]`. The emitted
model is data (op table, patch table, weights, quantization parameters); the executor in
firmware/engine/executor.c interprets it. `golden_plan.run_plan` is the numpy reference of the
same schedule.
"""
from toolkit.codegen.model import firmware_arena, generate

__all__ = ["generate", "firmware_arena"]
