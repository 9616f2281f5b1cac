"""Planner interface: closed-interval lifetimes, greedy vs linear, the overlap checker."""
import random

import pytest

from toolkit.plan.memory import GreedyPlanner, LinearPlanner, buffers_overlap, make_planner


def test_closed_intervals_touching_at_one_step_do_not_share():
    p = GreedyPlanner()
    a = p.add_buffer(100, 0, 1)
    b = p.add_buffer(100, 1, 2)  # both alive at step 1
    c = p.add_buffer(100, 2, 3)  # not alive with a
    assert p.offset_for(a) != p.offset_for(b)
    assert p.offset_for(c) == p.offset_for(a)
    assert p.peak() == 200
    assert not buffers_overlap(p)


def test_identical_intervals_are_separated():  # TinyEngine's firstFit misses this case
    p = GreedyPlanner()
    p.add_buffer(64, 3, 3)
    p.add_buffer(64, 3, 3)
    assert p.peak() == 128 and not buffers_overlap(p)


def test_checker_detects_overlap():
    p = LinearPlanner()
    p.add_buffer(10, 0, 5)
    p.add_buffer(10, 2, 3)
    p._offsets = [0, 5]
    assert buffers_overlap(p)


def test_alignment_rounds_sizes():
    p = make_planner("greedy", align=16)
    p.add_buffer(1, 0, 0)
    p.add_buffer(1, 0, 0)
    assert p.offset_for(1) % 16 == 0 and p.peak() == 32


def test_rejects_bad_requests():
    with pytest.raises(ValueError):
        GreedyPlanner().add_buffer(10, 3, 2)
    with pytest.raises(ValueError):
        make_planner("best-fit")


@pytest.mark.parametrize("seed", range(30))
def test_random_buffers_greedy_valid_and_not_worse_than_linear(seed):
    rng = random.Random(seed)
    g, lin = GreedyPlanner(), LinearPlanner()
    lower = [0] * 40
    for _ in range(rng.randint(1, 60)):
        size, first = rng.randint(0, 5000), rng.randint(0, 39)
        last = min(39, first + rng.randint(0, 8))
        g.add_buffer(size, first, last)
        lin.add_buffer(size, first, last)
        for s in range(first, last + 1):
            lower[s] += size
    assert not buffers_overlap(g) and not buffers_overlap(lin)
    assert max(lower) <= g.peak() <= lin.peak()
