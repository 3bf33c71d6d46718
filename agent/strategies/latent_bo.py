"""Strategy ``botorch-gp`` (the baseline of ``botorch``): a GP of classifier scores over
the latent space, with BoTorch.

``botorch`` (:mod:`alloyloop.agent.strategies.ensemble_bo`) replaced it: it puts the
acquisition on the DVAE's own ensemble posterior instead of a surrogate of a surrogate,
and uses every labelled alloy. This one stays for the replay benchmark's comparison.

The black box is f(z) = logit p(single | repair(decode(z, y = 1))): what the alloy that
latent point z stands for would be, once made inside the design space. For a structure
``target`` (FCC / BCC / HCP, a phase4 model) read p(target) for p(single) and y = the
structure for y = 1 throughout (:mod:`~alloyloop.models.target`); the
labelled alloys enter with their structure outcome (``Observations.outcomes(target)``; those of
unknown structure are left out). A GP
(``SingleTaskGP``) over the latent box is fitted to

- a Sobol design of latent points scored by the DVAE classifier, and
- the campaign's labelled alloys inside the palette at z = encode(x, y = 1), with their
  *observed* outcome (logit of 0.95 / 0.05), so measured labels override the classifier
  where they exist.

A batch acquisition (qLogNEI by default, or qUCB) is optimized with ``optimize_acqf``
over the latent box, with the latent codes of pending suggestions as ``X_pending`` so a
new batch avoids what is already in the lab. Chosen points are decoded with y = 1,
repaired, de-duplicated and scored. :class:`RandomLatent` is the matching baseline.

With a candidate pool (:mod:`alloyloop.agent.pool`) the GP's design points are pool candidates
scored by the classifier, and the same acquisition picks the batch among the pool's
latent codes (``optimize_acqf_discrete``): nothing is decoded. There the GP also gets the
classifier's logit as a third input (``pool_logit_input``): p(single) is not smooth over
the 2-D latent plane (the replay benchmark measured a latent-only GP 13 hits in 50 behind
greedy screening), and with the logit as an input an ARD kernel can follow the classifier
while the labelled alloys still correct it where they disagree.
"""

from __future__ import annotations


import attrs
import numpy as np
import torch
from botorch.acquisition import qLogNoisyExpectedImprovement, qUpperConfidenceBound
from botorch.fit import fit_gpytorch_mll
from botorch.models import SingleTaskGP
from botorch.models.transforms import Standardize
from botorch.optim import optimize_acqf, optimize_acqf_discrete
from gpytorch.mlls import ExactMarginalLogLikelihood

from alloyloop.campaigns.options.strategies import BotorchGPOptions, RandomLatentOptions
from alloyloop.campaigns.design_space import DesignSpace
from alloyloop.agent.strategies.common import decode_to_space, fresh_unique
from alloyloop.agent.strategies.screening import pool_candidates
from alloyloop.models.target import check_target, decode_class, target_proba
from alloyloop.agent.suggestion import Observations, Suggestion, build_suggestions, to_model_columns

_P_CLIP = 0.05  # observed labels enter the GP as logit(0.95) / logit(0.05)


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-4, 1 - 1e-4)
    return np.log(p / (1 - p))


def in_palette(obs: Observations, space: DesignSpace) -> np.ndarray:
    """``(m,)`` bool: labelled alloys made only of palette elements."""
    cols = [obs.elements.index(el) for el in space.palette]
    return np.isclose(obs.X[:, cols].sum(axis=1), 1.0)


def latent_box(model, obs: Observations, margin: float = 0.25,
               extra: np.ndarray | None = None, y: int | str = 1) -> np.ndarray:
    """``(2, d)`` box around the latent codes (label ``y``) of all labelled alloys (and of
    ``extra`` ``(k, d)`` codes, e.g. a candidate pool's)."""
    z = model.encode(obs.X, y)
    if extra is not None and len(extra):
        z = np.vstack([z, extra])
    lo, hi = z.min(axis=0), z.max(axis=0)
    pad = margin * np.maximum(hi - lo, 1e-3)
    return np.vstack([lo - pad, hi + pad])


