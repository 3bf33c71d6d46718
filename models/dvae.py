"""The semi-supervised disentangled VAE (Kingma M2; Zeng, Khan & Post 2024) as a
scikit-learn-style estimator with calibrated probabilities, conformal sets and a
domain-of-applicability signal.

    model = DisentangledVAE(DVAEConfig(), elements=palette, seed=0)
    model.fit(X, y, X_unlabelled=X_pool)
    model.fit(X2, y2, init_from=model)    # warm start from earlier weights (checked)
    model.predict_proba(X_new)            # (n,) calibrated p(single-phase)
    model.predict_detail(X_new)           # + conformal set, in_domain, domain score
    model.encode(X) / model.decode(z, y) / model.reconstruct(X)
    model.transform(X) / model.classifier_head()   # the head's inputs and the head itself
    model.save(dir); DisentangledVAE.load(dir)

Training is two-phase by default (``config.vae_selection = "elbo"``): the classifier
phase trains every network and keeps the classifier of the epoch with the best
validation score; then, with the classifier frozen, the VAE phase trains the encoder and
decoder on (free bits, label-control term) and keeps them at the best validation
−ELBO + control term. Free bits and the control term act only in the VAE phase, so the
classifier is exactly the one a classifier-only selection keeps.

``X`` is an ``(n, E)`` matrix of mole fractions over ``elements``; ``y`` is 1 for
single-phase, 0 for multi-phase. Fitting is deterministic for a given seed on CPU: every
random draw comes from RNG state seeded inside ``fit`` (the caller's global torch RNG is
saved and restored around it).
"""

from __future__ import annotations

import copy
import dataclasses
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from alloyloop.featurize.descriptors import FULL_SCHEMA, FeatureSchema
from alloyloop.featurize.elements import element_table
from alloyloop.models.calibration import expected_calibration_error
from alloyloop.models.checkpoint import data_sha256, read_checkpoint, write_checkpoint
from alloyloop.models.composition import decoded_fractions
from alloyloop.models.config import DVAEConfig
from alloyloop.models.conformal import SplitConformal, set_labels
from alloyloop.models.domain import DomainModel
from alloyloop.models.features import Standardizer, classifier_inputs, descriptors
from alloyloop.models.label_space import BinarySpace, label_space, single_scores
from alloyloop.models.labels import class_codes
from alloyloop.models.networks import M2, CalibratedHead, CalibratedSingleHead
from alloyloop.models.processing import (
    LEVELS,
    ROUTES,
    UNKNOWN,
    route_counts,
    route_one_hot,
    route_words,
)
from alloyloop.models.latent_quality import clean, fit_quality
from alloyloop.models.priors import (
    count_quantiles,
    effective_element_count,
    element_count_penalty,
    rule_prior,
)
from alloyloop.models.torch_features import RouteInputs, TorchClassifierInputs, clean_fractions
from alloyloop.models.warm_start import COLD, WarmStart, mismatch

CHECKPOINT_FORMAT = "alloyloop.dvae/1"


@dataclass(frozen=True)
class PredictionDetail:
    """Per-row predictions; every array has length n.

    Attributes:
        p_single: calibrated probability of single-phase, float64.
        set_single / set_multi: conformal set membership, bool.
        sets: the set as text, "{single}", "{multi}", "{single,multi}" or "{}".
        in_domain: inside the domain of applicability, bool.
        domain_score: nearest-labelled-neighbour distance / threshold (≤ 1 inside).
    """

    p_single: np.ndarray
    set_single: np.ndarray
    set_multi: np.ndarray
    sets: list[str]
    in_domain: np.ndarray
    domain_score: np.ndarray

    def to_frame(self):
        """A pandas DataFrame with one column per attribute."""
        import pandas as pd

        return pd.DataFrame({
            "p_single": self.p_single, "set": self.sets, "set_single": self.set_single,
            "set_multi": self.set_multi, "in_domain": self.in_domain,
            "domain_score": self.domain_score,
        })


class NotFittedError(RuntimeError):
    """The model is used before ``fit`` (or ``load``)."""


