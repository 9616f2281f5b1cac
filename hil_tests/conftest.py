"""The HIL suite's pytest plugin: which boards and models, and the device under test as a fixture.

    pytest hil_tests                                   # the emulated NUCLEO-F746ZG (CI)
    pytest hil_tests --board nucleo-h743zi2 --emulate  # another board's emulated stand-in
    pytest hil_tests --board nucleo-f746zg             # the board itself, over its pyOCD probe
    pytest hil_tests --hardware-map rack.yaml          # every board of a rack

Options have same-named fixtures; `dut` is parametrized over (board, model) and built and booted
once per pair for the whole session, then shut down (no QEMU survives, ports closed) whatever
happens. A board listed but absent is reported as skipped ("not run"), never passed."""
from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

import pytest

from toolkit.errors import ToolkitError

DEFAULT_BOARD = "nucleo-f746zg"
DEFAULT_MODELS = ("fashion_cnn", "blazeface")
BASELINE = Path(__file__).with_name("baseline.json")


@dataclass(frozen=True)
class BoardSpec:
    board: str
    emulated: bool
    connected: bool = True
    probe_id: str | None = None
    place: str | None = None

    @property
    def id(self) -> str:
        return f"{self.board}{'-emu' if self.emulated else ''}"


def pytest_addoption(parser):
    g = parser.getgroup("hil", "hardware in the loop")
    g.addoption("--board", default=None, help=f"board of boards/*.toml (default: {DEFAULT_BOARD}, emulated)")
    g.addoption("--emulate", action="store_true", help="run on the board's emulated stand-in")
    g.addoption("--hardware-map", default=None, help="YAML hardware map (Zephyr twister's form) of a rack")
    g.addoption("--hil-model", action="append", default=None, help=f"sample or ONNX (repeatable; default "
                f"{', '.join(DEFAULT_MODELS)})")
    g.addoption("--hil-images", type=int, default=3, help="test images per model (default 3; 0: all of them, the nightly run)")
    g.addoption("--update-baseline", action="store_true", help="rewrite hil_tests/baseline.json's latencies")


def board_specs(config) -> list[BoardSpec]:
    if config.getoption("--hardware-map"):
        from toolkit.hil import hwmap
        try:
            entries = hwmap.load(Path(config.getoption("--hardware-map")))
        except ToolkitError as exc:
            raise pytest.UsageError(str(exc)) from None
        return [BoardSpec(e.platform, e.emulated, e.connected, e.probe_id or e.id, e.place) for e in entries]
    board = config.getoption("--board")
    return [BoardSpec(board or DEFAULT_BOARD, config.getoption("--emulate") or board is None)]


def pytest_generate_tests(metafunc):
    if "dut" in metafunc.fixturenames:
        models = metafunc.config.getoption("--hil-model") or DEFAULT_MODELS
        params = [(spec, m) for spec in board_specs(metafunc.config) for m in models]
        metafunc.parametrize("dut", params, indirect=True, scope="session", ids=[f"{s.id}/{m}" for s, m in params])


@pytest.fixture(scope="session")
def hil_images(pytestconfig) -> int:
    return pytestconfig.getoption("--hil-images")


@pytest.fixture(scope="session")
def update_baseline(pytestconfig) -> bool:
    return pytestconfig.getoption("--update-baseline")


@pytest.fixture(scope="session")
def baseline_path() -> Path:
    return BASELINE


@pytest.fixture(scope="session")
def hil_stack():
    with contextlib.ExitStack() as stack:
        yield stack


_firmware: dict = {}


@pytest.fixture(scope="session")
def dut(request, hil_stack, hil_images, tmp_path_factory):
    """The booted device under test for one (board, model)."""
    from toolkit.hil.dut import boot, prepare
    from toolkit.targets import get_target
    spec, model = request.param
    if not spec.connected:
        pytest.skip(f"not run: {spec.board} ({spec.probe_id}) is listed as not connected")
    key = (spec, model)
    if key not in _firmware:
        target = get_target(spec.board, spec.emulated, place=spec.place)
        if spec.place or not spec.emulated:
            target.unique_id = spec.probe_id  # (a labgrid place ignores it)
            try:
                target.preflight()
            except ToolkitError as exc:
                pytest.skip(f"not run: {exc}")
        fw = prepare(target, model, hil_images or None, tmp_path_factory.mktemp(f"{spec.id}-{model}"))
        _firmware[key] = hil_stack.enter_context(boot(fw))
    return _firmware[key]
