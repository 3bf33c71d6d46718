"""Fit a round's DVAE, starting from the previous round's weights when they fit.

``models.dvae.DisentangledVAE.fit`` always builds fresh networks, and ``models/`` has no
option to initialise them from a checkpoint yet. :class:`WarmStartDVAE` adds exactly that
by loading given weights into the network ``fit`` builds (after its seeded initialisation,
so the rest of the fit stays deterministic); everything else, checkpoints included, is the
plain DVAE's. Weights are used only when the palette and every architecture setting match
the previous checkpoint; otherwise the round starts cold and says why.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import torch

from alloyloop.agent.training_data import RoundData
from alloyloop.models.config import DVAEConfig
from alloyloop.models.dvae import DisentangledVAE

ARCHITECTURE = ("latent_dim", "encoder_hidden", "decoder_hidden", "classifier_hidden",
                "activation", "classifier_activation", "classifier_inputs", "features",
                "n_ensemble")
"""Config fields that change the networks' shapes or meaning: they must match to warm start."""


class WarmStartDVAE(DisentangledVAE):
    """A DVAE whose ``fit`` starts from ``initial_weights`` (a ``state_dict`` of its networks)."""

    def __init__(self, config: DVAEConfig | None = None, *, elements, seed: int = 0,
                 initial_weights: Mapping[str, torch.Tensor] | None = None) -> None:
        super().__init__(config, elements=elements, seed=seed)
        self._initial_weights = initial_weights

    def _build_net(self):  # noqa: ANN202 - models.networks.M2
        net = super()._build_net()
        if self._initial_weights is not None:
            net.load_state_dict(self._initial_weights)
        return net


@dataclass(frozen=True)
class WarmStart:
    """Whether a round started from earlier weights, from which checkpoint, or why not."""

    used: bool
    source: str | None
    reason: str

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def previous_weights(checkpoint: str | Path | None, config: DVAEConfig,
                     elements: tuple[str, ...]) -> tuple[Mapping[str, torch.Tensor] | None, WarmStart]:
    """The weights of ``checkpoint`` if they fit ``config`` and ``elements``."""
    if checkpoint is None:
        return None, WarmStart(False, None, "first model of the campaign")
    if not (Path(checkpoint) / "meta.json").is_file():
        return None, WarmStart(False, str(checkpoint), "previous checkpoint is missing")
    old = DisentangledVAE.load(checkpoint)
    if old.elements != tuple(elements):
        return None, WarmStart(False, str(checkpoint), "the model palette changed")
    for name in ARCHITECTURE:
        if getattr(old.config, name) != getattr(config, name):
            return None, WarmStart(False, str(checkpoint), f"DVAE setting {name} changed")
    assert old.net_ is not None
    weights = old.net_.state_dict()
    try:  # a setting not listed above may still change a shape: check before fitting
        WarmStartDVAE(config, elements=elements, initial_weights=weights)._build_net()
    except RuntimeError:
        return None, WarmStart(False, str(checkpoint), "the network shapes changed")
    return weights, WarmStart(True, str(checkpoint), "previous round's weights")


def fit_round_model(data: RoundData, config: DVAEConfig, *, seed: int,
                    previous_checkpoint: str | Path | None = None, warm_start: bool = True,
                    warm_start_max_epochs: int | None = None) -> tuple[DisentangledVAE, WarmStart]:
    """Fit the DVAE semi-supervised on a round's data (validation split given explicitly).

    A warm-started fit runs at most ``warm_start_max_epochs`` epochs: it starts near a
    solution, so it needs fewer.
    """
    weights, info = (previous_weights(previous_checkpoint, config, data.elements) if warm_start
                     else (None, WarmStart(False, None, "warm start is off in the spec")))
    if weights is not None and warm_start_max_epochs is not None:
        epochs = min(config.max_epochs, warm_start_max_epochs)
        config = dataclasses.replace(config, max_epochs=epochs,
                                     min_epochs=min(config.min_epochs, epochs))
    model = WarmStartDVAE(config, elements=data.elements, seed=seed, initial_weights=weights)
    model.fit(data.X_train, data.y_train,
              X_unlabelled=data.X_unlabelled if len(data.X_unlabelled) else None,
              X_val=data.X_val, y_val=data.y_val)
    return model, info
