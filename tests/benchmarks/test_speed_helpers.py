"""Plumbing of the issue-32 speed benchmarks: the picks' overlap and the per-step timers
(the timings themselves are not tested: no timed assertions)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import fields

import pytest

from alloyloop.agent.rounds.runner import SERVICES, Steps
from benchmarks.demo_steps import ROUND_STEPS, table, timed_steps
from benchmarks.suggest_time import overlap


def test_overlap_counts_shared_alloys_and_their_value_change():
    before = [{"key": "A", "value": -1.0}, {"key": "B", "value": -2.0}, {"key": "C", "value": -3.0}]
    after = [{"key": "B", "value": -2.5}, {"key": "A", "value": -1.0}, {"key": "D", "value": -0.5}]
    text = overlap(before, after)
    assert text.startswith("2 of 3 picks shared")
    assert "max |value change| of shared 5.00e-01" in text
    assert "best value before -1.0000, after -0.5000" in text


def test_timed_steps_record_every_call_even_a_failing_one():
    cpu, wall = defaultdict(list), defaultdict(list)
    steps = timed_steps(cpu, wall)
    assert {f.name for f in fields(Steps)} >= set(ROUND_STEPS)
    assert all(getattr(steps, f.name) is not getattr(SERVICES, f.name) for f in fields(Steps))
    with pytest.raises(TypeError):
        steps.begin(None, "no-such-campaign")  # None is no session factory
    assert len(cpu["begin"]) == 1 and len(wall["begin"]) == 1 and cpu["begin"][0] >= 0


def test_the_table_sums_the_steps_of_each_round():
    cpu = {name: [1.0, 0.5] for name in ROUND_STEPS}
    wall = {name: [2.0, 1.0] for name in ROUND_STEPS}
    text = table(cpu, wall, 2)
    assert "| **round (CPU)** | **7.0** | **3.5** |" in text
    assert "| round (wall) | 14.0 | 7.0 |" in text