@attrs.frozen
class LatentBO(BotorchGPOptions):
    """BoTorch batch acquisition over the DVAE's latent space.

    Attributes:
        acquisition: ``qLogNEI`` or ``qUCB``.
        beta: qUCB exploration weight.
        n_design: Sobol latent points scored by the classifier as GP data.
        max_labelled: at most this many labelled in-palette alloys (a seeded random
            subset) enter the GP, which keeps the exact GP fit to seconds.
        oversample: latent candidates optimized per wanted suggestion (some decode to
            duplicates or infeasible alloys).
        num_restarts, raw_samples: ``optimize_acqf`` settings.
        pool_logit_input: with a candidate pool, give the GP the classifier's logit
            (min-max scaled over the pool) as an input beside the latent code.
        target: the campaign's target (``single``, ``FCC``, ``BCC`` or ``HCP``; a
            structure needs a phase4 model).
    """

    target: str = "single"

    def __attrs_post_init__(self) -> None:
        check_target(self.target)

    def suggest(self, model, observations: Observations, space: DesignSpace, n: int,
                seed: int) -> list[Suggestion]:
        # BoTorch's random restarts and MC samples draw from torch's global RNG: seed a
        # forked copy, so the caller's RNG state is the same afterwards.
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            return self._suggest(model, observations, space, n, seed)

    def _suggest(self, model, obs: Observations, space: DesignSpace, n: int,
                 seed: int) -> list[Suggestion]:
        score = target_proba(model, self.target)
        y_code = decode_class(model, self.target)  # 1 (single-phase) or the structure
        outcome = obs.outcomes(self.target)
        x_pool = pool_candidates(obs, space) if obs.pool_mode else None
        if x_pool is not None and len(x_pool) == 0:
            return []
        z_pool = None if x_pool is None else model.encode(to_model_columns(x_pool, space, obs.elements), y_code)
        box = latent_box(model, obs, extra=z_pool, y=y_code)
        d = box.shape[1]
        lo, span = box[0], box[1] - box[0]

        if x_pool is None:  # Sobol latent points, decoded and repaired, scored by the classifier
            sobol = torch.quasirandom.SobolEngine(d, scramble=True, seed=seed)
            u_design = sobol.draw(self.n_design).double().numpy()
            x_design, _dist, valid = decode_to_space(model, lo + span * u_design, space,
                                                     obs.elements, y=y_code)
            p_design = score(to_model_columns(x_design, space, obs.elements))
        else:  # a seeded subset of the pool's candidates, scored by the classifier
            pick = np.random.default_rng(seed).permutation(len(x_pool))[:self.n_design]
            p_pool = score(to_model_columns(x_pool, space, obs.elements))
            u_pool = (z_pool - lo) / span
            if self.pool_logit_input:
                logit_pool = _logit(p_pool)
                s_lo, s_span = logit_pool.min(), max(float(np.ptp(logit_pool)), 1e-6)
                u_pool = np.hstack([u_pool, ((logit_pool - s_lo) / s_span)[:, None]])
            u_design, x_design = u_pool[pick], x_pool[pick]
            valid, p_design = np.ones(len(pick), dtype=bool), p_pool[pick]
        y_design = np.where(valid, _logit(p_design), _logit(np.array([_P_CLIP]))[0])

        def gp_inputs(u: np.ndarray, X: np.ndarray) -> np.ndarray:
            """``(m, d)`` latent inputs, with the scaled logit of ``X`` ``(m, D)`` appended
            when the GP takes it (pool mode)."""
            if x_pool is None or not self.pool_logit_input:
                return u
            s = (_logit(score(X)) - s_lo) / s_span if len(X) else np.empty(0)
            return np.hstack([u, s[:, None]])

        inside = self._labelled_rows(obs, space, outcome, seed)
        u_lab = np.clip((model.encode(obs.X[inside], y_code) - lo) / span, 0, 1) \
            if len(inside) else np.empty((0, d))
        u_lab = gp_inputs(u_lab, obs.X[inside])
        y_lab = _logit(np.where(outcome[inside] == 1, 1 - _P_CLIP, _P_CLIP))

        train_x = torch.as_tensor(np.vstack([u_design, u_lab]), dtype=torch.float64)
        train_y = torch.as_tensor(np.concatenate([y_design, y_lab]), dtype=torch.float64)[:, None]
        gp = SingleTaskGP(train_x, train_y, outcome_transform=Standardize(m=1))
        fit_gpytorch_mll(ExactMarginalLogLikelihood(gp.likelihood, gp))

        pend_in = _pending_in_palette(obs, space)
        pending = (torch.as_tensor(gp_inputs(np.clip((model.encode(pend_in, y_code) - lo) / span,
                                                     0, 1), pend_in), dtype=torch.float64)
                   if len(pend_in) else None)
        acq = self._acquisition(gp, train_x, pending)
        if x_pool is not None:
            return self._pick_from_pool(model, acq, gp, x_pool, u_pool, space, obs, n)
        return self._pick_on_lattice(model, acq, gp, box, y_code, space, obs, n, seed)

    def _labelled_rows(self, obs: Observations, space: DesignSpace, outcome: np.ndarray,
                       seed: int) -> np.ndarray:
        """Indices of the labelled alloys the GP trains on: inside the palette, of known
        outcome, a seeded sample of at most ``max_labelled``."""
        inside = np.flatnonzero(in_palette(obs, space) & np.isfinite(outcome))
        if len(inside) > self.max_labelled:
            inside = np.sort(np.random.default_rng(seed).choice(inside, self.max_labelled,
                                                                replace=False))
        return inside

    def _acquisition(self, gp, train_x: torch.Tensor, pending: torch.Tensor | None):
        """The batch acquisition function over the GP (pending alloys already counted)."""
        if self.acquisition == "qLogNEI":
            return qLogNoisyExpectedImprovement(gp, X_baseline=train_x, X_pending=pending,
                                                prune_baseline=True)
        if self.acquisition == "qUCB":
            return qUpperConfidenceBound(gp, beta=self.beta, X_pending=pending)
        raise ValueError(f"unknown acquisition {self.acquisition!r}: use 'qLogNEI' or 'qUCB'")

    def _pick_on_lattice(self, model, acq, gp, box: np.ndarray, y_code, space: DesignSpace,
                         obs: Observations, n: int, seed: int) -> list[Suggestion]:
        """Optimize the acquisition over the unit latent box, decode the candidates into
        the design space and keep the ``n`` fresh ones of highest posterior mean."""
        d = box.shape[1]
        lo, span = box[0], box[1] - box[0]
        bounds = torch.stack([torch.zeros(d), torch.ones(d)]).double()
        cand, _ = optimize_acqf(acq, bounds=bounds, q=n * self.oversample,
                                num_restarts=self.num_restarts, raw_samples=self.raw_samples,
                                sequential=True, options={"seed": seed})
        u = cand.detach().numpy()
        mean = _posterior_mean(gp, cand)

        x, dist, valid = decode_to_space(model, lo + span * u, space, obs.elements, y=y_code)
        keep = np.flatnonzero(valid)
        keep = keep[fresh_unique(x[keep], space, obs)]
        keep = keep[np.argsort(-mean[keep], kind="stable")][:n]
        return build_suggestions(model, x[keep], space, obs, self.name, mean[keep],
                                 repair_distance=dist[keep])

    def _pick_from_pool(self, model, acq, gp, x_pool: np.ndarray, u_pool: np.ndarray,
                        space: DesignSpace, obs: Observations, n: int) -> list[Suggestion]:
        """Sequential greedy batch over the pool's GP inputs ``u_pool`` ``(N, d)`` or
        ``(N, d + 1)`` (a discrete optimization of the same acquisition; pool codes may lie
        outside the unit box, which is fine for the GP)."""
        choices = torch.as_tensor(u_pool, dtype=torch.float64)
        cand, _ = optimize_acqf_discrete(acq, q=min(n, len(choices)), choices=choices,
                                         max_batch_size=512, unique=True)
        rows = [int(torch.nonzero((choices == c).all(dim=1))[0, 0]) for c in cand]
        return build_suggestions(model, x_pool[rows], space, obs, self.name,
                                 _posterior_mean(gp, cand))