class DisentangledVAE:
    """Semi-supervised disentangled VAE phase classifier (satisfies ``PhaseClassifier``).

    Args:
        config: settings (default :class:`DVAEConfig`).
        elements: the palette, i.e. the column order of every ``X``; each element must
            be in the property table.
        seed: seed of every random draw in ``fit`` (initialisation, validation split,
            shuffling, reparameterization noise, dropout).

    Fitted attributes (after ``fit`` / ``load``): ``metrics_`` (validation metrics and
    timing), ``history_`` (per-epoch log), ``temperature_``, ``conformal_``,
    ``domain_``, ``data_sha256_``, ``warm_start_``. Code outside ``models/`` reads them
    through the public properties (:attr:`metrics`, :attr:`warm_start`, …) and uses
    :meth:`transform` / :meth:`classifier_head` for the classification head.

    Design route (``processing_input`` models): :meth:`set_design_processing` names the
    processing route a campaign designs for; every prediction asked without a route
    (``processing=None``: ``predict_proba``, ``predict_phase_proba``, ``predict_detail``,
    ``transform``, the classifier inside ``encode`` / ``reconstruct``, and the torch views
    of :mod:`alloyloop.models.torch_members` / :mod:`alloyloop.models.torch_scoring`) is
    then for that route, so code that knows nothing of routes (the strategies) scores
    candidates for the lab's route. ``processing="unknown"`` still asks for the unknown
    route. It is saved in the checkpoint; a new ``fit`` clears it.
    """

    def __init__(self, config: DVAEConfig | None = None, *, elements: Sequence[str],
                 seed: int = 0) -> None:
        self.config = config if config is not None else DVAEConfig()
        if not isinstance(self.config, DVAEConfig):
            raise TypeError(f"config must be a DVAEConfig, got {type(self.config).__name__}")
        self.elements = tuple(str(e) for e in elements)
        if not self.elements:
            raise ValueError("elements is empty: give the palette, e.g. ('Co', 'Cr', 'Fe')")
        if len(set(self.elements)) != len(self.elements):
            dup = next(e for e in self.elements if self.elements.count(e) > 1)
            raise ValueError(f"element {dup} appears twice in elements: list each once")
        element_table().index(self.elements)  # KeyError naming an uncovered element
        if not (isinstance(seed, int | np.integer) and not isinstance(seed, bool)):
            raise TypeError(f"seed={seed!r} must be an integer")
        self.seed = int(seed)
        self.schema: FeatureSchema = FULL_SCHEMA.select(self.config.features)
        self.space: BinarySpace = label_space(self.config.label)
        self._reset()

    # ------------------------------------------------------------------ state
    def _reset(self) -> None:
        self.net_: M2 | None = None
        self.standardizer_: Standardizer | None = None
        self.temperature_: float = 1.0
        self.conformal_: SplitConformal | None = None
        self.domain_: DomainModel | None = None
        self.metrics_: dict[str, Any] = {}
        self.history_: list[dict[str, float]] = []
        self.data_sha256_: str | None = None
        self.warm_start_: WarmStart = COLD
        self.design_processing_: str | None = None

    def _build_net(self) -> M2:
        c = self.config
        n_in = len(self.schema) + (len(self.elements) if c.classifier_inputs ==
                                   "descriptors+fractions" else 0)
        n_in += len(LEVELS) if c.processing_input else 0
        return M2(n_elements=len(self.elements), n_features=n_in, latent_dim=c.latent_dim,
                  encoder_hidden=c.encoder_hidden, decoder_hidden=c.decoder_hidden,
                  classifier_hidden=c.classifier_hidden, activation=c.activation,
                  classifier_activation=c.classifier_activation,
                  dropout=c.dropout, n_heads=c.n_ensemble, n_classes=self.space.n_classes,
                  probability_floor=c.probability_floor,
                  composition_likelihood=c.composition_likelihood,
                  presence_weight=c.presence_weight)

    def _check_fitted(self) -> M2:
        if self.net_ is None:
            raise NotFittedError("the model is not fitted: call fit(X, y) or "
                                 "DisentangledVAE.load(dir) first")
        return self.net_

    # ------------------------------------------------------------------ inputs
    def _fractions(self, X: np.ndarray, name: str = "X") -> np.ndarray:
        x = np.asarray(X, dtype=np.float64)
        E = len(self.elements)
        if x.ndim != 2 or x.shape[1] != E:
            raise ValueError(f"{name} must be (n, {E}) fractions over the palette, got shape "
                             f"{x.shape}: order its columns as model.elements")
        if not np.isfinite(x).all() or (x < 0).any():
            raise ValueError(f"{name} has negative or non-finite entries: give mole "
                             "fractions (or amounts) ≥ 0")
        totals = x.sum(axis=1, keepdims=True)
        if (totals <= 0).any():
            row = int(np.flatnonzero(totals[:, 0] <= 0)[0])
            raise ValueError(f"{name} row {row} is all zero: every alloy needs an element")
        return x / totals

    def _labels(self, y: np.ndarray, n: int, name: str = "y") -> np.ndarray:
        """Training targets: ``(n,)`` 0/1 (binary) or ``(n, K)`` class masks (phase4)."""
        return self.space.targets(y, n, name)

    @property
    def classes(self) -> tuple[str, ...]:
        """Names of the columns of :meth:`predict_phase_proba`: ``("single",)`` for the
        binary label (one column, p(single)), ``("FCC", "BCC", "HCP", "multi")`` for
        ``label = "phase4"`` (columns sum to 1). "multi" is multi-phase; every other class
        is single-phase and p(single) is their sum (:mod:`alloyloop.models.labels`)."""
        return self.space.classes

    def transform(self, X: np.ndarray, processing=None) -> np.ndarray:
        """``(n, E)`` fractions → ``(n, F)`` float64 inputs of :meth:`classifier_head`
        (standardized descriptors, plus the fractions with ``descriptors+fractions``, plus
        the route one-hot with ``processing_input``; ``processing``: one route or ``(n,)``,
        None = unknown)."""
        self._check_fitted()
        x = self._fractions(X)
        return self._inputs(x, self.prediction_routes(processing, x.shape[0]))[1]

    def describe(self, X: np.ndarray, processing=None) -> np.ndarray:
        """``(n, E)`` fractions → ``(n, F)`` the same features as :meth:`transform` in
        physical units (descriptors as in :attr:`schema`, fractions and route one-hot as
        they are)."""
        x = self._fractions(X)
        raw = descriptors(x, self.elements, self.schema)
        out = raw if self.config.classifier_inputs == "descriptors" else np.hstack([raw, x])
        if self.config.processing_input:
            out = np.hstack([out, route_one_hot(self.prediction_routes(processing, x.shape[0]))])
        return out

    @property
    def feature_names(self) -> tuple[str, ...]:
        """``(F,)`` display names of the head's inputs, e.g. ``ΔS_mix``, ``x(Co)`` or
        ``route=annealed``."""
        names = tuple(self.schema.labels)
        if self.config.classifier_inputs == "descriptors+fractions":
            names += tuple(f"x({el})" for el in self.elements)
        if self.config.processing_input:
            names += tuple(f"route={r}" for r in LEVELS)
        return names

    @staticmethod
    def _routes(processing, n: int, name: str = "processing") -> np.ndarray:
        return route_words(processing, n, name)

    @property
    def design_processing(self) -> str | None:
        """The route predictions without one are for (:meth:`set_design_processing`);
        None: the ``"unknown"`` route."""
        return self.design_processing_

    def set_design_processing(self, route: str | None) -> DisentangledVAE:
        """Name the processing route this model designs for (None: back to ``"unknown"``).

        Args:
            route: a :data:`alloyloop.models.processing.ROUTES` word (aliases as in
                :func:`~alloyloop.models.processing.route_words`).

        Returns:
            self.

        Raises:
            ValueError: the model has no route input (``processing_input`` off), or
                ``route`` is not a route (the message lists them).
        """
        if route is not None and not self.config.processing_input:
            raise ValueError(f"design route {route!r}: this model does not take the processing "
                             "route as an input, so a route would change nothing; fit it with "
                             "DVAEConfig(processing_input=True) ([model.dvae] processing_input "
                             "= true)")
        try:
            word = None if route is None else str(self._routes(route, 1)[0])
        except ValueError:
            raise ValueError(f"design route {route!r} is not a processing route: use one of "
                             f"{', '.join(ROUTES)} (or None for the unknown route)") from None
        self.design_processing_ = None if word == UNKNOWN else word
        return self

    def prediction_routes(self, processing, n: int) -> np.ndarray:
        """``(n,)`` the route words a prediction uses: ``processing`` (one route or
        ``(n,)``, None entries unknown) or, when it is None, :attr:`design_processing`."""
        return self._routes(self.design_processing_ if processing is None else processing, n)

    def classifier_head(self) -> torch.nn.Module:
        """A copy of the classification head: ``(n, F)`` :meth:`transform` output →
        ``(n, 1)`` calibrated p(single), through an ``nn.Sigmoid`` module (what SHAP's
        DeepExplainer needs). A copy, so hooks put on it never touch the model."""
        net = self._check_fitted()
        head = CalibratedHead if self.space.n_classes == 1 else CalibratedSingleHead
        return head(copy.deepcopy(net.classifier), self.temperature_).eval()

    @property
    def metrics(self) -> dict[str, Any]:
        """Validation metrics and timing of the last fit (a copy)."""
        self._check_fitted()
        return dict(self.metrics_)

    @property
    def warm_start(self) -> WarmStart:
        """Whether the last fit started from ``init_from``'s weights, or why not."""
        return self.warm_start_

    @property
    def coverage(self) -> float:
        """Target coverage of the conformal sets."""
        return float(self.config.coverage)

    def _inputs(self, x: np.ndarray, routes: np.ndarray | None = None
                ) -> tuple[np.ndarray, np.ndarray]:
        """Fractions ``(n, E)`` → (standardized descriptors ``(n, F)``, classifier input);
        ``routes``: ``(n,)`` route words (None = unknown), used with ``processing_input``."""
        assert self.standardizer_ is not None
        d_std = self.standardizer_.transform(descriptors(x, self.elements, self.schema))
        return d_std, self._with_routes(classifier_inputs(x, d_std, self.config.classifier_inputs),
                                        routes)

    def _with_routes(self, f: np.ndarray, routes: np.ndarray | None) -> np.ndarray:
        if not self.config.processing_input:
            return f
        words = self._routes(None, f.shape[0]) if routes is None else routes
        return np.hstack([f, route_one_hot(words)])

    def _split(self, x: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Seeded train/validation indices of the labelled rows (``config.validation_split``;
        stratified on the class, partial labels as a stratum of their own)."""
        y = self.space.single(t)
        strata = self.space.strata(t)
        rng = np.random.default_rng(self.seed)
        n_val = max(1, int(round(self.config.val_fraction * y.size)))
        if self.config.validation_split == "family":
            # A family is an element set; whole families go to validation until it holds
            # val_fraction of the rows.
            _, family = np.unique(x > 0, axis=0, return_inverse=True)
            family = family.ravel()
            chosen: list[np.ndarray] = []
            count = 0
            for f in rng.permutation(family.max() + 1):
                if count >= n_val:
                    break
                members = np.flatnonzero(family == f)
                chosen.append(members)
                count += members.size
            val_idx = np.sort(np.concatenate(chosen))
            # Both classes are needed for calibration; keep at least one row of the
            # training side too. Otherwise fall back to the stratified split.
            if np.unique(y[val_idx]).size == 2 and val_idx.size < y.size and np.unique(
                    np.delete(y, val_idx)).size == 2:
                return np.setdiff1d(np.arange(y.size), val_idx), val_idx
        val = []
        for cls in np.unique(strata):
            idx = np.flatnonzero(strata == cls)
            if idx.size >= 2:
                k = max(1, int(round(self.config.val_fraction * idx.size)))
                val.append(rng.permutation(idx)[:k])
        val_idx = np.sort(np.concatenate(val)) if val else np.array([], dtype=np.int64)
        return np.setdiff1d(np.arange(y.size), val_idx), val_idx

    # ------------------------------------------------------------------ fit
    def fit(self, X: np.ndarray, y: np.ndarray, *, X_unlabelled: np.ndarray | None = None,
            X_val: np.ndarray | None = None, y_val: np.ndarray | None = None,
            init_from: DisentangledVAE | str | Path | None = None,
            processing=None, processing_val=None) -> DisentangledVAE:
        """Fit, from scratch or starting from an earlier model's weights.

        Args:
            X: ``(n, E)`` labelled fractions; y: ``(n,)`` in {0, 1} (``label =
                "single"``) or phase words FCC / BCC / HCP / multi, or single for a
                single-phase alloy of unknown structure (``label = "phase4"``).
            processing, processing_val: the labels' processing routes (``(n,)`` words of
                :data:`alloyloop.models.processing.LEVELS`, None = unknown), counted in
                ``metrics["processing_counts"]`` and, with ``processing_input``, fed to
                the classifier; unlabelled alloys are "unknown".
            X_unlabelled: ``(m, E)`` alloys without labels (semi-supervised term);
                None trains on labelled alloys only.
            X_val, y_val: validation set for early stopping, model selection,
                temperature and conformal calibration; if None, ``config.val_fraction``
                of the labelled rows is held out (seeded; ``config.validation_split``).
            init_from: a fitted model or its checkpoint directory whose network weights
                start this fit (a warm start: at most ``config.warm_start_max_epochs``
                epochs). Used only when the palette and the network settings match;
                otherwise the fit starts cold. :attr:`warm_start` says which, and why.

        Returns:
            self.
        """
        t0 = time.perf_counter()
        self._reset()
        c = self.config
        x_all = self._fractions(X, "X")
        y_all = self._labels(y, x_all.shape[0])
        r_all = self._routes(processing, x_all.shape[0])
        x_u = (self._fractions(X_unlabelled, "X_unlabelled") if X_unlabelled is not None
               else np.zeros((0, len(self.elements))))
        if (X_val is None) != (y_val is None):
            raise ValueError("give X_val and y_val together (or neither, to carve a "
                             "validation split from X, y)")
        if X_val is None:
            tr, va = self._split(x_all, y_all)
            x_l, y_l, x_v, y_v = x_all[tr], y_all[tr], x_all[va], y_all[va]
            r_l, r_v = r_all[tr], r_all[va]
        else:
            x_l, y_l, r_l = x_all, y_all, r_all
            x_v = self._fractions(X_val, "X_val")
            y_v = self._labels(y_val, x_v.shape[0], "y_val")
            r_v = self._routes(processing_val, x_v.shape[0], "processing_val")
        if np.unique(self.space.single(y_l)).size < 2:
            raise ValueError("the training labels hold one class only: give both "
                             "single-phase and multi-phase alloys")
        if x_v.shape[0] == 0:
            raise ValueError("the validation split is empty: give more labelled alloys "
                             "or pass X_val/y_val")
        # labels as targets (phase4 words become masks); the same bytes as y for 0/1 labels
        self.data_sha256_ = data_sha256(X, y_all, X_unlabelled, X_val,
                                        None if y_val is None else y_v, palette=self.elements)

        # Descriptors, standardized on every training composition (labels not needed).
        d_l = descriptors(x_l, self.elements, self.schema)
        d_u = descriptors(x_u, self.elements, self.schema)
        self.standardizer_ = Standardizer.fit(np.vstack([d_l, d_u]))
        dl_std = self.standardizer_.transform(d_l)
        f_l = self._with_routes(classifier_inputs(x_l, dl_std, c.classifier_inputs), r_l)
        f_u = self._with_routes(classifier_inputs(x_u, self.standardizer_.transform(d_u),
                                                  c.classifier_inputs), None)
        _, f_v = self._inputs(x_v, r_v)

        expert = c.prior == "expert"
        tau = c.rule_confidence if expert else 0.0
        p_l = rule_prior(x_l, self.elements, tau)
        p_u = rule_prior(x_u, self.elements, tau) if len(x_u) else np.zeros(0)
        targets = count_quantiles(effective_element_count(np.vstack([x_l, x_u])),
                                  c.composition_prior_samples)
        initial, warm = self._initial_weights(init_from)

        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            net = self._build_net()
            if initial is not None:
                try:
                    net.load_state_dict(initial)
                except RuntimeError:  # a shape no listed setting explains: start cold
                    warm = WarmStart(False, warm.source, "the network shapes changed")
                    torch.manual_seed(self.seed)
                    net = self._build_net()
            self.warm_start_ = warm
            if warm.used and c.warm_start_max_epochs is not None:
                # it starts near a solution, so it needs fewer epochs
                epochs_cap = min(c.max_epochs, c.warm_start_max_epochs)
                c = dataclasses.replace(c, max_epochs=epochs_cap,
                                        min_epochs=min(c.min_epochs, epochs_cap),
                                        vae_max_epochs=min(c.vae_max_epochs, epochs_cap))
            prior_targets = targets if expert and c.composition_prior_weight > 0 else None
            best_state, best_epoch, epochs = self._train(c,
                net, x_l, f_l, y_l, p_l, x_u, f_u, p_u, f_v, y_v, prior_targets)
            vae_best_epoch, vae_epochs = 0, 0
            if c.vae_selection == "elbo":
                p_v = rule_prior(x_v, self.elements, tau)
                best_state, vae_best_epoch, vae_epochs = self._train_vae(
                    c, net, best_state, x_l, f_l, y_l, p_l, x_u, f_u, p_u, x_v, f_v, y_v,
                    p_v, prior_targets)
        net.load_state_dict(best_state)
        net.eval()
        self.net_ = net

        # Calibration and conformal threshold on the validation split only.
        logits_v = self._logits(f_v)
        s_v = self.space.single(y_v)
        self.temperature_ = self.space.fit_temperature(logits_v, y_v)
        p_v = self.space.p_single(logits_v, self.temperature_)
        self.conformal_ = SplitConformal.fit(p_v, s_v, c.coverage)
        self.domain_ = DomainModel.fit(dl_std, x_l, c.domain_quantile)

        self.metrics_ = {
            "n_train": int(x_l.shape[0]), "n_unlabelled": int(x_u.shape[0]),
            "n_validation": int(x_v.shape[0]), "epochs": epochs, "best_epoch": best_epoch,
            "vae_selection": c.vae_selection, "vae_epochs": vae_epochs,
            "vae_best_epoch": vae_best_epoch,
            "temperature": self.temperature_, "conformal_threshold": self.conformal_.threshold,
            "domain_threshold": self.domain_.threshold,
            **{f"val_{k}": v for k, v in single_scores(p_v, s_v).items()},
            "val_nll_uncalibrated": self.space.nll(logits_v, y_v),
            "val_ece_uncalibrated": expected_calibration_error(
                self.space.p_single(logits_v, 1.0), s_v),
            **self._label_metrics(y_l, logits_v, y_v),
            "processing_input": c.processing_input,
            "processing_counts": route_counts(r_l),
            "prior_sample_n_eff_mean": float(effective_element_count(
                self._prior_samples(256)).mean()),
            "train_n_eff_mean": float(effective_element_count(np.vstack([x_l, x_u])).mean()),
            **fit_quality(self, x_v, y_v),
            "fit_seconds": time.perf_counter() - t0,
            "warm_start": self.warm_start_.to_dict(),
        }
        return self

    def _label_metrics(self, t_train: np.ndarray, logits_v: np.ndarray, t_val: np.ndarray
                       ) -> dict[str, Any]:
        """``label_counts`` (training labels per class; phase4 partial labels as
        ``"single (structure unknown)"``) and, for phase4, the validation balanced accuracy
        over the four classes (``val_phase4_balanced_accuracy``, exact labels only)."""
        if self.space.n_classes == 1:
            y = np.asarray(t_train)
            return {"label": "single", "label_counts": {"single": int((y == 1).sum()),
                                                        "multi": int((y == 0).sum())}}
        from alloyloop.models.label_space import phase4_balanced_accuracy
        from alloyloop.models.labels import mask_class

        idx = mask_class(t_train)
        counts = {name: int((idx == k).sum()) for k, name in enumerate(self.classes)}
        counts["single (structure unknown)"] = int((idx < 0).sum())
        return {"label": "phase4", "label_counts": counts,
                "val_phase4_balanced_accuracy": phase4_balanced_accuracy(
                    self.space.predicted(logits_v), t_val)}

    def _initial_weights(self, init_from: DisentangledVAE | str | Path | None
                         ) -> tuple[dict[str, torch.Tensor] | None, WarmStart]:
        """The weights of ``init_from`` if they fit this model, and the warm-start record."""
        if init_from is None:
            return None, COLD
        if isinstance(init_from, DisentangledVAE):
            old, source = init_from, "a model in memory"
        else:
            source = str(init_from)
            if not (Path(init_from) / "meta.json").is_file():
                return None, WarmStart(False, source, "previous checkpoint is missing")
            old = DisentangledVAE.load(init_from)
        if old.net_ is None:
            return None, WarmStart(False, source, "the earlier model is not fitted")
        reason = mismatch(old.config, old.elements, self.config, self.elements)
        if reason is not None:
            return None, WarmStart(False, source, reason)
        return copy.deepcopy(old.net_.state_dict()), WarmStart(True, source,
                                                               "previous round's weights")

    def _train(self, c: DVAEConfig, net: M2, x_l, f_l, y_l, p_l, x_u, f_u, p_u, f_v, y_v,
               count_targets: np.ndarray | None) -> tuple[dict, int, int]:
        """The optimisation loop under settings ``c``; returns (best state dict, best
        epoch, epochs run)."""
        t = lambda a: torch.as_tensor(a, dtype=torch.float32)  # noqa: E731
        Xl, Fl, Yl, Pl = t(x_l), t(f_l), t(y_l), t(p_l)
        Xu, Fu, Pu = t(x_u), t(f_u), t(p_u)
        Fv = t(f_v)
        targets = None if count_targets is None else t(count_targets)
        steps, lab_batches, unl_batches, u_scale = _batches(c, Xl.shape[0], Xu.shape[0],
                                                            self.seed)
        opt = torch.optim.Adam(net.parameters(), lr=c.lr, weight_decay=c.weight_decay)

        best_score, best_state, best_epoch, since_best = math.inf, None, 0, 0
        epoch = 0
        for epoch in range(1, c.max_epochs + 1):
            beta = min(1.0, epoch / c.kl_warmup_epochs) if c.kl_warmup_epochs else 1.0
            net.train()
            total = 0.0
            for _ in range(steps):
                il = lab_batches.next()
                loss, _ = self.space.labelled_loss(net, Xl[il], Fl[il], Yl[il], Pl[il],
                                                   alpha=c.alpha, beta=beta,
                                                   count=c.effective_count)
                if unl_batches is not None:
                    iu = unl_batches.next()
                    lu, _ = self.space.unlabelled_loss(net, Xu[iu], Fu[iu], Pu[iu], beta=beta,
                                                       count=c.effective_count)
                    loss = loss + u_scale * lu
                if targets is not None:
                    loss = loss + _count_prior_loss(net, targets, c, self.space)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                total += loss.item()

            net.eval()
            with torch.no_grad():
                logits_v = net.classifier(Fv).double().numpy()
            val = self.space.val_scores(logits_v, y_v)
            self.history_.append({"epoch": epoch, "phase": "classifier",
                                  "loss": total / steps, "beta": beta,
                                  "val_nll": val["nll"],
                                  "val_balanced_accuracy": val["balanced_accuracy"]})
            # Lower is better for the selection score.
            score = val["nll"] if c.selection_metric == "nll" else -val[c.selection_metric]
            if not math.isfinite(score):
                score = math.inf
            if best_state is None or score < best_score:
                best_score, best_epoch, since_best = score, epoch, 0
                best_state = copy.deepcopy(net.state_dict())
            else:
                since_best += 1
            if epoch >= c.min_epochs and since_best >= c.patience:
                break
        assert best_state is not None
        return best_state, best_epoch, epoch

    def _train_vae(self, c: DVAEConfig, net: M2, best_state: dict, x_l, f_l, y_l, p_l, x_u,
                   f_u, p_u, x_v, f_v, y_v, p_v, count_targets: np.ndarray | None
                   ) -> tuple[dict, int, int]:
        """The VAE phase of two-phase selection: the classifier is frozen at its best
        epoch (``best_state``), the encoder and decoder train on from where the
        classifier phase left them, with free bits and the label-control term, and are
        kept at the best validation −ELBO + control term (patience ``vae_patience``).

        Returns (state dict with the best classifier and the best encoder/decoder, best
        VAE-phase epoch (0 = the weights the classifier phase ended with), epochs run).
        """
        t = lambda a: torch.as_tensor(a, dtype=torch.float32)  # noqa: E731
        Xl, Fl, Yl, Pl = t(x_l), t(f_l), t(y_l), t(p_l)
        Xu, Fu, Pu = t(x_u), t(f_u), t(p_u)
        Xv, Fv, Yv, Pv = t(x_v), t(f_v), t(y_v), t(p_v)
        space = self.space
        targets = None if count_targets is None else t(count_targets)
        prefix = "classifier."
        net.classifier.load_state_dict({k[len(prefix):]: v for k, v in best_state.items()
                                        if k.startswith(prefix)})
        for param in net.classifier.parameters():
            param.requires_grad_(False)
        assert self.standardizer_ is not None
        descriptors = TorchClassifierInputs(self.elements, self.schema, self.standardizer_,
                                            c.classifier_inputs)
        if c.processing_input:  # decoded draws have no route: "unknown"
            descriptors = RouteInputs(descriptors, route_one_hot(self._routes(None, 1))[0])

        def inputs(x: torch.Tensor) -> torch.Tensor:  # what decode() hands the classifier
            return descriptors(clean_fractions(x, c.decode_clean_at_pct))

        steps, lab_batches, unl_batches, u_scale = _batches(c, Xl.shape[0], Xu.shape[0],
                                                            self.seed + 1)
        params = [*net.encoder.parameters(), *net.decoder.parameters()]
        opt = torch.optim.Adam(params, lr=c.lr, weight_decay=c.weight_decay)
        control = c.control_weight > 0

        def validation_score() -> tuple[float, float, float]:
            """(−ELBO + w·control, −ELBO, control) on the validation rows, with noise
            and prior draws from a fixed seed so epochs compare like with like."""
            net.eval()
            with torch.random.fork_rng(devices=[]), torch.no_grad():
                torch.manual_seed(self.seed)
                neg_elbo = float(-space.labelled_elbo(net, Xv, Fv, Yv, Pv,
                                                      c.effective_count).mean())
                ctrl = float(space.control_loss(net, inputs, torch.randn(
                    c.control_samples, c.latent_dim))) if control else 0.0
            return neg_elbo + c.control_weight * ctrl, neg_elbo, ctrl

        def vae_state() -> dict:
            return {k: v.clone() for k, v in net.state_dict().items()
                    if not k.startswith(prefix)}

        best_score, _, _ = validation_score()
        best_vae, best_epoch, since_best, epoch = vae_state(), 0, 0, 0
        for epoch in range(1, c.vae_max_epochs + 1):
            net.train()
            net.classifier.eval()  # frozen: no dropout in q(y|x) or the control term
            total = 0.0
            for _ in range(steps):
                il = lab_batches.next()
                # the frozen classifier's BCE is a constant: the labelled part is −ELBO
                loss = -space.labelled_elbo(net, Xl[il], Fl[il], Yl[il], Pl[il],
                                            c.effective_count, c.free_bits).mean()
                if unl_batches is not None:
                    iu = unl_batches.next()
                    lu, _ = space.unlabelled_loss(net, Xu[iu], Fu[iu], Pu[iu], beta=1.0,
                                                  count=c.effective_count,
                                                  free_bits=c.free_bits)
                    loss = loss + u_scale * lu
                if targets is not None:
                    loss = loss + _count_prior_loss(net, targets, c, space)
                if control:
                    z = torch.randn(c.control_samples, c.latent_dim)
                    loss = loss + c.control_weight * space.control_loss(net, inputs, z)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                total += loss.item()
            score, neg_elbo, ctrl = validation_score()
            self.history_.append({"epoch": epoch, "phase": "vae",
                                  "loss": total / steps, "val_neg_elbo": neg_elbo,
                                  "val_control": ctrl})
            if math.isfinite(score) and score < best_score:
                best_score, best_epoch, since_best = score, epoch, 0
                best_vae = vae_state()
            else:
                since_best += 1
            if since_best >= c.vae_patience:
                break
        for param in net.classifier.parameters():
            param.requires_grad_(True)
        merged = {k: v for k, v in best_state.items() if k.startswith(prefix)}
        merged.update(best_vae)
        return merged, best_epoch, epoch

    # ------------------------------------------------------------------ predict
    def _logits(self, features: np.ndarray) -> np.ndarray:
        net = self._check_fitted()
        with torch.no_grad():
            out = net.classifier(torch.as_tensor(features, dtype=torch.float32))
        return out.double().numpy()

    # Every predict method takes ``processing``: one route for all rows or ``(n,)``
    # routes (None = the design route, see set_design_processing; else unknown); it
    # matters only with ``config.processing_input``.
    def _class_logits(self, X: np.ndarray, processing=None) -> np.ndarray:
        """Uncalibrated classifier outputs: ``(n,)`` (binary) or ``(n, K)``."""
        self._check_fitted()
        x = self._fractions(X)
        _, f = self._inputs(x, self.prediction_routes(processing, x.shape[0]))
        return self._logits(f)

    def decision_function(self, X: np.ndarray, processing=None) -> np.ndarray:
        """``(n,)`` uncalibrated classifier logits of single-phase (phase4: the log-odds
        log(P(FCC) + P(BCC) + P(HCP)) − log P(multi))."""
        return self.space.single_logit(self._class_logits(X, processing))

    def predict_proba(self, X: np.ndarray, processing=None) -> np.ndarray:
        """``(n, E)`` fractions → ``(n,)`` float64 calibrated p(single-phase) (phase4: the
        sum of the three structures' probabilities)."""
        return self.space.p_single(self._class_logits(X, processing), self.temperature_)

    def predict_phase_proba(self, X: np.ndarray, processing=None) -> np.ndarray:
        """``(n, E)`` fractions → ``(n, len(classes))`` float64 calibrated probabilities of
        :attr:`classes` (binary: one column, p(single); phase4: four columns summing to
        1)."""
        return self.space.probs(self._class_logits(X, processing), self.temperature_)

    def predict_phase(self, X: np.ndarray, processing=None) -> np.ndarray:
        """``(n,)`` the most probable class name (binary: "single" or "multi")."""
        idx = self.space.predicted(self._class_logits(X, processing))
        names = ("multi", "single") if self.space.n_classes == 1 else self.classes
        return np.asarray(names, dtype=object)[idx]

    def predict(self, X: np.ndarray, threshold: float = 0.5, processing=None) -> np.ndarray:
        """``(n,)`` int64 labels, 1 where p(single) ≥ ``threshold``."""
        return (self.predict_proba(X, processing) >= threshold).astype(np.int64)

    def predict_detail(self, X: np.ndarray, processing=None) -> PredictionDetail:
        """Calibrated probability, conformal set and domain signal for every row."""
        self._check_fitted()
        assert self.conformal_ is not None and self.domain_ is not None
        x = self._fractions(X)
        d_std, f = self._inputs(x, self.prediction_routes(processing, x.shape[0]))
        p = self.space.p_single(self._logits(f), self.temperature_)
        members = self.conformal_.sets(p)
        score, inside = self.domain_.score(d_std, x)
        return PredictionDetail(p_single=p, set_single=members[:, 1], set_multi=members[:, 0],
                                sets=set_labels(members), in_domain=inside,
                                domain_score=score)

    # ------------------------------------------------------------------ latent space
    @property
    def single_class(self) -> str | int:
        """What y = 1 ("single-phase") means to :meth:`encode` / :meth:`decode`: 1 for a
        binary model; for a phase4 model the structure most training labels have (the
        generative strategies written for y = 1 then decode that structure)."""
        if self.space.n_classes == 1:
            return 1
        counts = self.metrics.get("label_counts", {})
        return max(self.classes[:-1], key=lambda k: (counts.get(k, 0), k == "FCC"))

    def _y_tensor(self, y, n: int) -> torch.Tensor:
        """Labels of :meth:`encode` / :meth:`decode` → the networks' y input (on a phase4
        model 1 / 0 mean :attr:`single_class` / "multi")."""
        if self.space.n_classes > 1 and not isinstance(y, str):
            arr = np.asarray(y, dtype=object)
            if arr.size and all(isinstance(v, int | np.integer | bool | np.bool_)
                                and v in (0, 1) for v in arr.ravel()):
                y = np.where(arr.astype(bool), self.single_class, "multi")
        codes = class_codes(y, n, self.config.label)
        return self.space.code(torch.as_tensor(codes))

    def predicted_codes(self, X: np.ndarray) -> np.ndarray:
        """``(n,)`` the classifier's class as :meth:`encode` / :meth:`decode` take it:
        0 / 1 (binary) or class names (phase4)."""
        idx = self.space.predicted(self._class_logits(X))
        return idx if self.space.n_classes == 1 else np.asarray(self.classes, object)[idx]

    def encode(self, X: np.ndarray, y: np.ndarray | int | None = None) -> np.ndarray:
        """Posterior means of z.

        Args:
            X: ``(n, E)`` fractions.
            y: labels (scalar or ``(n,)``) to condition on: 0 / 1 (binary), class names
                (phase4, e.g. "BCC"); None uses the classifier's predicted class.

        Returns:
            ``(n, latent_dim)`` float64.
        """
        net = self._check_fitted()
        x = self._fractions(X)
        if y is None:
            y = self.predicted_codes(x)
        with torch.no_grad():
            mu, _ = net.encoder(torch.as_tensor(x, dtype=torch.float32),
                                self._y_tensor(y, x.shape[0]))
        return mu.double().numpy()

    def decode(self, z: np.ndarray, y: np.ndarray | int) -> np.ndarray:
        """Decoded compositions: the decoder's mean (``composition_likelihood =
        "presence"``: the elements it calls present, at least two, with their fractions
        renormalised), with fractions below ``config.decode_clean_at_pct`` at.% dropped
        and the rest renormalised.

        Args:
            z: ``(n, latent_dim)``; y: scalar or ``(n,)``: 0 / 1 (binary) or class names
                (phase4: ``decode(z, "BCC")`` is the seed paper's strategy (b) for BCC).

        Returns:
            ``(n, E)`` float64 on the simplex (non-negative, rows sum to 1).
        """
        net = self._check_fitted()
        zz = np.atleast_2d(np.asarray(z, dtype=np.float64))
        if zz.shape[1] != self.config.latent_dim:
            raise ValueError(f"z must be (n, {self.config.latent_dim}), got {zz.shape}")
        p = decoded_fractions(net.decoder, torch.as_tensor(zz, dtype=torch.float32),
                              self._y_tensor(y, zz.shape[0]))
        return clean(p, self.config.decode_clean_at_pct) if self.config.decode_clean_at_pct > 0 \
            else p

    def reconstruct(self, X: np.ndarray) -> np.ndarray:
        """decode(encode(X), ŷ) with ŷ the classifier's class: ``(n, E)`` → ``(n, E)``."""
        x = self._fractions(X)
        y = self.predicted_codes(x)
        return self.decode(self.encode(x, y), y)

    def _prior_samples(self, n: int) -> np.ndarray:
        """Decoded compositions of n fixed draws z ~ N(0, I), y cycling over the classes:
        ``(n, E)``."""
        z = np.random.default_rng(self.seed).standard_normal((n, self.config.latent_dim))
        codes = np.arange(n) % self.space.n_codes
        return self.decode(z, codes if self.space.n_classes == 1
                           else np.asarray(self.classes, object)[codes])

    # ------------------------------------------------------------------ checkpoint
    def save(self, path: str | Path) -> Path:
        """Write the fitted model to directory ``path`` (see :mod:`alloyloop.models.checkpoint`)."""
        net = self._check_fitted()
        assert self.standardizer_ and self.conformal_ and self.domain_
        meta = {
            "format": CHECKPOINT_FORMAT,
            "config": self.config.to_dict(),
            "elements": list(self.elements),
            "seed": self.seed,
            "schema": self.schema.to_dict(),
            "standardizer": self.standardizer_.to_dict(),
            "temperature": self.temperature_,
            "conformal": self.conformal_.to_dict(),
            "domain": {"threshold": self.domain_.threshold, "quantile": self.domain_.quantile,
                       "seen_elements": [e for e, s in zip(self.elements,
                                                           self.domain_.seen_elements) if s]},
            "data_sha256": self.data_sha256_,
            "metrics": self.metrics_,
            "history": self.history_,
            "warm_start": self.warm_start_.to_dict(),
            "design_processing": self.design_processing_,
            "torch_version": torch.__version__,
        }
        tensors = {"weights": net.state_dict(),
                   "domain": {"reference": torch.as_tensor(self.domain_.reference)}}
        return write_checkpoint(path, meta, tensors)

    @classmethod
    def load(cls, path: str | Path) -> DisentangledVAE:
        """Read a model written by :meth:`save`; predictions are identical."""
        meta, tensors = read_checkpoint(path, CHECKPOINT_FORMAT)
        config = dict(meta["config"])
        if "vae_selection" not in config:
            # written before two-phase selection: every weight was kept at the best
            # classifier epoch, with no free bits and no label-control term
            config.update(vae_selection="classifier", free_bits=0.0, control_weight=0.0)
        config.setdefault("decode_clean_at_pct", 0.0)  # earlier decodes were not cleaned
        config.setdefault("label", "single")  # written before phase4 labels: binary
        config.setdefault("processing_input", False)
        config.setdefault("probability_floor", 0.0)  # written before the logit cap: none
        config.setdefault("composition_likelihood", "multinomial")  # before presence decoding
        model = cls(DVAEConfig.from_dict(config), elements=meta["elements"],
                    seed=meta["seed"])
        saved_schema = FeatureSchema.from_dict(meta["schema"])
        if saved_schema.names != model.schema.names:
            raise ValueError(f"{path}: stored feature schema {saved_schema.names} does not "
                             f"match its config {model.schema.names}: refit the model")
        net = model._build_net()
        net.load_state_dict(tensors["weights"])
        net.eval()
        model.net_ = net
        model.standardizer_ = Standardizer.from_dict(meta["standardizer"])
        model.temperature_ = float(meta["temperature"])
        model.conformal_ = SplitConformal.from_dict(meta["conformal"])
        seen = set(meta["domain"]["seen_elements"])
        model.domain_ = DomainModel(
            reference=tensors["domain"]["reference"].numpy().astype(np.float64),
            seen_elements=np.array([e in seen for e in model.elements]),
            threshold=float(meta["domain"]["threshold"]),
            quantile=float(meta["domain"]["quantile"]))
        model.data_sha256_ = meta["data_sha256"]
        model.metrics_ = meta["metrics"]
        model.history_ = meta["history"]
        if "warm_start" in meta:  # checkpoints before the fit option have none
            model.warm_start_ = WarmStart(**meta["warm_start"])
        model.design_processing_ = meta.get("design_processing")  # older ones: none
        return model


class _IndexStream:
    """Endless mini-batches of row indices: reshuffled permutations laid end to end, so
    every row appears once per pass and a set smaller than an epoch simply cycles."""

    def __init__(self, n: int, batch: int, generator: torch.Generator) -> None:
        self.n, self.batch, self.gen = n, batch, generator
        self.buffer = torch.empty(0, dtype=torch.long)

    def next(self) -> torch.Tensor:
        """``(batch,)`` int64 indices in [0, n)."""
        while self.buffer.numel() < self.batch:
            self.buffer = torch.cat([self.buffer, torch.randperm(self.n, generator=self.gen)])
        out, self.buffer = self.buffer[: self.batch], self.buffer[self.batch:]
        return out


def _batches(c: DVAEConfig, n_l: int, n_u: int, seed: int
             ) -> tuple[int, _IndexStream, _IndexStream | None, float]:
    """(steps per epoch, labelled batches, unlabelled batches or None, unlabelled weight).

    An epoch is one pass over the larger of the two sets (the smaller one cycles), and
    at least ``min_steps_per_epoch`` steps, so that a small labelled set still gets
    enough updates between two validation checks. The unlabelled weight is row-wise as
    in the summed M2 objective: each unlabelled row counts as much as a labelled one
    (times ``unlabelled_weight``).
    """
    steps = max(math.ceil(n_l / c.batch_size), math.ceil(n_u / c.batch_size),
                c.min_steps_per_epoch)
    gen = torch.Generator().manual_seed(seed)
    lab = _IndexStream(n_l, min(c.batch_size, n_l), gen)
    unl = _IndexStream(n_u, math.ceil(n_u / steps), gen) if n_u else None
    return steps, lab, unl, (c.unlabelled_weight * (n_u / n_l) if n_u else 0.0)


def _count_prior_loss(net: M2, targets: torch.Tensor, c: DVAEConfig,
                      space: BinarySpace) -> torch.Tensor:
    """Element-count prior on decoded prior draws (one z per target, y cycling)."""
    m = targets.shape[0]
    z = torch.randn(m, c.latent_dim)
    yy = space.code(torch.arange(m) % space.n_codes)
    return c.composition_prior_weight * element_count_penalty(net.decoder(z, yy), targets)
