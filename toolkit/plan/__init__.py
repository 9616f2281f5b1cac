"""Memory planning for MCU inference: per-layer arenas and MCUNetV2 patch-based stages.

Modules: memory (planner interface, greedy/linear, overlap check), scratch (kernel scratch
mirror), liveness (lifetimes, in-place, placement), regions (tile regions and halos; the
interface for the golden model and codegen), halo (cached halos: caches and copies), patch (one split + grid, both accountings),
search (`plan_graph`), schema (`Plan`, plan.json), report (`format_plan`, `plot_plan`),
synthetic (shape-only reference graphs for tests).
"""
from toolkit.plan.memory import GreedyPlanner, LinearPlanner, MemoryPlanner, buffers_overlap
from toolkit.plan.regions import TileRegions, tile_regions
from toolkit.plan.report import format_plan, halo_cache_bytes, halo_words, input_summary, plot_plan
from toolkit.plan.schema import Plan
from toolkit.plan.scratch import scratch_bytes
from toolkit.plan.search import BudgetError, plan_graph

__all__ = ["plan_graph", "format_plan", "halo_cache_bytes", "halo_words", "input_summary", "plot_plan", "Plan", "BudgetError", "scratch_bytes", "tile_regions",
           "TileRegions", "MemoryPlanner", "GreedyPlanner", "LinearPlanner", "buffers_overlap"]
