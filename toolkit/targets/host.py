"""The host target: the firmware application built for the build machine (env host_app), its
serial link on the process's stdin/stdout. Every host deploy and test goes through the same
protocol client as a board does."""
from __future__ import annotations

import contextlib
import os
import select
import subprocess
from pathlib import Path

import json
from dataclasses import dataclass

import numpy as np

from ..errors import ToolkitError
from ..ir import Graph
from . import Target, stop_process


class PipeLink:
    """The pyserial calls the client uses (write, flush, read with timeout, in_waiting, close),
    over a child process's pipes."""

    def __init__(self, proc: subprocess.Popen):
        self.proc, self.timeout = proc, 1.0
        self.out, self.inp = proc.stdin.fileno(), proc.stdout.fileno()

    def write(self, data: bytes) -> int:
        view = memoryview(data)
        while view:
            view = view[os.write(self.out, view):]
        return len(data)

    def flush(self) -> None:
        pass

    @property
    def in_waiting(self) -> int:
        return 4096 if select.select([self.inp], [], [], 0)[0] else 0

    def read(self, n: int = 1) -> bytes:
        if not select.select([self.inp], [], [], self.timeout)[0]:
            return b""
        data = os.read(self.inp, n)
        if not data:
            raise OSError(f"the host runner exited (status {self.proc.poll()})")
        return data

    def close(self) -> None:
        for f in (self.proc.stdin, self.proc.stdout):
            f.close()


class HostTarget(Target):
    @contextlib.contextmanager
    def session(self, program: Path):
        proc = subprocess.Popen([str(program)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)
        try:
            with self.handshake(PipeLink(proc), f"pipe:{program.name}[{proc.pid}]") as client:
                yield client
        finally:
            stop_process(proc, grace=5)   # the closed pipe ends it; a stuck one is killed


# ---- the batch runner (env host: firmware/runner/host_main.c): files in, files out, no protocol.
# For the bulk engine tests and the callgrind benchmark (10,000 images through a dozen schedules).
@dataclass
class HostRun:
    outputs: dict[str, np.ndarray]   # graph output name -> int8 IR [N, ...]
    stats: dict


def run_batch(program: Path, g: Graph, inputs: dict[str, np.ndarray], work: Path) -> HostRun:
    """Run the host binary on int8 IR inputs (graph input name -> [N, ...])."""
    n = len(next(iter(inputs.values())))
    src, dst = work / "inputs.bin", work / "outputs.bin"
    with open(src, "wb") as f:
        for i in range(n):
            for name in g.inputs:
                f.write(np.ascontiguousarray(inputs[name][i], np.int8).tobytes())
    res = subprocess.run([str(program), str(src), str(dst), str(n)], capture_output=True, text=True)
    if res.returncode != 0:
        raise ToolkitError(f"{program} failed (exit {res.returncode}):\n{res.stderr[-4000:]}")
    raw = np.fromfile(dst, np.int8)
    sizes = [g.tensors[o].size for o in g.outputs]
    raw = raw.reshape(n, sum(sizes))
    outs, pos = {}, 0
    for name, size in zip(g.outputs, sizes):
        outs[name] = raw[:, pos:pos + size].reshape((n, *g.tensors[name].shape[1:]))
        pos += size
    return HostRun(outs, json.loads(res.stdout))


