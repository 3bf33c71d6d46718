"""Why each suggestion: its own strongest SHAP features, computed when the report is made.

The report's SHAP figures explain the classifier on labelled alloys (what drives p(single)
in general, or p(FCC) for an FCC campaign on a phase4 model: the probability the campaign
ranks by). A suggestion is explained on its own: the SHAP values of its p(single) (p(FCC))
against the same background rows, and its ``top`` features by |SHAP| with the alloy's value
of each and the signed contribution (+0.031: raises it by 0.031 from the background's
average). They go into the report's suggestion table and ``suggestion_shap.json`` in the
report folder (with the probability they explain), which the web app's queue reads (no
model is loaded to show the queue).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from alloyloop.agent.report.shap_values import ShapResult

FILE = "suggestion_shap.json"
TOP = 3


@dataclass(frozen=True)
class Driver:
    """One feature of one suggestion's explanation."""

    feature: str
    value: float
    """The suggestion's value of the feature (physical units, as the beeswarm's colour)."""
    shap: float
    """Its contribution to the suggestion's :attr:`explains`."""
    explains: str = "p(single)"
    """The probability explained: p(single), or p(FCC) for an FCC campaign on a phase4 model."""

    @property
    def text(self) -> str:
        """``VEC [e/atom] 8.1: +0.031`` (the value to 3 significant digits, never in
        e-notation: ``T_m [K] 1721``, ``Δχ [Pauling] 0.0293``)."""
        value = f"{self.value:.0f}" if abs(self.value) >= 100 else f"{self.value:.3g}"
        return f"{self.feature} {value}: {self.shap:+.3f}"


def top_drivers(result: ShapResult, top: int = TOP) -> list[list[Driver]]:
    """Per explained row, its ``top`` features by |SHAP|, largest first."""
    out = []
    for values, data in zip(result.values, result.data):
        order = np.argsort(-np.abs(values), kind="stable")[:top]
        out.append([Driver(result.names[j], float(data[j]), float(values[j]), result.explains) for j in order])
    return out


def write_explanations(ids: Sequence[int], drivers: Sequence[Sequence[Driver]], method: str, out_dir: Path
                       ) -> Path:
    """``suggestion_shap.json``: suggestion id -> its drivers, and what they explain (a report
    made before issue 33 does not say: p(single))."""
    file = Path(out_dir) / FILE
    explains = next((d.explains for found in drivers for d in found), "p(single)")
    body = {"method": method, "explains": explains,
            "suggestions": {str(i): [{k: v for k, v in asdict(d).items() if k != "explains"} for d in found]
                            for i, found in zip(ids, drivers)}}
    file.write_text(json.dumps(body, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return file


def read_explanations(report_dir: Path) -> dict[int, list[Driver]]:
    """The drivers a report stored per suggestion id; empty when it has none (a report made
    before they were computed) or the file is damaged."""
    file = Path(report_dir) / FILE
    try:
        body = json.loads(file.read_text(encoding="utf-8"))
        found, explains = body["suggestions"], body.get("explains")
        explains = explains if isinstance(explains, str) and explains.startswith("p(") else "p(single)"
        return {int(i): [Driver(str(d["feature"]), float(d["value"]), float(d["shap"]), explains) for d in rows]
                for i, rows in found.items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}

