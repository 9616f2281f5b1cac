"""Code generation: Graph + Plan -> C data for the engine (model_data.c/.h), and golden execution by plan.

`generate(graph, plan, out_dir, model_path=None) -> [model_data.c, model_data.h]`. The emitted
model is data (op table, patch table, weights, quantization parameters); the executor in
firmware/engine/executor.c interprets it. `golden_plan.run_plan` is the numpy reference of the
same schedule.
"""
__all__ = ["generate", "firmware_arena"]


def __getattr__(name: str):
    # Lazy, so that the op modules (toolkit/ops/) can use codegen.params and codegen.cformat
    # without importing the generator, which itself needs the op registry.
    if name in __all__:
        from toolkit.codegen import model
        return getattr(model, name)
    raise AttributeError(f"module 'toolkit.codegen' has no attribute {name!r}")
