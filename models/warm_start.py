"""Whether a fit may start from an earlier model's weights (``DisentangledVAE.fit(init_from=…)``).

Weights carry over only when the palette and every setting that shapes the networks match;
otherwise the fit starts cold and says why, so a campaign whose palette grew keeps running.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path

from alloyloop.featurize.converter import unstructure
from alloyloop.models.config import DVAEConfig

ARCHITECTURE = ("label", "latent_dim", "encoder_hidden", "decoder_hidden", "classifier_hidden",
                "activation", "classifier_activation", "classifier_inputs", "processing_input",
                "features",
                "n_ensemble", "composition_likelihood", "encoder_presence")
"""Config fields that change the networks' shapes or meaning: they must match to warm start."""


@dataclass(frozen=True)
class WarmStart:
    """Whether a fit started from earlier weights, from which model, or why not."""

    used: bool
    source: str | None
    reason: str

    def to_dict(self) -> dict:
        return unstructure(self)


COLD = WarmStart(False, None, "no earlier model given")


def mismatch(old_config: DVAEConfig, old_elements: tuple[str, ...], config: DVAEConfig,
             elements: tuple[str, ...]) -> str | None:
    """Why weights of a model with ``old_config``/``old_elements`` cannot initialise one with
    ``config``/``elements`` (None when they can)."""
    if tuple(old_elements) != tuple(elements):
        return "the model palette changed"
    for name in ARCHITECTURE:
        if getattr(old_config, name) != getattr(config, name):
            return f"DVAE setting {name} changed"
    return None


def initial_weights(init_from, config: DVAEConfig, elements: tuple[str, ...], load
                    ) -> tuple[dict | None, WarmStart]:
    """The network weights of ``init_from`` (a fitted model, or its checkpoint directory
    read with ``load``) if they fit a model of ``config``/``elements``, and the record of
    whether they are used and why (not)."""
    if init_from is None:
        return None, COLD
    if isinstance(init_from, str | Path):
        source = str(init_from)
        if not (Path(init_from) / "meta.json").is_file():
            return None, WarmStart(False, source, "previous checkpoint is missing")
        old = load(init_from)
    else:
        old, source = init_from, "a model in memory"
    if old.net_ is None:
        return None, WarmStart(False, source, "the earlier model is not fitted")
    reason = mismatch(old.config, old.elements, config, elements)
    if reason is not None:
        return None, WarmStart(False, source, reason)
    return copy.deepcopy(old.net_.state_dict()), WarmStart(True, source,
                                                           "previous round's weights")
