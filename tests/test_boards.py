"""Real boards up to the probe boundary: board files against pyOCD's own databases, pyOCD target
lookup and the pack-missing message, probe / serial port pairing, the no-probe refusal, and the
firmware application built offline for each board's real port (flash and RAM from the linked ELF,
the USART3 vector where the reference manual puts it). What only a board can check is marked
`board` and skipped without one."""
from __future__ import annotations

import pytest
from elftools.elf.elffile import ELFFile

from engine_cases import int8_path
from toolkit import zoo
from toolkit.boards import get_board
from toolkit.build import build, elf_sizes
from toolkit.codegen import generate
from toolkit.errors import ToolkitError
from toolkit.importer import load_graph
from toolkit.plan import plan_graph
from toolkit.targets.probe import (PortInfo, ProbeInfo, choose, connected_probes, pair, pyocd_target,
                                   serial_ports)

BOARDS = ("nucleo-f746zg", "nucleo-h743zi2")
USART3_IRQ = 39  # RM0385 table 40, RM0433 table 148


@pytest.mark.parametrize("name", BOARDS)
def test_board_file_agrees_with_pyocd(name):
    from pyocd.board.board_ids import BOARD_ID_TO_INFO
    from pyocd.target import TARGET
    b = get_board(name)
    info = BOARD_ID_TO_INFO[b.pyocd_board_id]
    assert info.name.lower() == name and info.target == b.pyocd_target
    assert b.pyocd_fallback_target in TARGET  # built in: flashing works without the pack
    assert b.budget_bytes == b.sram_regions[b.arena_region] - b.reserved_sram_bytes


def test_budgets_follow_the_arena_region():
    assert get_board("nucleo-f746zg").budget_bytes == 327_680 - 28_672
    assert get_board("nucleo-h743zi2").budget_bytes == 524_288  # the whole AXI SRAM


@pytest.mark.parametrize("name,pack_name", [("nucleo-f746zg", "stm32f746zgtx"), ("nucleo-h743zi2", "stm32h743zitx")])
def test_pack_missing_message(name, pack_name, tmp_path):
    b = get_board(name)
    with pytest.raises(ToolkitError) as e:
        pyocd_target(b)
    assert str(e.value) == (
        f"pyOCD has no target {pack_name} for {name}: it comes from a CMSIS-Pack; on a machine with network run "
        f"`pyocd pack install {pack_name}`, or pass the pack file with --pack PATH; pyOCD's built-in "
        f"{b.pyocd_fallback_target} can stand in (--pyocd-target {b.pyocd_fallback_target})")
    pack = tmp_path / "Keil.pack"
    pack.write_bytes(b"PK")
    assert pyocd_target(b, pack) == pack_name


def test_discovery_runs_without_hardware():
    assert connected_probes() == []  # pyOCD's real enumeration: nothing attached here
    assert all(isinstance(p, PortInfo) for p in serial_ports())


PROBES = [ProbeInfo("066DFF495051717867143041", "STM32 STLink", "0816", "NUCLEO-F746ZG"),
          ProbeInfo("002B00193234510B33353533", "STLINK-V3", "0836", "NUCLEO-H743ZI2")]
PORTS = [PortInfo("/dev/ttyUSB0", "A50285BI", 0x0403, "FT232R"),
         PortInfo("/dev/ttyACM1", "002B00193234510B33353533", 0x0483, "STLINK-V3"),
         PortInfo("/dev/ttyACM0", "066dff495051717867143041", 0x0483, "STM32 STLink")]


def test_probes_pair_with_their_serial_ports_and_boards():
    boards = [get_board(n) for n in BOARDS]
    attached = pair(PROBES, PORTS, boards)
    assert [(a.probe.unique_id[:6], a.port.device, a.board.name) for a in attached] == [
        ("066DFF", "/dev/ttyACM0", "nucleo-f746zg"), ("002B00", "/dev/ttyACM1", "nucleo-h743zi2")]
    assert choose(boards[1], attached, PORTS).port.device == "/dev/ttyACM1"
    assert choose(boards[0], attached, PORTS, unique_id=PROBES[1].unique_id).probe == PROBES[1]


