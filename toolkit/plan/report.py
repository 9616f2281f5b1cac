"""Human-facing views of a Plan: a text table (`format_plan`) and the memory picture (`plot_plan`)."""
from __future__ import annotations

from pathlib import Path

from toolkit.plan.schema import Plan


def _kb(n: int | None) -> str:
    return "-" if n is None else f"{n / 1024:.1f}"


def _tallest_band(plan: Plan) -> int:
    return max(b - a for a, b in plan.patch["bands"])


def input_summary(plan: Plan) -> str:
    """How the plan holds the input image, in a few words (deploy's log, summary and report)."""
    if not plan.stream_input:
        return "input image whole in SRAM"
    return f"input streamed in {len(plan.patch['bands'])} bands of at most {_tallest_band(plan)} rows"


HALO_WORDS = {"recompute": "halos recomputed", "cache": "halos cached",
              "cache_cols": "halo columns cached, rows recomputed",
              "lines": "tiles cut on the input, halos cached",
              "lines_narrow": "tiles cut on the input, halos cached narrow"}


def halo_words(plan: Plan) -> str:
    """How the patch stage treats its halos, in a few words ("" for a per-layer plan)."""
    return HALO_WORDS[plan.patch.get("halo", "recompute")] if plan.patch else ""


def halo_cache_bytes(plan: Plan) -> int | None:
    """The halo caches' bytes in the arena; None unless the patch stage caches its halos."""
    if not plan.patch or plan.patch.get("halo", "recompute") == "recompute":
        return None
    return sum(r.get("halo_cache_bytes") or 0 for r in plan.layers)


def _halo_line(plan: Plan) -> str:
    if not plan.patch:
        return ""
    extra = f"+{100 * (plan.patch_macs / plan.macs - 1):.1f}% MACs"
    if plan.patch.get("halo", "recompute") == "recompute":
        return f"halos: recomputed by every tile ({extra})"
    caches = plan.patch["halo_caches"]
    return (f"{halo_words(plan)} ({extra}), {len(caches)} tensors keep row/column caches, "
            f"{halo_cache_bytes(plan)} B in the patch arena (column 'cache kB')")


def _input_line(plan: Plan) -> str:
    if not plan.stream_input:
        return "input: whole in SRAM during the patch stage" if plan.split else "input: whole in SRAM"
    return (f"input: streamed in {len(plan.patch['bands'])} bands (one per tile row) of at most "
            f"{_tallest_band(plan)} rows, band buffer {plan.patch['band_bytes']} B in the arena "
            f"at offset {plan.patch['full_tensor_offsets'][plan.patch['stage_inputs'][0]]}")


