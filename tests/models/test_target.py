"""The one module that owns "target" (alloyloop.models.target): its names, the outcomes
that count as a hit, and that importing it (as the campaign spec does) loads no torch."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from alloyloop.campaigns.goal import Goal, GoalError
from alloyloop.models.target import (
    TARGETS,
    check_target,
    is_hit,
    label_word,
    single_columns,
    target_outcomes,
)


def test_the_targets_are_single_and_the_three_structures():
    assert TARGETS == ("single", "FCC", "BCC", "HCP")
    for target in TARGETS:
        check_target(target)
        assert Goal(target=target).target == target


@pytest.mark.parametrize("wrong", ["bcc", "multi", "L12", ""])
def test_a_wrong_target_names_the_choices_in_the_goal_and_the_strategies(wrong):
    with pytest.raises(ValueError, match="use one of 'single', 'FCC', 'BCC', 'HCP'") as raised:
        check_target(wrong)
    with pytest.raises(GoalError) as goal:
        Goal(target=wrong)
    assert str(goal.value) == str(raised.value)  # one message, one rule
    if wrong == "bcc":
        assert "did you mean 'BCC'?" in str(raised.value)


def test_a_label_word_is_multi_the_one_structure_named_or_single():
    assert label_word(False, ["FCC"]) == "multi"
    assert label_word(True, ["BCC"]) == "BCC"
    assert label_word(True, []) == "single"
    assert label_word(True, None) == "single"
    assert label_word(True, ["FCC", "BCC"]) == "single"  # not one structure: unknown
    assert label_word(True, ["B2"]) == "single"


def test_outcomes_per_target():
    words = np.array(["BCC", "FCC", "single", "multi", "HCP"], dtype=object)
    np.testing.assert_array_equal(target_outcomes(words, "single"), [1, 1, 1, 0, 1])
    np.testing.assert_array_equal(target_outcomes(words, "BCC"), [1, 0, np.nan, 0, 0])
    np.testing.assert_array_equal(target_outcomes(words, "HCP"), [0, 0, np.nan, 0, 1])
    with pytest.raises(ValueError, match="use one of"):
        target_outcomes(words, "multi")


@pytest.mark.parametrize(("single", "phases", "target", "hit"), [
    (True, ["FCC"], "single", True),
    (True, [], "single", True),
    (False, ["FCC", "BCC"], "single", False),
    (True, ["FCC"], "FCC", True),
    (True, ["FCC"], "BCC", False),  # single-phase, but not the target's structure
    (True, [], "BCC", False),  # single-phase of unknown structure: not known to be a hit
    (False, ["BCC", "FCC"], "BCC", False),
])
def test_a_hit_is_what_the_target_says(single, phases, target, hit):
    assert is_hit(single, phases, target) is hit
    word = label_word(single, phases)
    assert hit == (target_outcomes([word], target)[0] == 1.0)  # the strategies' rule too


def test_single_is_every_class_but_multi():
    assert single_columns(("single",)) is None
    assert single_columns(("FCC", "BCC", "HCP", "multi")) == (0, 1, 2)


def test_the_target_module_and_the_goal_load_no_torch():
    code = ("import sys, alloyloop.models.target, alloyloop.campaigns.goal; "
            "print('torch' in sys.modules)")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=True)
    assert run.stdout.strip() == "False"


def test_structure_words_have_one_spelling():
    from alloyloop.models.target import structure_words

    assert list(structure_words(["multi-phase", "fcc", "BCC", "single-phase", "HCP"])) == \
        ["multi", "FCC", "BCC", "single", "HCP"]
    np.testing.assert_array_equal(target_outcomes(["multi-phase", "bcc"], "BCC"), [0, 1])
    with pytest.raises(ValueError, match="'L12' \\(row 1\\) is not one"):
        structure_words(["FCC", "L12"])
