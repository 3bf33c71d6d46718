"""The DVAE's checkpoint contents (format ``alloyloop.dvae/1``): what a fitted model writes
into :func:`alloyloop.models.checkpoint.write_checkpoint`, and how a checkpoint of any
earlier version of that format reads back (settings added since get the value that
reproduces what the older code did).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from alloyloop.featurize.descriptors import FeatureSchema
from alloyloop.models.checkpoint import read_checkpoint, write_checkpoint
from alloyloop.models.config import DVAEConfig
from alloyloop.models.conformal import SplitConformal
from alloyloop.models.domain import DomainModel
from alloyloop.models.features import Standardizer
from alloyloop.models.warm_start import COLD, WarmStart

CHECKPOINT_FORMAT = "alloyloop.dvae/1"


def upgrade_config(config: dict[str, Any]) -> dict[str, Any]:
    """A stored config with every later setting defaulted to what its code did."""
    config = dict(config)
    if "vae_selection" not in config:
        # written before two-phase selection: every weight was kept at the best
        # classifier epoch, with no free bits and no label-control term
        config.update(vae_selection="classifier", free_bits=0.0, control_weight=0.0)
    config.setdefault("decode_clean_at_pct", 0.0)  # earlier decodes were not cleaned
    config.setdefault("label", "single")  # written before phase4 labels: binary
    config.setdefault("processing_input", False)
    config.setdefault("probability_floor", 0.0)  # written before the logit cap: none
    config.setdefault("composition_likelihood", "multinomial")  # before presence decoding
    # before the VAE phase had its own batches and improvement threshold
    config.setdefault("vae_batch_size", config.get("batch_size", 256))
    config.setdefault("vae_min_improvement", 0.0)
    return config


@dataclass(frozen=True)
class Stored:
    """A checkpoint read back: what the estimator is rebuilt from."""

    config: DVAEConfig
    elements: tuple[str, ...]
    seed: int
    design_processing: str | None
    schema: FeatureSchema
    weights: dict[str, torch.Tensor]
    standardizer: Standardizer
    temperature: float
    conformal: SplitConformal
    domain: DomainModel
    data_sha256: str | None
    metrics: dict[str, Any]
    history: list[dict[str, float]]
    warm_start: WarmStart


def write(path: str | Path, s: Stored) -> Path:
    """Write ``s`` as a checkpoint directory at ``path``."""
    seen = [e for e, on in zip(s.elements, s.domain.seen_elements) if on]
    meta = {
        "format": CHECKPOINT_FORMAT, "config": s.config.to_dict(),
        "elements": list(s.elements), "seed": s.seed, "schema": s.schema.to_dict(),
        "standardizer": s.standardizer.to_dict(), "temperature": s.temperature,
        "conformal": s.conformal.to_dict(),
        "domain": {"threshold": s.domain.threshold, "quantile": s.domain.quantile,
                   "seen_elements": seen},
        "data_sha256": s.data_sha256, "metrics": s.metrics, "history": s.history,
        "warm_start": s.warm_start.to_dict(), "design_processing": s.design_processing,
        "torch_version": torch.__version__,
    }
    tensors = {"weights": s.weights,
               "domain": {"reference": torch.as_tensor(s.domain.reference)}}
    return write_checkpoint(path, meta, tensors)


def read(path: str | Path) -> Stored:
    """Read and verify a checkpoint written by :func:`write` (or by the estimator before
    this module existed: the layout is the same)."""
    meta, tensors = read_checkpoint(path, CHECKPOINT_FORMAT)
    elements = tuple(meta["elements"])
    seen = set(meta["domain"]["seen_elements"])
    return Stored(
        config=DVAEConfig.from_dict(upgrade_config(meta["config"])), elements=elements,
        seed=meta["seed"], design_processing=meta.get("design_processing"),  # older: none
        schema=FeatureSchema.from_dict(meta["schema"]), weights=tensors["weights"],
        standardizer=Standardizer.from_dict(meta["standardizer"]),
        temperature=float(meta["temperature"]),
        conformal=SplitConformal.from_dict(meta["conformal"]),
        domain=DomainModel(
            reference=tensors["domain"]["reference"].numpy().astype(np.float64),
            seen_elements=np.array([e in seen for e in elements]),
            threshold=float(meta["domain"]["threshold"]),
            quantile=float(meta["domain"]["quantile"])),
        data_sha256=meta["data_sha256"], metrics=meta["metrics"], history=meta["history"],
        # checkpoints before the fit option have no warm-start record
        warm_start=WarmStart(**meta["warm_start"]) if "warm_start" in meta else COLD)