def format_plan(plan: Plan) -> str:
    """Per-layer table (kB = 1024 B) with both accountings, arena offsets and receptive fields."""
    lines = [f"model {plan.model}: "
             + (f"patch stage up to {plan.split}, {plan.grid[0]}x{plan.grid[1]} tiles, "
                f"stage receptive field {plan.patch['receptive_field']}, input patch "
                f"{plan.patch['input_patch'][0]}x{plan.patch['input_patch'][1]}"
                if plan.split else "per-layer execution"),
             f"real peak: per-layer {plan.per_layer_peak_bytes} B, patch {plan.patch_peak_bytes} B; "
             f"paper peak: per-layer {plan.paper_per_layer_peak_bytes} B, patch {plan.paper_patch_peak_bytes} B",
             f"MACs: {plan.macs:,} per-layer" + (f", {plan.patch_macs:,} patch-based "
                                                f"(+{100 * (plan.patch_macs / plan.macs - 1):.1f}%)"
                                                if plan.patch_macs else ""),
             f"arena: {plan.arena_bytes} B" + (f" (budget {plan.budget_bytes} B)" if plan.budget_bytes else ""),
             _input_line(plan),
             *([_halo_line(plan)] if plan.patch else []),
             *([f"a patch stage ends before {plan.stage_limit['op']} at the latest: {plan.stage_limit['reason']}"]
               if plan.stage_limit else []),
             ""]
    head = (f"{'#':>3} {'layer':<16} {'kind':<9} {'shape':<16} {'MACs':>11} {'layer kB':>9} "
            f"{'patch kB':>9} {'paperL kB':>9} {'paperP kB':>9} {'cache kB':>9} {'out@':>8} {'RF':>4}")
    lines += [head, "-" * len(head)]
    for i, r in enumerate(plan.layers):
        offs = r["patch_offsets"] or r["offsets"]
        out_at = offs["outputs"][0] if offs["outputs"] and offs["outputs"][0] is not None else "-"
        mark = "*" if r["in_stage"] else " "
        lines.append(f"{i:>3}{mark}{r['name'][:16]:<16} {r['kind']:<9} {'x'.join(map(str, r['output_shape'][1:])):<16} "
                     f"{r['macs']:>11,} {_kb(r['per_layer_bytes']):>9} {_kb(r['patch_bytes']):>9} "
                     f"{_kb(r['paper_per_layer_bytes']):>9} {_kb(r['paper_patch_bytes']):>9} "
                     f"{_kb(r.get('halo_cache_bytes')):>9} {out_at!s:>8} "
                     f"{r['receptive_field'] if r['receptive_field'] is not None else '-':>4}")
    if plan.split:
        lines.append("* = patch stage (bytes: worst tile; out@ = offset in the main arena; cache kB: the "
                     "output's halo caches, alive through the stage)")
    return "\n".join(lines)


def plot_plan(plan: Plan, path: str | Path) -> Path:
    """Per-layer memory, per-layer vs patch-based execution, with the budget line (PNG)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = range(len(plan.layers))
    fig, ax = plt.subplots(figsize=(11, 4.5))
    ax.bar(x, [r["per_layer_bytes"] / 1024 for r in plan.layers], color="#d9a0a0", label="per-layer (real)")
    ax.plot(x, [r["paper_per_layer_bytes"] / 1024 for r in plan.layers], color="#a03030", lw=1,
            label="per-layer (paper)")
    if plan.split:
        ax.bar(x, [r["patch_bytes"] / 1024 for r in plan.layers], color="#5a8fd0", width=0.5,
               label=f"patch-based {plan.grid[0]}x{plan.grid[1]} (real)"
                     + (f", {halo_words(plan)}" if halo_cache_bytes(plan) is not None else ""))
        ax.plot(x, [r["paper_patch_bytes"] / 1024 for r in plan.layers], color="#1a3f80", lw=1,
                label="patch-based (paper)")
        k = sum(r["in_stage"] for r in plan.layers)
        ax.axvspan(-0.5, k - 0.5, color="#5a8fd0", alpha=0.08, label="patch stage")
        if halo_cache_bytes(plan) is not None:
            # side by side with the band buffer's bar, inside the patch bar
            ax.bar([i - 0.12 for i in range(k)], [halo_cache_bytes(plan) / 1024] * k, color="#d08a2a", width=0.22,
                   label=f"halo caches ({len(plan.patch['halo_caches'])} tensors, part of the patch bars, "
                         "alive through the stage)")
        if plan.stream_input:
            ax.bar([i + 0.12 for i in range(k)], [plan.patch["band_bytes"] / 1024] * k, color="#2a8a4a", width=0.22,
                   label=f"input band buffer ({len(plan.patch['bands'])} bands, streamed)")
    if plan.budget_bytes:
        ax.axhline(plan.budget_bytes / 1024, color="black", ls="--", lw=1, label="SRAM budget")
    ax.set_xlabel("layer")
    ax.set_ylabel("memory (kB)")
    ax.set_title(f"{plan.model}: peak {plan.per_layer_peak_bytes / 1024:.0f} kB per-layer"
                 + (f", {plan.patch_peak_bytes / 1024:.0f} kB patch-based" if plan.split else ""))
    ax.legend(fontsize=8)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
