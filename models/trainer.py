"""The DVAE's optimisation: two phases over one :class:`TrainingData`.

1. **Classifier phase** — every network trains on the M2 objective (labelled ELBO + α ×
   classification, unlabelled ELBO summed over y, element-count prior); the classifier
   of the epoch with the best validation score (``selection_metric``) is kept.
2. **VAE phase** (``vae_selection = "elbo"``) — the classifier is frozen at that epoch;
   encoder and decoder train on with free bits and the label-control term (decoded
   draws must be scored as their y by the frozen classifier) and are kept at the best
   validation −ELBO + control term (larger batches, ``vae_batch_size``; the patience
   restarts only on improvements above ``vae_min_improvement``).

Phase 1 may add confidence-thresholded pseudo-labels on the unlabelled alloys
(``pseudo_label_threshold``, :meth:`Trainer.pseudo_labels`).

Free bits and the control term act only in phase 2, so the classifier is exactly the one
a classifier-only selection keeps. Every random draw comes from the caller's torch RNG
(seeded by the estimator) and the schedules' own seeded generators.
"""

from __future__ import annotations

import copy
import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import Tensor

from alloyloop.models.batches import Schedule, schedule
from alloyloop.models.classifier_phase import TailAverage, average_states, jitter_fractions, lr_schedule
from alloyloop.models.composition import presence_class_weights
from alloyloop.models.config import DVAEConfig
from alloyloop.models.label_space import BinarySpace
from alloyloop.models.networks import M2
from alloyloop.models.priors import element_count_penalty
from alloyloop.models.training_data import TrainingData

CLASSIFIER = "classifier."  # state-dict prefix of the classification head


@dataclass
class TrainResult:
    """What a fit's optimisation ends with.

    Attributes:
        state: the selected weights (best classifier; best encoder/decoder of phase 2).
        best_epoch / epochs: classifier phase's selected epoch and epochs run.
        vae_best_epoch / vae_epochs: the same for phase 2 (0 / 0 when it did not run;
            best 0 = the weights phase 1 ended with).
        steps: optimiser steps of both phases.
        history: one record per epoch (phase, loss, validation scores).
    """

    state: dict[str, Tensor]
    best_epoch: int
    epochs: int
    vae_best_epoch: int = 0
    vae_epochs: int = 0
    steps: int = 0
    history: list[dict[str, float]] = field(default_factory=list)


class ClassifierAverage:
    """An exponential moving average of the classifier's weights over optimiser steps
    (``DVAEConfig.classifier_ema``): the weights judged on the validation rows and kept are
    the average, which moves less from one epoch to the next than the last step's, so the
    selected epoch depends less on which mini-batches came last. The decay warms up as
    min(decay, (1 + t) / (10 + t)) so the random initial weights fade within a few steps."""

    def __init__(self, net: M2, decay: float) -> None:
        self.classifier = copy.deepcopy(net.classifier)
        for param in self.classifier.parameters():
            param.requires_grad_(False)
        self.decay, self.t = decay, 0

    def update(self, net: M2) -> None:
        self.t += 1
        keep = min(self.decay, (1 + self.t) / (10 + self.t))
        with torch.no_grad():
            for avg, cur in zip(self.classifier.parameters(), net.classifier.parameters(),
                                strict=True):
                avg.lerp_(cur, 1.0 - keep)