def _posterior_mean(gp, x: torch.Tensor) -> np.ndarray:
    """``(q,)`` GP posterior mean (standardized logit scale) at ``(q, d)`` points."""
    with torch.no_grad():
        return gp.posterior(x.unsqueeze(-2)).mean.squeeze().reshape(-1).numpy()


@attrs.frozen
class RandomLatent(RandomLatentOptions):
    """Baseline: uniform latent points in the same box, decoded with y = 1 (for a
    structure ``target``, y = the structure)."""

    target: str = "single"

    def __attrs_post_init__(self) -> None:
        check_target(self.target)

    def suggest(self, model, observations: Observations, space: DesignSpace, n: int,
                seed: int) -> list[Suggestion]:
        target_proba(model, self.target)  # a structure needs a phase4 model: raise here
        y_code = decode_class(model, self.target)
        box = latent_box(model, observations, y=y_code)
        rng = np.random.default_rng(seed)
        z = box[0] + (box[1] - box[0]) * rng.random((4 * n, box.shape[1]))
        x, dist, valid = decode_to_space(model, z, space, observations.elements, y=y_code)
        keep = np.flatnonzero(valid)
        keep = keep[fresh_unique(x[keep], space, observations)][:n]
        return build_suggestions(model, x[keep], space, observations, self.name,
                                 np.zeros(len(keep)), repair_distance=dist[keep])


def _pending_in_palette(obs: Observations, space: DesignSpace) -> np.ndarray:
    """The pending alloys made only of the design palette's elements (``(p', E)``)."""
    if not len(obs.X_pending):
        return obs.X_pending
    cols = [obs.elements.index(e) for e in space.palette]
    return obs.X_pending[np.isclose(obs.X_pending[:, cols].sum(axis=1), 1.0)]
