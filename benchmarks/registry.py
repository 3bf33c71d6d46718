"""The models the benchmarks compare, by table name, and how each is fed.

Every entry builds a fresh seeded :class:`~models.base.PhaseClassifier`. The DVAE entries
take :class:`alloyloop.models.config.DVAEConfig` overrides (``--dvae-set key=value`` on the command
line), so a sweep never edits the model's defaults.
"""

from __future__ import annotations

import ast
import dataclasses
import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alloyloop.models.base import PhaseClassifier
from alloyloop.models.baselines import BASELINE_NAMES, make_baseline

DVAE_NAMES = ("dvae", "dvae-supervised")


@dataclass(frozen=True)
class ModelSpec:
    """How to build one benchmarked model.

    Attributes:
        name: table name.
        build: ``(elements, seed) -> PhaseClassifier``.
        semi_supervised: fitted with ``X_unlabelled`` (the pool, plus withheld labels in
            the data-efficiency study).
    """

    name: str
    build: Callable[[Sequence[str], int], PhaseClassifier]
    semi_supervised: bool = False


def dvae_config(overrides: Mapping[str, Any] | None = None):
    """``DVAEConfig()`` with ``overrides`` applied (validated by the config itself)."""
    from alloyloop.models.config import DVAEConfig

    return dataclasses.replace(DVAEConfig(), **dict(overrides or {}))


def dvae_spec(name: str, overrides: Mapping[str, Any] | None = None, *,
              semi_supervised: bool = True) -> ModelSpec:
    """A DVAE entry: semi-supervised (pool as ``X_unlabelled``) or supervised-only (no
    ``X_unlabelled``; the DVAE has no separate switch, see /tmp/dvae_api.md)."""
    config = dvae_config(overrides)

    def build(elements: Sequence[str], seed: int) -> PhaseClassifier:
        from alloyloop.models.dvae import DisentangledVAE

        model = DisentangledVAE(config, elements=elements, seed=seed)
        model.name = name  # type: ignore[attr-defined]
        return model

    return ModelSpec(name=name, build=build, semi_supervised=semi_supervised)


def model_specs(names: Sequence[str], dvae_overrides: Mapping[str, Any] | None = None
                ) -> list[ModelSpec]:
    """Specs for ``names`` (baseline names, ``dvae``, ``dvae-supervised``), in order.

    Raises:
        ValueError: an unknown name.
    """
    specs = []
    for name in names:
        if name in BASELINE_NAMES:
            specs.append(ModelSpec(name, lambda el, seed, name=name: make_baseline(name, el, seed)))
        elif name == "dvae":
            specs.append(dvae_spec(name, dvae_overrides, semi_supervised=True))
        elif name == "dvae-supervised":
            specs.append(dvae_spec(name, dvae_overrides, semi_supervised=False))
        else:
            raise ValueError(
                f"unknown model {name!r}; expected one of "
                f"{', '.join((*BASELINE_NAMES, *DVAE_NAMES))}"
            )
    return specs


_ROOT = Path(__file__).resolve().parents[1]


def code_fingerprint(name: str) -> str:
    """SHA-256 (first 16 hex digits) of the code a model's predictions depend on: the
    featurizer, plus ``models/*.py`` for the DVAE or ``models/baselines/*.py`` for a
    baseline (docstrings, comments and layout excluded). ``--resume`` reuses a stored
    result only when this still matches."""
    files = sorted((_ROOT / "featurize").glob("*.py"))
    files += sorted((_ROOT / "models").glob("*.py")) if name in DVAE_NAMES or name.startswith(
        "dvae") else sorted((_ROOT / "models" / "baselines").glob("*.py"))
    digest = hashlib.sha256()
    for f in files:
        digest.update(f.relative_to(_ROOT).as_posix().encode())
        digest.update(_code_only(f.read_text(encoding="utf-8")).encode())
    return digest.hexdigest()[:16]


def _code_only(source: str) -> str:
    """The syntax tree of ``source`` without docstrings, comments or layout, so edits to
    documentation do not invalidate stored results."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (isinstance(body, list) and body and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)):
            node.body = body[1:] or [ast.Pass()]
    return ast.dump(tree)


def uses_validation(model: object) -> bool:
    """Whether ``model`` wants a validation split (models without the flag get one)."""
    return bool(getattr(model, "uses_validation", True))


def parse_overrides(items: Sequence[str]) -> dict[str, Any]:
    """``["max_epochs=50", "prior=\"flat\""]`` → ``{"max_epochs": 50, "prior": "flat"}``.

    Values are JSON; a value that is not JSON is taken as a string (``prior=flat``).
    Lists become tuples (config fields such as ``encoder_hidden`` are tuples).
    """
    import json

    out: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise ValueError(f"override {item!r} must look like key=value, e.g. max_epochs=50")
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        out[key.strip()] = tuple(value) if isinstance(value, list) else value
    return out
