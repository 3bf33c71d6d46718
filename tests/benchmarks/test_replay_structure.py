"""The phase4 replay's hits, density hypervolume, specs and table (no campaign is run
here: the metrics are fed stored labels and per-round records)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from benchmarks.replay import run_name, spec_dict
from benchmarks.replay_structure import (
    density_of,
    hypervolume_share,
    pool_density_range,
    render,
    structure_hit,
    structure_truth,
    target_labels,
)
from alloyloop.campaigns.spec import parse_spec

PNG = b"\x89PNG\r\n\x1a\n"


def test_truth_counts_only_singles_of_the_target_inside_the_pool():
    hidden = pd.DataFrame({"key": ["A", "B", "C", "D", "E"],
                           "single_phase": [True, True, False, True, True],
                           "phase4": ["BCC", "FCC", "multi-phase", "BCC", "BCC"]})
    truth = structure_truth(hidden, {"A", "B", "C", "D"}, "BCC")
    assert truth == {"A": 1, "B": 0, "C": 0, "D": 1}  # E is withheld, not in the pool
    assert structure_truth(hidden, {"B"}, "FCC") == {"B": 1}


def test_a_hit_is_a_single_phase_label_naming_the_structure():
    hit = structure_hit("BCC")
    assert hit(SimpleNamespace(outcome="single", phases=["BCC"]))
    assert not hit(SimpleNamespace(outcome="single", phases=["FCC"]))
    assert not hit(SimpleNamespace(outcome="single", phases=[]))  # structure unknown
    assert not hit(SimpleNamespace(outcome="multi", phases=["BCC", "FCC"]))


def test_target_labels_drop_singles_of_unknown_structure():
    keep, y = target_labels(np.array(["BCC", "FCC", "single", "multi", "BCC"]), "BCC")
    assert keep.tolist() == [True, True, False, True, True]
    assert y[keep].tolist() == [1, 0, 0, 1]


def test_density_range_and_hypervolume_share():
    elements = ("Nb", "Mo", "Ta", "W", "Ti", "Al")
    truth = {"NbMoTaW": 1, "Ti": 1, "Al": 0}
    best, ref = pool_density_range(truth, elements)
    rho_ti = density_of(elements)(np.array([[0, 0, 0, 0, 1.0, 0]]))[0]
    assert best == pytest.approx(rho_ti) and ref == pytest.approx(13.64, abs=0.02)
    assert hypervolume_share(None, best, ref) == 0.0  # no hit yet
    assert hypervolume_share(ref, best, ref) == 0.0  # only the heaviest found
    assert hypervolume_share(best, best, ref) == 1.0  # the pool's lightest found
    mid = 0.5 * (best + ref)
    assert hypervolume_share(mid, best, ref) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="no alloy of the target structure"):
        pool_density_range({"Al": 0}, elements)


def test_structure_specs_parse_with_phase4_model_and_density_only_for_botorch():
    palette = ["Al", "Cr", "Nb", "Ti", "V", "Zr"]
    bo = parse_spec(spec_dict(run_name("dvae-botorch", "full", 0, "BCC"), "dvae-botorch",
                              "full", 0, 10, palette, quick=False, target="BCC"))
    assert bo.name == "replay-BCC-full-dvae-botorch-s0"
    assert bo.goal.target == "BCC" and dict(bo.goal.objectives) == {"density": "minimize"}
    assert bo.model.dvae["label"] == "phase4"
    greedy = parse_spec(spec_dict("g", "dvae-greedy", "full", 0, 10, palette, quick=False,
                                  target="BCC"))
    assert greedy.goal.target == "BCC" and not greedy.goal.objectives
    single = parse_spec(spec_dict("s", "dvae-botorch", "full", 0, 10, palette, quick=False))
    assert single.goal.target == "single" and "label" not in single.model.dvae
    assert run_name("random", "full", 1) == "replay-full-random-s1"


def _run(strategy: str, seed: int, hits: list[int], lightest: list[float | None],
         hv: list[float]) -> dict:
    rounds, cum = [], 0
    for t, h in enumerate(hits):
        cum += h
        rounds.append({"round": t, "cumulative_experiments": 10 * (t + 1), "cumulative_hits": cum,
                       "enhancement": cum / (10 * (t + 1)) / 0.25, "lightest_hit": lightest[t],
                       "balanced_accuracy": 0.8, "roc_auc": 0.9})
    return {"strategy": strategy, "seed": seed, "pool_size": 400, "pool_singles": 100,
            "wall_seconds": 60.0, "rounds": rounds, "hv_share": hv}


def test_render_table_paired_lines_and_plot(tmp_path):
    results = [_run("dvae-botorch", s, [4, 5], [7.0, 6.0 - s], [0.3, 0.6 + 0.1 * s])
               for s in range(2)]
    results += [_run("dvae-greedy", s, [6, 6], [9.0, 8.0], [0.1, 0.2]) for s in range(2)]
    md = render(results, tmp_path, target="BCC", command="c", machine="m", rounds=2, batch=10)
    row = next(line for line in md.splitlines() if line.startswith("| dvae-botorch"))
    assert "| 2 | 9.0 ± 0.0 | 1.80 ± 0.00 | 5.50 ± 6.35 | 0.65 ± 0.64 |" in row
    assert ("dvae-botorch − dvae-greedy, paired by seed: hits -3.0 ± 0.0 (s0 -3.0, s1 -3.0; "
            "dvae-botorch ahead on 0 of 2); lightest hit -2.50 ± 6.35 (s0 -2.00, s1 -3.00; "
            "dvae-botorch ahead on 2 of 2) g/cm³") in md
    assert "pool share of BCC singles 0.250" in md
    assert (tmp_path / "replay-BCC.png").read_bytes().startswith(PNG)
