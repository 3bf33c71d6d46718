"""hea-bench's published baseline results, read from the installed package at run time."""

from __future__ import annotations

import json
from importlib import resources

SOURCE = "hea_bench/_data/benchmark-baselines.json"


def published_baselines(task: str = "single_vs_multi") -> dict[str, dict]:
    """Model name → hea-bench's published result dict for ``task`` (per-scheme
    ``balanced_accuracy_mean``, ``mcc_mean``, per-fold metrics …), from :data:`SOURCE`."""
    text = resources.files("hea_bench").joinpath("_data/benchmark-baselines.json").read_text()
    return {r["model"]: r for r in json.loads(text)["results"][task]}