def test_ambiguous_and_portless_probes():
    f746 = get_board("nucleo-f746zg")
    two = pair([PROBES[0], ProbeInfo("0670FF", "STM32 STLink", "0816")], PORTS, [f746])
    with pytest.raises(ToolkitError, match="2 probes found for nucleo-f746zg .*--probe ID"):
        choose(f746, two, PORTS)
    with pytest.raises(ToolkitError, match="probe 066DFF495051717867143041 for nucleo-f746zg has no serial port"):
        choose(f746, pair(PROBES[:1], PORTS[:2], [f746]), PORTS[:2])


def test_no_probe_refusal_text():
    with pytest.raises(ToolkitError) as e:
        choose(get_board("nucleo-f746zg"), pair([], PORTS[:1], []), PORTS[:1])
    assert str(e.value) == ("no probe found for nucleo-f746zg (no debug probes; other serial ports: /dev/ttyUSB0); "
                            "run it on its emulated stand-in with --emulate")
    with pytest.raises(ToolkitError) as e:
        choose(get_board("nucleo-f746zg"), pair(PROBES[1:], PORTS, []), PORTS)
    assert str(e.value).startswith("no probe found for nucleo-f746zg (probe 002B00193234510B33353533 "
                                   "(NUCLEO-H743ZI2) on /dev/ttyACM1; other serial ports: /dev/ttyUSB0, /dev/ttyACM0)")


def vector(elf_path, irq: int) -> int:
    with open(elf_path, "rb") as f:
        elf = ELFFile(f)
        text = elf.get_section_by_name(".text")
        addr = elf.get_section_by_name(".text")["sh_addr"]
        data = text.data()
        symbols = {s.name: s["st_value"] for s in elf.get_section_by_name(".symtab").iter_symbols()}
    assert symbols["__isr_vector"] == addr
    off = 4 * (16 + irq)
    return int.from_bytes(data[off:off + 4], "little"), symbols


@pytest.mark.parametrize("name", BOARDS)
@pytest.mark.parametrize("sample,grid", [("blazeface", (2, 2)), ("fashion_cnn", None)], ids=["blazeface-2x2", "fashion_cnn"])
def test_offline_env_builds_for_the_real_board(tmp_path, name, sample, grid):
    b = get_board(name)
    path = int8_path(zoo.SAMPLES[sample])
    g = load_graph(path)
    g.name = sample
    plan = plan_graph(g, split="auto", grid=grid) if grid else plan_graph(g)
    generate(g, plan, tmp_path / "gen", path)
    elf = build(b.app_env, tmp_path / "pio", tmp_path / "gen", board=b.name, uart_baud=b.uart_baud)
    sizes = elf_sizes(elf)
    print(f"{name} {sample}: flash {sizes['flash_bytes']:,} B of {b.flash_bytes:,}, static RAM "
          f"{sizes['static_ram_bytes']:,} B")
    assert sizes["flash_bytes"] <= b.flash_bytes
    handler, symbols = vector(elf, USART3_IRQ)
    assert handler == symbols["USART3_IRQHandler"] | 1  # Thumb bit
    assert symbols["__isr_vector"] == 0x08000000
    arena = symbols["eng_arena"]
    region = {"SRAM": 0x20000000, "AXI": 0x24000000}[b.arena_region]
    assert region <= arena < region + b.sram_regions[b.arena_region]
    assert symbols["__heap_start"] <= symbols["__stack_limit"]  # data, bss and stack fit the RAM region


@pytest.mark.board
def test_deploy_on_an_attached_board(tmp_path):
    """Only with a board on the desk: the same report as the emulator gives, in cycles and ms."""
    if not connected_probes():
        pytest.skip("no debug probe attached")
    from toolkit.deploy import deploy
    rep = deploy("fashion_cnn", "nucleo-f746zg", limit=5, build_dir=tmp_path)
    assert rep.golden["bit_exact"] and rep.latency["unit"] == "cycles" and rep.latency["per_image_ms"]