class Trainer:
    """Trains an :class:`M2` under settings ``config`` for label space ``space``.

    Args:
        config: the fit's settings (epochs, patience, batches, weights of each term).
        space: the label space (binary or phase4) that defines the losses and scores.
        seed: seed of the batch schedules (phase 2 uses ``seed + 1``) and of phase 2's
            validation draws.
        decoded_inputs: differentiable ``(n, E)`` decoded fractions → ``(n, F)``
            classifier inputs (the label-control term scores decoded draws with it).
    """

    def __init__(self, config: DVAEConfig, space: BinarySpace, seed: int,
                 decoded_inputs: Callable[[Tensor], Tensor]) -> None:
        self.c, self.space, self.seed, self.decoded_inputs = config, space, seed, decoded_inputs

    def fit(self, net: M2, data: TrainingData) -> TrainResult:
        """Run phase 1 and, with ``vae_selection = "elbo"``, phase 2 on ``net`` (modified in
        place; the selected weights are in the result, not loaded)."""
        result = self.classifier_phase(net, data)
        if self.c.vae_selection == "elbo":
            self.vae_phase(net, data, result)
        return result

    def _count_prior(self, net: M2, targets: Tensor) -> Tensor:
        """Element-count prior on decoded prior draws (one z per target, y cycling)."""
        c, space = self.c, self.space
        m = targets.shape[0]
        z = torch.randn(m, c.latent_dim)
        yy = space.code(torch.arange(m) % space.n_codes)
        return c.composition_prior_weight * element_count_penalty(net.decoder(z, yy), targets)

    def pseudo_labels(self, net: M2, d: TrainingData, iu: Tensor) -> Tensor:
        """The pseudo-label term on unlabelled rows ``iu`` (``pseudo_label_threshold``):
        the classifier in eval mode (no dropout, no gradient) labels them, and the
        classifier in train mode, on compositions jittered by ``pseudo_label_jitter``,
        is scored against the confident ones (:func:`objective.pseudo_label_loss`)."""
        c = self.c
        f = d.f_u[iu]
        with torch.no_grad():
            net.classifier.eval()
            teacher = net.classifier(f)
            net.classifier.train()
            if c.pseudo_label_jitter > 0:
                assert d.inputs_of is not None
                f = d.inputs_of(jitter_fractions(d.x_u[iu], c.pseudo_label_jitter))
        return self.space.pseudo_label_loss(net.classifier.head_logits(f), teacher,
                                            c.pseudo_label_threshold)

    def classifier_phase(self, net: M2, d: TrainingData) -> TrainResult:
        c, space = self.c, self.space
        plan: Schedule = schedule(c, d.n_labelled, d.n_unlabelled, self.seed)
        self._freeze_presence_input(net, True)  # encoder_presence "vae": zero in this phase
        opt = torch.optim.Adam(net.parameters(), lr=c.lr, weight_decay=c.weight_decay)
        history: list[dict[str, float]] = []
        best_score, best_state, best_epoch, since_best = math.inf, None, 0, 0
        epoch = 0
        ema = ClassifierAverage(net, c.classifier_ema) if c.classifier_ema else None
        lr_steps = lr_schedule(opt, c, plan.steps)
        tail = (TailAverage(c.classifier_average_epochs)
                if c.classifier_keep in ("average", "best_average") else None)
        for epoch in range(1, c.max_epochs + 1):
            beta = min(1.0, epoch / c.kl_warmup_epochs) if c.kl_warmup_epochs else 1.0
            net.train()
            total = 0.0
            for _ in range(plan.steps):
                il = plan.labelled.next()
                f_l = d.f_l[il]
                if c.classifier_jitter > 0:  # the classifier sees jittered alloys, the ELBO not
                    assert d.inputs_of is not None
                    f_l = d.inputs_of(jitter_fractions(d.x_l[il], c.classifier_jitter))
                loss, _ = space.labelled_loss(net, d.x_l[il], f_l, d.t_l[il], d.p_l[il],
                                              alpha=c.alpha, beta=beta, count=c.effective_count,
                                              smoothing=c.label_smoothing)
                if plan.unlabelled is not None:
                    iu = plan.unlabelled.next()
                    if plan.unlabelled_scale > 0:  # unlabelled_weight 0: no ELBO to compute
                        lu, _ = space.unlabelled_loss(net, d.x_u[iu], d.f_u[iu], d.p_u[iu],
                                                      beta=beta, count=c.effective_count,
                                                      classifier=c.unlabelled_classifier)
                        loss = loss + plan.unlabelled_scale * lu
                    if c.pseudo_label_threshold > 0:
                        loss = loss + c.alpha * c.pseudo_label_weight * self.pseudo_labels(
                            net, d, iu)
                if d.count_targets is not None:
                    loss = loss + self._count_prior(net, d.count_targets)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                if lr_steps is not None:
                    lr_steps.step()
                if ema is not None:
                    ema.update(net)
                total += loss.item()
            if tail is not None:
                tail.add(net.classifier)

            net.eval()
            judged = net.classifier if ema is None else ema.classifier
            judged.eval()
            with torch.no_grad():
                logits_v = judged(d.f_v).double().numpy()
            val = space.val_scores(logits_v, d.t_v_labels)
            history.append({"epoch": epoch, "phase": "classifier", "loss": total / plan.steps,
                            "beta": beta, "val_nll": val["nll"],
                            "val_balanced_accuracy": val["balanced_accuracy"]})
            # Lower is better for the selection score.
            score = val["nll"] if c.selection_metric == "nll" else -val[c.selection_metric]
            if not math.isfinite(score):
                score = math.inf
            if c.classifier_keep in ("last", "average"):
                continue  # a fixed budget of max_epochs: nothing is selected
            if epoch <= c.select_after and epoch < c.max_epochs:
                continue  # too early to be kept: train on, judge later
            if best_state is None or score < best_score:
                best_score, best_epoch, since_best = score, epoch, 0
                best_state = copy.deepcopy(net.state_dict())
                if tail is not None:  # "best_average": the window ending at the best epoch
                    best_state.update({CLASSIFIER + k: v for k, v in tail.state().items()})
                if ema is not None:  # the averaged classifier is the one judged and kept
                    best_state.update({CLASSIFIER + k: v.clone()
                                       for k, v in ema.classifier.state_dict().items()})
            else:
                since_best += 1
            if epoch >= c.min_epochs and since_best >= c.patience:
                break
        if c.classifier_keep in ("last", "average"):  # the budget's end, or its tail average
            best_state, best_epoch = copy.deepcopy(net.state_dict()), epoch
            if tail is not None:
                best_state.update({CLASSIFIER + k: v for k, v in tail.state().items()})
        assert best_state is not None
        return TrainResult(best_state, best_epoch, epoch, steps=epoch * plan.steps,
                           history=history)

    def _balance_presence(self, net: M2, d: TrainingData) -> None:
        """``presence_balance`` > 0: the decoder's presence term weighs each element's
        present / absent entries by its share of the real training alloys (labelled and
        pool; the synthetic ones of ``vae_augment`` are mixtures of these)."""
        if self.c.presence_balance > 0 and hasattr(net.decoder, "balance"):
            present = torch.cat([d.x_l, d.x_u]) > 0
            net.decoder.balance = presence_class_weights(present, self.c.presence_balance)

    @staticmethod
    def _freeze_presence_input(net: M2, frozen: bool) -> None:
        """The encoder's element-set weights (``encoder_presence = "vae"``) stay at zero
        through the classifier phase (no gradient: Adam skips them) and train after."""
        presence = getattr(net.encoder, "presence", None)
        if presence is not None:
            presence.requires_grad_(not frozen)

    def vae_phase(self, net: M2, d: TrainingData, result: TrainResult) -> None:
        """Phase 2 from where phase 1 left ``net``, with the classifier of
        ``result.state``; updates ``result`` (state, VAE epochs, steps, history)."""
        c, space = self.c, self.space
        net.classifier.load_state_dict({k[len(CLASSIFIER):]: v for k, v in result.state.items()
                                        if k.startswith(CLASSIFIER)})
        for param in net.classifier.parameters():
            param.requires_grad_(False)
        self._balance_presence(net, d)
        self._freeze_presence_input(net, False)
        x_u, f_u, p_u = d.vae_unlabelled()  # with the synthetic alloys of vae_augment
        plan = schedule(c, d.n_labelled, len(x_u), self.seed + 1, c.vae_batch_size)
        opt = torch.optim.Adam([*net.encoder.parameters(), *net.decoder.parameters()],
                               lr=c.lr, weight_decay=c.weight_decay)
        control = c.control_weight > 0

        def validation_score() -> tuple[float, float, float]:
            """(−ELBO + w·control, −ELBO, control) on the validation rows, with noise
            and prior draws from a fixed seed so epochs compare like with like."""
            net.eval()
            with torch.random.fork_rng(devices=[]), torch.no_grad():
                torch.manual_seed(self.seed)
                neg_elbo = float(-space.labelled_elbo(net, d.x_v, d.f_v, d.t_v, d.p_v,
                                                      c.effective_count).mean())
                ctrl = float(space.control_loss(net, self.decoded_inputs, torch.randn(
                    c.control_samples, c.latent_dim))) if control else 0.0
            return neg_elbo + c.control_weight * ctrl, neg_elbo, ctrl

        def vae_state() -> dict:
            return {k: v.clone() for k, v in net.state_dict().items()
                    if not k.startswith(CLASSIFIER)}

        recent: deque[dict] = deque(maxlen=max(c.vae_average_last, 1))
        best_score, _, _ = validation_score()
        anchor = best_score  # the score the patience counts from
        best_vae, best_epoch, since_best, epoch = vae_state(), 0, 0, 0
        for epoch in range(1, c.vae_max_epochs + 1):
            net.train()
            net.classifier.eval()  # frozen: no dropout in q(y|x) or the control term
            total = 0.0
            for _ in range(plan.steps):
                il = plan.labelled.next()
                # the frozen classifier's BCE is a constant: the labelled part is −ELBO
                loss = -space.labelled_elbo(net, d.x_l[il], d.f_l[il], d.t_l[il], d.p_l[il],
                                            c.effective_count, c.free_bits).mean()
                if plan.unlabelled is not None:
                    iu = plan.unlabelled.next()
                    lu, _ = space.unlabelled_loss(net, x_u[iu], f_u[iu], p_u[iu],
                                                  beta=1.0, count=c.effective_count,
                                                  free_bits=c.free_bits)
                    loss = loss + plan.unlabelled_scale * lu
                if d.count_targets is not None:
                    loss = loss + self._count_prior(net, d.count_targets)
                if control:
                    z = torch.randn(c.control_samples, c.latent_dim)
                    loss = loss + c.control_weight * space.control_loss(
                        net, self.decoded_inputs, z)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                total += loss.item()
            score, neg_elbo, ctrl = validation_score()
            result.history.append({"epoch": epoch, "phase": "vae", "loss": total / plan.steps,
                                   "val_neg_elbo": neg_elbo, "val_control": ctrl})
            if c.vae_average_last > 0:
                recent.append(vae_state())
            if math.isfinite(score) and score < best_score:
                best_score, best_epoch = score, epoch
                best_vae = vae_state()
            if math.isfinite(score) and (not math.isfinite(anchor) or score < anchor
                                         - c.vae_min_improvement * abs(anchor)):
                anchor, since_best = score, 0
            else:
                since_best += 1
            if since_best >= c.vae_patience:
                break
        if c.vae_keep == "last":
            best_vae, best_epoch = vae_state(), epoch
            if c.vae_average_last > 0 and recent:
                best_vae = average_states(recent)
        for param in net.classifier.parameters():
            param.requires_grad_(True)
        if hasattr(net.decoder, "balance"):
            net.decoder.balance = None  # a training weight: scoring after the fit is plain
        merged = {k: v for k, v in result.state.items() if k.startswith(CLASSIFIER)}
        merged.update(best_vae)
        result.state, result.vae_best_epoch, result.vae_epochs = merged, best_epoch, epoch
        result.steps += epoch * plan.steps
