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

Its parts live in modules of their own: feature_map (the classifier's inputs), training_data
(a fit's tensors, with augment's synthetic alloys), trainer (the two-phase optimisation),
validation_split, calibration (label space), conformal, domain and dvae_checkpoint.

``X`` is an ``(n, E)`` matrix of mole fractions over ``elements``; ``y`` is 1 for
single-phase, 0 for multi-phase. Fitting is deterministic for a given seed on CPU: every
random draw comes from RNG state seeded inside ``fit`` (the caller's global torch RNG is
saved and restored around it).
"""

from __future__ import annotations

import copy
import dataclasses
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from alloyloop.featurize.descriptors import FULL_SCHEMA, FeatureSchema
from alloyloop.featurize.elements import element_table
from alloyloop.models import dvae_checkpoint
from alloyloop.models.checkpoint import data_sha256
from alloyloop.models.composition import decoded_fractions
from alloyloop.models.config import DVAEConfig
from alloyloop.models.conformal import SplitConformal, set_labels
from alloyloop.models.domain import DomainModel
from alloyloop.models.feature_map import FeatureMap, check_fractions
from alloyloop.models.features import Standardizer
from alloyloop.models.fit_metrics import fit_metrics
from alloyloop.models.label_space import BinarySpace, label_space
from alloyloop.models.labels import class_codes
from alloyloop.models.latent_quality import clean
from alloyloop.models.networks import M2, CalibratedClassHead, CalibratedHead, CalibratedSingleHead
from alloyloop.models.prediction_detail import PredictionDetail
from alloyloop.models.processing import design_route, route_words
from alloyloop.models.trainer import Trainer
from alloyloop.models.training_data import build_training_data
from alloyloop.models.validation_split import Rows, train_and_validation
from alloyloop.models.warm_start import COLD, WarmStart, initial_weights

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
        design_processing: the processing route this model designs for (a
            :data:`~alloyloop.models.processing.ROUTES` word; needs ``processing_input``).
            Fixed for the model's life and saved with it: every prediction asked without a
            route (``processing=None``: ``predict_proba``, ``predict_detail``,
            ``transform``, the classifier inside ``encode``, and the torch views of
            :mod:`~alloyloop.models.torch_members` / :mod:`~alloyloop.models.torch_scoring`)
            is for it, so code that knows nothing of routes (the strategies) scores
            candidates for the lab's route. None: the unknown route. An explicit
            ``processing=`` always wins.

    Fitted attributes (after ``fit`` / ``load``): ``net_``, ``features_`` (the classifier's
    inputs with their standardizer), ``temperature_``, ``conformal_``, ``domain_``,
    ``metrics_``, ``history_``, ``data_sha256_``, ``warm_start_``; code outside ``models/``
    reads them through :attr:`metrics`, :attr:`warm_start`, :meth:`transform`, …
    """

    def __init__(self, config: DVAEConfig | None = None, *, elements: Sequence[str],
                 seed: int = 0, design_processing: str | None = None) -> None:
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
        self._design_processing = design_route(design_processing,
                                               self.config.processing_input)
        self.schema: FeatureSchema = FULL_SCHEMA.select(self.config.features)
        self.space: BinarySpace = label_space(self.config.label)
        self._reset()

    def __repr__(self) -> str:
        return (f"DisentangledVAE({len(self.elements)} elements, seed={self.seed}, design_"
                f"processing={self._design_processing!r}, fitted={self.net_ is not None})")

    def _reset(self) -> None:
        self.net_: M2 | None = None
        self.features_ = FeatureMap(self.elements, self.schema, self.config.classifier_inputs,
                                    self.config.processing_input)
        self.temperature_: float = 1.0
        self.conformal_: SplitConformal | None = None
        self.domain_: DomainModel | None = None
        self.metrics_: dict[str, Any] = {}
        self.history_: list[dict[str, float]] = []
        self.data_sha256_: str | None = None
        self.warm_start_: WarmStart = COLD

    def _build_net(self) -> M2:
        c = self.config
        return M2(n_elements=len(self.elements), n_features=self.features_.n_inputs,
                  latent_dim=c.latent_dim, encoder_hidden=c.encoder_hidden, dropout=c.dropout,
                  decoder_hidden=c.decoder_hidden, classifier_hidden=c.classifier_hidden,
                  activation=c.activation, classifier_activation=c.classifier_activation,
                  n_heads=c.n_ensemble, n_classes=self.space.n_classes, presence_weight=c.presence_weight,
                  probability_floor=c.probability_floor, presence_threshold=c.presence_threshold,
                  composition_likelihood=c.composition_likelihood, encoder_presence=c.encoder_presence)

    def _check_fitted(self) -> M2:
        if self.net_ is None:
            raise NotFittedError("the model is not fitted: call fit(X, y) or "
                                 "DisentangledVAE.load(dir) first")
        return self.net_

    # ------------------------------------------------------------------ inputs
    def _fractions(self, X: np.ndarray, name: str = "X") -> np.ndarray:
        return check_fractions(X, self.elements, name)  # (n, E) rows summing to 1

    @property
    def standardizer_(self) -> Standardizer | None:
        """The descriptors' standardizer (None before ``fit``)."""
        return self.features_.standardizer

    @property
    def classes(self) -> tuple[str, ...]:
        """Names of the columns of :meth:`predict_phase_proba`: ``("single",)`` for the
        binary label (one column, p(single)), ``("FCC", "BCC", "HCP", "multi")`` for
        ``label = "phase4"`` (columns sum to 1). "multi" is multi-phase; every other class
        is single-phase and p(single) is their sum (:mod:`alloyloop.models.labels`)."""
        return self.space.classes

    @property
    def design_processing(self) -> str | None:
        """The route predictions without one are for (None: ``"unknown"``)."""
        return self._design_processing

    def prediction_routes(self, processing, n: int) -> np.ndarray:
        """``(n,)`` the route words a prediction uses: ``processing`` (one route or
        ``(n,)``, None entries unknown) or, when it is None, :attr:`design_processing`."""
        return route_words(self._design_processing if processing is None else processing, n)

    def transform(self, X: np.ndarray, processing=None) -> np.ndarray:
        """``(n, E)`` fractions → ``(n, F)`` float64 inputs of :meth:`classifier_head`."""
        self._check_fitted()
        x = self._fractions(X)
        return self.features_.inputs(x, self.prediction_routes(processing, x.shape[0]))[1]

    def describe(self, X: np.ndarray, processing=None) -> np.ndarray:
        """``(n, E)`` fractions → ``(n, F)`` the features of :meth:`transform` in physical
        units (descriptors as in :attr:`schema`, fractions and route one-hot as they are)."""
        x = self._fractions(X)
        return self.features_.describe(x, self.prediction_routes(processing, x.shape[0]))

    @property
    def feature_names(self) -> tuple[str, ...]:
        """``(F,)`` display names of the head's inputs, e.g. ``ΔS_mix``, ``x(Co)``."""
        return self.features_.names

    def classifier_head(self, column: int | None = None) -> torch.nn.Module:
        """A copy of the classification head: ``(n, F)`` :meth:`transform` output →
        ``(n, 1)`` calibrated p(single), or with ``column`` that column of
        :meth:`predict_phase_proba` (a phase4 model's p(FCC), say: see
        :func:`alloyloop.models.target.target_column`), through an ``nn.Sigmoid`` module
        (what SHAP's DeepExplainer needs). A copy, so hooks put on it never touch the model."""
        net = self._check_fitted()
        classifier = copy.deepcopy(net.classifier)
        if column is not None:
            if self.space.n_classes == 1 or not 0 <= column < self.space.n_classes:
                raise ValueError(f"column {column}: this model's classes are {', '.join(self.classes)}")
            return CalibratedClassHead(classifier, self.temperature_, column).eval()
        head = CalibratedHead if self.space.n_classes == 1 else CalibratedSingleHead
        return head(classifier, self.temperature_).eval()

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

    # ------------------------------------------------------------------ fit
    def fit(self, X: np.ndarray, y: np.ndarray, *, X_unlabelled: np.ndarray | None = None,
            X_val: np.ndarray | None = None, y_val: np.ndarray | None = None,
            init_from: DisentangledVAE | str | Path | None = None,
            processing=None, processing_val=None) -> DisentangledVAE:
        """Fit, from scratch or starting from an earlier model's weights; returns self.

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
        """
        t0 = time.perf_counter()
        self._reset()
        c = self.config
        x_all = self._fractions(X, "X")
        y_all = self.space.targets(y, x_all.shape[0], "y")
        r_all = route_words(processing, x_all.shape[0])
        x_u = (self._fractions(X_unlabelled, "X_unlabelled") if X_unlabelled is not None
               else np.zeros((0, len(self.elements))))
        if (X_val is None) != (y_val is None):
            raise ValueError("give X_val and y_val together (or neither, to carve one from X)")
        val = None if X_val is None else Rows(
            self._fractions(X_val, "X_val"), self.space.targets(y_val, len(X_val), "y_val"),
            route_words(processing_val, len(X_val), "processing_val"))
        train, val = train_and_validation(Rows(x_all, y_all, r_all), val, self.space,
                                          fraction=c.val_fraction, mode=c.validation_split,
                                          seed=self.seed)
        # labels as targets (phase4 words become masks); the same bytes as y for 0/1 labels
        self.data_sha256_ = data_sha256(X, y_all, X_unlabelled, X_val,
                                        None if y_val is None else val.t, palette=self.elements)
        # Descriptors are standardized on every training composition (labels not needed).
        self.features_ = self.features_.fit(np.vstack([train.x, x_u]))
        data = build_training_data(c, self.features_, train, x_u, val, seed=self.seed)
        initial, warm = initial_weights(init_from, self.config, self.elements,
                                        type(self).load)
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
            if warm.used and c.warm_start_max_epochs is not None:  # near a solution: fewer epochs
                cap = min(c.max_epochs, c.warm_start_max_epochs)
                c = dataclasses.replace(c, max_epochs=cap, min_epochs=min(c.min_epochs, cap),
                                        vae_max_epochs=min(c.vae_max_epochs, cap))
            trainer = Trainer(c, self.space, self.seed,
                              self.features_.torch_decoded_inputs(c.decode_clean_at_pct))
            result = trainer.fit(net, data)
        net.load_state_dict(result.state)
        net.eval()
        self.net_, self.history_ = net, result.history

        # Calibration, conformal threshold and domain: on the validation split only.
        logits_v = self._logits(data.f_v.numpy())
        self.temperature_ = self.space.fit_temperature(logits_v, val.t)
        self.conformal_ = SplitConformal.fit(self.space.p_single(logits_v, self.temperature_),
                                             self.space.single(val.t), c.coverage)
        self.domain_ = DomainModel.fit(self.features_.inputs(train.x)[0], train.x,
                                       c.domain_quantile)
        self.metrics_ = {**fit_metrics(self, result, train=train, x_u=x_u, val=val,
                                       logits_v=logits_v),
            "fit_seconds": time.perf_counter() - t0, "warm_start": self.warm_start_.to_dict()}
        return self

    # ------------------------------------------------------------------ predict
    # Every predict method takes ``processing``: one route for all rows or ``(n,)`` routes
    # (None = the design route); it matters only with ``config.processing_input``.
    def _logits(self, features: np.ndarray) -> np.ndarray:
        net = self._check_fitted()
        with torch.no_grad():
            out = net.classifier(torch.as_tensor(features, dtype=torch.float32))
        return out.double().numpy()

    def _class_logits(self, X: np.ndarray, processing=None) -> np.ndarray:
        """Uncalibrated classifier outputs: ``(n,)`` (binary) or ``(n, K)``."""
        return self._logits(self.transform(X, processing))

    def decision_function(self, X: np.ndarray, processing=None) -> np.ndarray:
        """``(n,)`` uncalibrated classifier logits of single-phase (phase4: the log-odds
        log(P(FCC) + P(BCC) + P(HCP)) − log P(multi))."""
        return self.space.single_logit(self._class_logits(X, processing))

    def predict_proba(self, X: np.ndarray, processing=None) -> np.ndarray:
        """``(n, E)`` fractions → ``(n,)`` float64 calibrated p(single-phase) (phase4: the
        sum of the three structures' probabilities)."""
        return self.space.p_single(self._class_logits(X, processing), self.temperature_)

    def predict_phase_proba(self, X: np.ndarray, processing=None) -> np.ndarray:
        """``(n, E)`` → ``(n, len(classes))`` float64 calibrated probabilities of
        :attr:`classes` (binary: one column, p(single); phase4: four summing to 1)."""
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
        d_std, f = self.features_.inputs(x, self.prediction_routes(processing, x.shape[0]))
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
        """``(n, E)`` fractions → ``(n, latent_dim)`` float64 posterior means of z, given
        ``y`` (scalar or ``(n,)``: 0 / 1, or class names on a phase4 model, e.g. "BCC";
        None: the classifier's predicted class)."""
        net = self._check_fitted()
        x = self._fractions(X)
        if y is None:
            y = self.predicted_codes(x)
        with torch.no_grad():
            mu, _ = net.encoder(torch.as_tensor(x, dtype=torch.float32),
                                self._y_tensor(y, x.shape[0]))
        return mu.double().numpy()

    def decode(self, z: np.ndarray, y: np.ndarray | int) -> np.ndarray:
        """``(n, latent_dim)`` z and y (scalar or ``(n,)``: 0 / 1, or class names on a
        phase4 model: ``decode(z, "BCC")`` is the seed paper's strategy (b) for BCC) →
        ``(n, E)`` compositions on the simplex: the decoder's mean (``composition_likelihood
        = "presence"``: the elements it calls present, at least two, renormalised), fractions
        below ``config.decode_clean_at_pct`` at.% dropped and the rest renormalised."""
        net = self._check_fitted()
        zz = np.atleast_2d(np.asarray(z, dtype=np.float64))
        if zz.shape[1] != self.config.latent_dim:
            raise ValueError(f"z must be (n, {self.config.latent_dim}), got {zz.shape}")
        p = decoded_fractions(net.decoder, torch.as_tensor(zz, dtype=torch.float32),
                              self._y_tensor(y, zz.shape[0]))
        at_pct = self.config.decode_clean_at_pct
        return clean(p, at_pct) if at_pct > 0 else p

    def reconstruct(self, X: np.ndarray) -> np.ndarray:
        """decode(encode(X), ŷ) with ŷ the classifier's class: ``(n, E)`` → ``(n, E)``."""
        x = self._fractions(X)
        y = self.predicted_codes(x)
        return self.decode(self.encode(x, y), y)

    def prior_samples(self, n: int) -> np.ndarray:
        """``(n, E)`` decoded compositions of n fixed draws z ~ N(0, I) (seeded by the
        model's seed), y cycling over the classes."""
        z = np.random.default_rng(self.seed).standard_normal((n, self.config.latent_dim))
        codes = np.arange(n) % self.space.n_codes
        return self.decode(z, codes if self.space.n_classes == 1
                           else np.asarray(self.classes, object)[codes])

    # ------------------------------------------------------------------ checkpoint
    def save(self, path: str | Path) -> Path:
        """Write the fitted model to directory ``path`` (see :mod:`.dvae_checkpoint`)."""
        net = self._check_fitted()
        assert self.standardizer_ and self.conformal_ and self.domain_
        return dvae_checkpoint.write(path, dvae_checkpoint.Stored(
            config=self.config, elements=self.elements, seed=self.seed,
            design_processing=self._design_processing, schema=self.schema,
            weights=net.state_dict(), standardizer=self.standardizer_,
            temperature=self.temperature_, conformal=self.conformal_, domain=self.domain_,
            data_sha256=self.data_sha256_, metrics=self.metrics_, history=self.history_,
            warm_start=self.warm_start_))

    @classmethod
    def load(cls, path: str | Path) -> DisentangledVAE:
        """Read a model written by :meth:`save` (by any version of the format); its
        predictions are identical."""
        s = dvae_checkpoint.read(path)
        model = cls(s.config, elements=s.elements, seed=s.seed,
                    design_processing=s.design_processing)
        if s.schema.names != model.schema.names:
            raise ValueError(f"{path}: stored feature schema {s.schema.names} does not "
                             f"match its config {model.schema.names}: refit the model")
        net = model._build_net()
        net.load_state_dict(s.weights)
        net.eval()
        model.net_ = net
        model.features_ = dataclasses.replace(model.features_, standardizer=s.standardizer)
        model.temperature_, model.conformal_, model.domain_ = s.temperature, s.conformal, s.domain
        model.data_sha256_, model.metrics_, model.history_ = s.data_sha256, s.metrics, s.history
        model.warm_start_ = s.warm_start
        return model
