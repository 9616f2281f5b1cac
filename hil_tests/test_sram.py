"""Memory measured on the board: the peak (static RAM + the painted stack's high-water mark) within
the board's SRAM, and the arena high-water mark at most the firmware arena and within 5% of it."""
from __future__ import annotations

ARENA_TOLERANCE = 0.05


def test_peak_sram_within_the_board(dut, record_property):
    dut.run_all()
    stats, fw = dut.client.stats(), dut.fw
    peak = stats["static_ram_bytes"] + stats["stack_high_water_bytes"]
    record_property("peak_sram_bytes", peak)
    record_property("planned_arena_bytes", fw.firmware_arena_bytes)
    assert stats["stack_high_water_bytes"] > 0
    assert peak <= fw.board.sram_bytes, f"measured peak {peak:,} B > the board's {fw.board.sram_bytes:,} B"
    assert stats["rx_overruns"] == 0


def test_arena_high_water_matches_the_plan(dut, record_property):
    dut.run_all()
    hw, arena = dut.client.stats()["arena_high_water_bytes"], dut.fw.firmware_arena_bytes
    record_property("arena_high_water_bytes", hw)
    assert arena == dut.info["arena_bytes"]
    assert (1 - ARENA_TOLERANCE) * arena <= hw <= arena, \
        f"arena high-water {hw:,} B vs the planned firmware arena {arena:,} B ({dut.fw.schedule})"
