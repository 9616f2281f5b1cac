"""Arena placement: the memory planner interface and two interchangeable strategies.

Shape copied from TFLM's `micro_memory_planner.h`: callers `add_buffer(size, first, last)` with
the first and last schedule step (inclusive) at which the buffer is used, then ask
`offset_for(i)` and `peak()` (the arena size to declare). Lifetimes are closed intervals: two
buffers whose intervals share a step must not share bytes.

- `GreedyPlanner` (TFLM's greedy planner): buffers sorted by size, largest first (ties: earlier
  first use); each goes into the lowest gap left by already-placed buffers that are alive at
  the same time. Offsets are computed lazily, once, on the first query.
- `LinearPlanner` (TFLM's linear planner): a bump allocator, no reuse; the baseline whose peak
  is the sum of all buffers and never below the greedy one.

`buffers_overlap(planner)` is the checker the tests run on every plan.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass


@dataclass(frozen=True)
class Request:
    size: int
    first: int
    last: int

    def alive_with(self, other: "Request") -> bool:
        """Closed-interval overlap in time: [first, last] shares at least one step."""
        return self.first <= other.last and other.first <= self.last


def _round_up(n: int, align: int) -> int:
    return (n + align - 1) // align * align


class MemoryPlanner(ABC):
    """Collects buffer requests; places them on first query."""

    name = "abstract"

    def __init__(self, align: int = 1):
        if align < 1:
            raise ValueError(f"alignment must be >= 1, got {align}")
        self.align = align
        self._requests: list[Request] = []
        self._offsets: list[int] | None = None

    def add_buffer(self, size: int, first: int, last: int) -> int:
        """Request `size` bytes alive from step `first` to step `last` (inclusive); returns its index."""
        if size < 0 or first > last:
            raise ValueError(f"bad buffer request size={size} first={first} last={last}")
        self._requests.append(Request(_round_up(size, self.align), first, last))
        self._offsets = None
        return len(self._requests) - 1

    def buffer_count(self) -> int:
        return len(self._requests)

    def request(self, index: int) -> Request:
        return self._requests[index]

    def offset_for(self, index: int) -> int:
        if self._offsets is None:
            self._offsets = self._place()
        return self._offsets[index]

    def peak(self) -> int:
        """Arena bytes needed: the highest end address of any placed buffer."""
        if not self._requests:
            return 0
        return max(self.offset_for(i) + r.size for i, r in enumerate(self._requests))

    @abstractmethod
    def _place(self) -> list[int]:
        ...


class LinearPlanner(MemoryPlanner):
    name = "linear"

    def _place(self) -> list[int]:
        offsets, top = [], 0
        for r in self._requests:
            offsets.append(top)
            top += r.size
        return offsets


class GreedyPlanner(MemoryPlanner):
    name = "greedy"

    def _place(self) -> list[int]:
        reqs = self._requests
        order = sorted(range(len(reqs)), key=lambda i: (-reqs[i].size, reqs[i].first, i))
        offsets = [0] * len(reqs)
        placed: list[int] = []
        for i in order:
            r = reqs[i]
            if r.size == 0:
                continue
            busy = sorted((offsets[j], offsets[j] + reqs[j].size) for j in placed if r.alive_with(reqs[j]))
            candidate = 0
            for lo, hi in busy:
                if candidate + r.size <= lo:
                    break
                candidate = max(candidate, hi)
            offsets[i] = candidate
            placed.append(i)
        return offsets


PLANNERS: dict[str, type[MemoryPlanner]] = {"greedy": GreedyPlanner, "linear": LinearPlanner}


def make_planner(name: str, align: int = 1) -> MemoryPlanner:
    try:
        return PLANNERS[name](align=align)
    except KeyError:
        raise ValueError(f"unknown planner {name!r}; choose from {sorted(PLANNERS)}") from None


def buffers_overlap(planner: MemoryPlanner) -> bool:
    """True if two buffers alive at a common step share any byte (the tests' invariant)."""
    n = planner.buffer_count()
    spans = []
    for i in range(n):
        r = planner.request(i)
        if r.size:
            spans.append((planner.offset_for(i), planner.offset_for(i) + r.size, r))
    for a in range(len(spans)):
        lo_a, hi_a, ra = spans[a]
        for b in range(a + 1, len(spans)):
            lo_b, hi_b, rb = spans[b]
            if ra.alive_with(rb) and lo_a < hi_b and lo_b < hi_a:
                return True
    return False
