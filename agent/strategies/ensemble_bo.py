"""Strategy ``botorch``: BoTorch acquisition on the DVAE's own ensemble posterior.

The black box is the DVAE classifier itself: its members (heads, or MC-dropout masks; see
:mod:`alloyloop.models.torch_members`) give an ensemble posterior over the calibrated
logit of single-phase (:class:`~alloyloop.agent.strategies.dvae_posterior.DVAEEnsemble`).
No GP is fitted, so every labelled alloy counts (no cap): the labelled alloys inside the
palette are the observations, ``X_baseline`` of qLogNEI (the best of them under each
member is the incumbent to improve on); for the other acquisitions they shape the
posterior through the classifier trained on them.

Acquisitions: ``qLogNEI``, ``qUCB`` (``beta``), ``qSR`` (qSimpleRegret: the ensemble's
mean logit) and ``Thompson`` (each batch slot maximizes one member drawn from ``seed``).
Every member is evaluated at every point (:class:`MemberSampler`), so the MC "samples"
are exact, not drawn.

**Batches.** A campaign counts hits, so a batch's worth is the sum of its alloys' values,
not BoTorch's q-batch value E[max over the batch]: on this posterior the latter saturates.
With the alloy the five heads all rank first as ``X_pending``, qUCB of one more alloy was
the same 29.14 for all 400 candidates of the test pool (the batch's max is the pending
alloy's under every member), which leaves the greedy batch to chance; issue #32 measured
it again (``python -m benchmarks.pending_saturation``: with the 3 best alloys pending,
96 % of the other 397 share one qUCB value, and qLogNEI's order does not change at all).
So pending alloys are not passed as ``X_pending``: each alloy is scored alone (q = 1) and
the batch is spread by a rule a user can read, ``new_system_margin``: greedy in the
acquisition's order, except that when the next pick's element system is already pending
in the lab or in the batch, the best-valued alloy of a *new* system is taken instead if
its p(target) is at least ``1 − new_system_margin`` times the best p(target) still open
(:func:`~alloyloop.agent.strategies.diversity.diverse_order`). So no alloy the model
thinks hopeless buys a batch place for its system (the issue-32 study saw p(single) 1e-46
picks under the former penalty). And no pick at all has p(target) below ``min_p_ratio``
times the best p(target) still open: qUCB ranks an uncertain alloy of p = 0.002 above one
of p = 0.3, which where needles are rare spends the lab on alloys the model itself gives
up on (the ``cocrfenbti-hea`` discovery study, seed 0, round 3: four of six picks at
p ≤ 0.03). Where every open alloy is unlikely the floor is low too, and the acquisition's
optimism (the members' spread) decides. ``diversity`` (a penalty in standard deviations
of the values, off by default) and ``max_per_system`` still apply. Pending alloys count
against their systems, and are never suggested again.

**The lattice's best join the latent search.** The decoder reaches only part of the design
space: in the ``cocrfenbti-hea`` study (4- and 5-element Co-Cr-Fe-Nb-Ti, 4 % of the
lattice single-phase, seed 0) the latent search's picks of round 3 had p(single) ≤ 0.07
while greedy screening's, in its own campaign, had up to 0.29, and ``botorch`` found 4
single-phase alloys in 24 to greedy's 11 (9 with this change). So the
``screen_candidates`` best alloys of the design-space lattice by p(target) (greedy
screening's own list, :meth:`~alloyloop.agent.strategies.screening.Screening.top_candidates`)
join the decoded ones as candidates, and the acquisition chooses among all of them; they
are scored exactly as sent (repair distance 0).

**A region whose labels keep coming back multi-phase is left** (``avoid_misses``,
``avoid_radius``, ``avoid_factor``; :mod:`~alloyloop.agent.strategies.failed_regions`):
a candidate with at least ``avoid_misses`` (default 3) of the campaign's own labelled
alloys within ``avoid_radius`` (max-abs) of it, all misses, counts at ``avoid_factor`` ×
its p(target) (its acquisition value gains ``log(avoid_factor)``: the odds, or the
expected improvement, scale by the same factor), for the lattice's best as well. In the
``cocrfenbti-hea`` study (seed 4) the corpus kept the model's p highest in one Ti15 band
after six misses there, and ``botorch`` sent that band for three rounds with no hit.
And at most ``probe_count`` (default 2) alloys of a batch (the lab's pending ones
included) lie within ``avoid_radius`` of each other where the campaign has no hit yet: the
model's best are often one corner's neighbours, and a wrong corner then costs the whole
batch (seed 4, round 0: six Co75–85 alloys, all multi-phase).

**New alloys before neighbours of known ones** (``novel_distance``, ``novel_margin``;
:mod:`~alloyloop.agent.strategies.diversity`): a candidate farther than
``novel_distance`` (default 0.1, max-abs) from every alloy known before the campaign
(:attr:`~alloyloop.agent.suggestion.Observations.prior`) replaces a nearer pick when its
p(target) is at least ``1 − novel_margin`` times the best open p (``novel_margin`` 0, off,
by default; 0.1 in the bundled specs that generate alloys), pick by pick; the lattice's best novel alloys join the candidates. Where the model is sure of
much of the space (the ``alcocrni`` and ``cocrfenbti`` studies) near hits cost nothing,
and without the rule the batch stays beside the corpus.

**What is scored is what is sent.** Without a pool, ``optimize_acqf`` (q = 1,
``oversample × n`` restarts of at most 20 L-BFGS-B iterations, every restart's end point
kept, plus ``raw_samples`` Sobol points of the box as candidates) searches the latent box
through the differentiable path z → decode(z, y = 1) →
:class:`~alloyloop.agent.strategies.dvae_posterior.SmoothDesignMap` (repair's own support
and box-simplex projection, differentiable; only the grid rounding is left out) →
descriptors → members, with a penalty outside the model's domain of applicability. The
decodes are then repaired exactly onto the grid, filtered (feasible, in domain, new) and
the batch is chosen among them as from a pool, scored on the repaired alloys: the recorded
acquisition and p are those of the alloy sent, and the recorded ``repair_distance`` is the
share of atoms between the alloy the search scored and the one sent (the grid rounding: at
most ``max_elements × step / 2``). With a pool, the candidates are its open alloys (a
discrete optimization over them).

**Target and objectives** (campaign settings, not strategy options): the posterior is
over the logit of p(``target``) (:mod:`~alloyloop.models.target`); with
``objectives`` the model gains one output per property and the acquisition, in the latent
search and in the batch choice, is qLogNEHVI whatever ``acquisition`` says
(:mod:`~alloyloop.agent.strategies.multi_objective`).
"""

from __future__ import annotations

import warnings

import attrs
import numpy as np
import torch
from botorch.acquisition import (
    AcquisitionFunction,
    qLogNoisyExpectedImprovement,
    qSimpleRegret,
    qUpperConfidenceBound,
)
from botorch.optim import optimize_acqf
from botorch.posteriors.ensemble import EnsemblePosterior
from botorch.sampling.base import MCSampler
from torch import Tensor, nn

from alloyloop.campaigns.options.strategies import BOTORCH_ACQUISITIONS, BotorchOptions, settings
from alloyloop.campaigns.goal import Goal
from alloyloop.agent.strategies.common import decode_to_space, fresh_unique
from alloyloop.agent.strategies.diversity import diverse_order, element_systems
from alloyloop.agent.strategies.failed_regions import failed_region_discount, probe_limit
from alloyloop.agent.strategies.dvae_posterior import DVAEEnsemble, LatentToDesign, SmoothDesignMap
from alloyloop.agent.strategies.latent_bo import in_palette, latent_box
from alloyloop.agent.strategies.multi_objective import (
    MultiOutputEnsemble,
    PropertyOutputs,
    greedy_hypervolume_batch,
    hypervolume_acquisition,
    reference_point,
)
from alloyloop.agent.novelty import duplicates_of, far_from
from alloyloop.agent.strategies.screening import Screening, pool_candidates
from alloyloop.agent.suggestion import (
    Observations,
    Suggestion,
    build_suggestions,
    to_model_columns,
    to_space_columns,
)
from alloyloop.campaigns.design_space import DesignSpace
from alloyloop.models.target import check_target, decode_class, target_members, target_proba
from alloyloop.models.torch_members import domain_score, torch_decoder

ACQUISITIONS = BOTORCH_ACQUISITIONS
# L-BFGS-B per restart of the latent search. The path is piecewise smooth (the support is a
# discrete choice), so a restart's line searches stall at kinks: past 20 iterations the
# few still running cost two thirds of the evaluations and, on the demo model, changed no
# pick (issue #32: ``python -m benchmarks.suggest_time``, docs/benchmarks.md).
LBFGS_OPTIONS = {"maxiter": 20}


class MemberSampler(MCSampler):
    """Every ensemble member once: ``(*b, S, q, m)`` values → ``(S, *b, q, m)`` samples."""

    def __init__(self, n_members: int) -> None:
        super().__init__(sample_shape=torch.Size([n_members]))

    def forward(self, posterior: EnsemblePosterior) -> Tensor:
        return posterior.values.movedim(-3, 0)

    def _update_base_samples(self, posterior, base_sampler) -> None:
        """Nothing to share: the samples are the members themselves."""


class MemberValue(AcquisitionFunction):
    """One ensemble member's logit at single points (a Thompson draw of the ensemble).

    Args:
        model: a :class:`DVAEEnsemble`.
        member: the member's index.
    """

    def __init__(self, model: DVAEEnsemble, member: int) -> None:
        super().__init__(model=model)
        self.member = int(member)

    def forward(self, X: Tensor) -> Tensor:
        """``X`` ``(b, 1, d)`` → ``(b,)``."""
        return self.model(X)[..., self.member, 0, 0]


def make_acquisition(kind: str, model: DVAEEnsemble, *, baseline: Tensor, beta: float
                     ) -> AcquisitionFunction:
    """The MC acquisition ``kind`` (not Thompson) on ``model``.

    Args:
        baseline: ``(m, d)`` labelled alloys in the model's input space (qLogNEI only).
    """
    sampler = MemberSampler(model.n_members)
    if kind == "qLogNEI":
        if len(baseline) == 0:
            raise ValueError("qLogNEI needs labelled alloys made of palette elements as its "
                             "baseline: label some, or use acquisition = 'qUCB'")
        return qLogNoisyExpectedImprovement(model, X_baseline=baseline, sampler=sampler,
                                            prune_baseline=True, cache_root=False)
    if kind == "qUCB":
        return qUpperConfidenceBound(model, beta=beta, sampler=sampler)
    if kind == "qSR":
        return qSimpleRegret(model, sampler=sampler)
    raise ValueError(f"unknown acquisition {kind!r}: use one of {', '.join(ACQUISITIONS)}")


def scored_to_sent(model, z: np.ndarray, x_space: np.ndarray, space: DesignSpace,
                   elements: tuple[str, ...], y) -> np.ndarray:
    """``(c,)`` share of atoms between the alloy the latent search scored at ``z`` ``(c, d)``
    (decode, then :class:`SmoothDesignMap`) and the repaired alloy sent, ``x_space``: the
    grid rounding (at most ``max_elements × step / 2``). Recorded as the suggestion's
    ``repair_distance``: for this strategy, how far the lab's alloy is from the one the
    acquisition optimised."""
    if len(z) == 0:
        return np.zeros(0)
    with torch.no_grad():
        seen = SmoothDesignMap(space, elements)(torch.as_tensor(model.decode(z, y))).numpy()
    return 0.5 * np.abs(to_space_columns(seen, space, elements) - x_space).sum(axis=1)


def _slot_members(n_slots: int, n_members: int, seed: int) -> np.ndarray:
    """``(n_slots,)`` the ensemble member each Thompson slot maximizes."""
    return np.random.default_rng(seed).integers(0, n_members, n_slots)


@attrs.frozen
class EnsembleBO(BotorchOptions):
    """BoTorch acquisition on the DVAE's ensemble posterior (see the module docstring).

    Attributes:
        acquisition: ``qLogNEI``, ``qUCB``, ``qSR`` or ``Thompson``.
        beta: qUCB exploration weight.
        new_system_margin: a pick from a new element system replaces the acquisition's
            pick (of a system already pending or in the batch) only when its p(target) is
            at least ``1 −`` this times the best p(target) still open (0 = off; 1 = a new
            system whenever there is one).
        min_p_ratio: no pick whose p(target) is below this times the best p(target)
            still open (0 = off).
        screen_candidates: the design-space lattice's best alloys by p(target) added to
            the latent search's candidates (0 = the latent search alone).
        avoid_misses, avoid_radius, avoid_factor: the failed-region rule (module
            docstring; ``avoid_misses = 0``: off).
        novel_distance, novel_margin: the novelty rule (module docstring;
            ``novel_margin = 0``: off).
        diversity: penalty per alloy of the same element system already in the lab or the
            batch, in standard deviations of the slot's acquisition values (0 = off, the
            default).
        max_per_system: at most this many alloys per element system in the lab's pending
            set plus the batch (0 = no cap).
        oversample: latent points optimized per wanted suggestion (latent search).
        num_restarts, raw_samples: ``optimize_acqf`` settings (latent search).
        dropout_members: MC-dropout members of a single-head classifier.
        target: the campaign's target (``single``, ``FCC``, ``BCC``, ``HCP``).
        objectives: the campaign's ``(property, "minimize" | "maximize")`` pairs; with
            any, the acquisition is qLogNEHVI (module docstring).
    """

    target: str = "single"
    objectives: tuple[tuple[str, str], ...] = ()

    def __attrs_post_init__(self) -> None:
        check_target(self.target)  # the options are checked by BotorchOptions

    @classmethod
    def for_goal(cls, options: BotorchOptions, goal: Goal) -> EnsembleBO:
        """The goal's target and its objectives, which this strategy optimizes."""
        return cls(**settings(options), target=goal.target,
                   objectives=tuple(goal.objectives.items()))

    def suggest(self, model, observations: Observations, space: DesignSpace, n: int,
                seed: int) -> list[Suggestion]:
        # BoTorch's random restarts draw from torch's global RNG: seed a forked copy.
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            return self._suggest(model, observations, space, n, seed)

    def posterior_model(self, model, space: DesignSpace, elements: tuple[str, ...], seed: int,
                        latent: bool) -> DVAEEnsemble | MultiOutputEnsemble:
        """The ensemble model on latent codes (``latent``) or on model-palette fractions;
        with objectives, its multi-output form (target logit, signed properties)."""
        members = target_members(model, self.target, dropout_members=self.dropout_members,
                                 seed=seed)
        if not latent:
            ens = DVAEEnsemble(members, nn.Identity())
        else:
            decoder = torch_decoder(model, decode_class(model, self.target))
            path = LatentToDesign(decoder, SmoothDesignMap(space, elements))
            ens = DVAEEnsemble(members, path, domain_score(model))
        if not self.objectives:
            return ens
        return MultiOutputEnsemble(ens, PropertyOutputs(dict(self.objectives), elements))

    def _suggest(self, model, obs: Observations, space: DesignSpace, n: int,
                 seed: int) -> list[Suggestion]:
        labelled = obs.X[in_palette(obs, space)]
        if obs.pool_mode:
            x = pool_candidates(obs, space)
            dist = np.zeros(len(x))
        else:
            x, dist = self._latent_candidates(model, obs, space, n, seed, labelled)
            x, dist = self._with_screened(model, obs, space, seed, x, dist)
        if len(x) == 0:
            return []
        frac = self.posterior_model(model, space, obs.elements, seed, latent=False)
        pending = to_space_columns(obs.X_pending, space, obs.elements)
        pending = pending[np.isclose(pending.sum(axis=1), 1.0)]
        x_model = to_model_columns(x, space, obs.elements)
        rows, value = self.pick(frac, x_model, n, baseline=labelled, seed=seed,
                                systems=element_systems(x, space.palette),
                                taken=element_systems(pending, space.palette), space=space,
                                p=target_proba(model, self.target)(x_model),
                                discount=failed_region_discount(self, obs, self.target)(x_model),
                                closed=probe_limit(self, x_model, obs, self.target),
                                novel=far_from(x_model, obs.prior, self.novel_distance)
                                if self.novel_margin else None)
        return build_suggestions(model, x[rows], space, obs, self.name, value,
                                 repair_distance=dist[rows])

    def scores(self, frac: DVAEEnsemble, x_model: np.ndarray, baseline: np.ndarray
               ) -> np.ndarray:
        """``(m,)`` acquisition value of each of ``x_model`` ``(m, E)`` alone (q = 1);
        ``(S, m)`` member logits for Thompson."""
        choices = torch.as_tensor(x_model, dtype=torch.float64)
        if self.acquisition == "Thompson":
            return frac.member_values(choices).numpy()
        acq = make_acquisition(self.acquisition, frac, beta=self.beta,
                               baseline=torch.as_tensor(baseline, dtype=torch.float64))
        with torch.no_grad():
            return torch.cat([acq(c.unsqueeze(-2)) for c in choices.split(512)]).numpy()

    def pick(self, frac: DVAEEnsemble, x_model: np.ndarray, n: int, *, baseline: np.ndarray,
               seed: int, systems: list[str], taken: list[str],
               space: DesignSpace | None = None, p: np.ndarray | None = None,
               discount: np.ndarray | None = None, closed=None,
               novel: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The batch among concrete compositions ``x_model`` ``(m, E)`` (module docstring;
        ``space`` gives the multi-objective reference point its limits; ``p`` ``(m,)`` their
        p(target), for ``new_system_margin``; without it the margin rule is off;
        ``discount`` ``(m,)`` the failed-region rule's multiplier of p(target), in (0, 1]
        or 0 (a closed region): p and the odds of the acquisition scale by it;
        ``closed``: the probe cap, :class:`~alloyloop.agent.strategies.failed_regions.ProbeLimit`;
        ``novel`` ``(m,)`` bool: far from every alloy known before the campaign, for
        ``novel_margin``, which needs ``p`` too).

        Returns:
            ``(rows (≤ n,), acquisition value of each pick (≤ n,))``.
        """
        if isinstance(frac, MultiOutputEnsemble):
            base = torch.as_tensor(baseline, dtype=torch.float64)
            ref = reference_point(frac, base, space.descriptor_limits if space else {})
            acq = hypervolume_acquisition(frac, base, ref, MemberSampler(frac.n_members))
            return greedy_hypervolume_batch(acq, torch.as_tensor(x_model, dtype=torch.float64),
                                            n, systems, taken, self.max_per_system)
        values = self.scores(frac, x_model, baseline)
        if discount is not None:
            # logit (qUCB, qSR, Thompson) or log-EI (qLogNEI) units: + log f scales the odds
            # or the expected improvement by f; f = 0 ranks the alloy last
            with np.errstate(divide="ignore"):
                values = values + np.log(discount)
            p = None if p is None else p * discount
        spread = {} if p is None else {
            "p": p, "margin": self.new_system_margin or None, "floor": self.min_p_ratio or None,
            **({"novel": novel, "novel_margin": self.novel_margin}
               if novel is not None and self.novel_margin else {})}
        if self.acquisition == "Thompson":
            draws = _slot_members(n, frac.n_members, seed)
            picked: list[int] = []

            def slot(chosen: list[int]) -> np.ndarray:
                picked.append(int(draws[len(chosen)]))
                return values[picked[-1]]

            rows = diverse_order(slot, systems, n, penalty=self.diversity, closed=closed,
                                 max_per_system=self.max_per_system, taken=taken, **spread)
            return rows, values[picked[:len(rows)], rows]
        rows = diverse_order(values, systems, n, penalty=self.diversity, closed=closed,
                             max_per_system=self.max_per_system, taken=taken, **spread)
        return rows, values[rows]

    def _with_screened(self, model, obs: Observations, space: DesignSpace, seed: int,
                       x: np.ndarray, dist: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The decoded candidates ``x`` ``(c, E_space)`` and the lattice's
        ``screen_candidates`` best by p(target) that are in the model's domain and none of
        ``x`` (module docstring), with their repair distances (0 for the lattice's)."""
        if self.screen_candidates == 0:
            return x, dist
        top, _ = Screening(target=self.target, avoid_misses=self.avoid_misses,
                           avoid_radius=self.avoid_radius, avoid_factor=self.avoid_factor,
                           novel_distance=self.novel_distance, novel_margin=self.novel_margin,
                           ).top_candidates(model, obs, space, self.screen_candidates, seed)
        if len(top):
            top = top[model.predict_detail(to_model_columns(top, space, obs.elements)).in_domain]
        if len(x) and len(top):
            top = top[~duplicates_of(top, x, space.step)]
        if len(top) == 0:
            return x, dist
        return np.vstack([x, top]), np.concatenate([dist, np.zeros(len(top))])

    def _latent_candidates(self, model, obs: Observations, space: DesignSpace, n: int,
                           seed: int, labelled: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Local optima of the acquisition over the latent box plus ``raw_samples`` Sobol
        points of it (restarts from different corners mostly climb to one optimum, so the
        Sobol points are where the spread over element systems comes from), decoded: the
        repaired, valid, new ones ``(c, E_space)`` and their repair distances ``(c,)``."""
        lat = self.posterior_model(model, space, obs.elements, seed, latent=True)
        box = torch.as_tensor(latent_box(model, obs), dtype=torch.float64)
        starts = max(self.num_restarts, n * self.oversample)
        if isinstance(lat, MultiOutputEnsemble):
            y_lab = decode_class(model, self.target)
            z_lab = torch.as_tensor(model.encode(labelled, y_lab)) if len(labelled) else \
                torch.empty((0, box.shape[1]), dtype=torch.float64)
            ref = reference_point(lat, z_lab, space.descriptor_limits)
            jobs = [(hypervolume_acquisition(lat, z_lab, ref, MemberSampler(lat.n_members)),
                     starts)]
        elif self.acquisition == "Thompson":
            draws = _slot_members(starts, lat.n_members, seed + 1)
            jobs = [(MemberValue(lat, k), int((draws == k).sum())) for k in np.unique(draws)]
        else:
            y_lab = decode_class(model, self.target)
            z_lab = torch.as_tensor(model.encode(labelled, y_lab)) if len(labelled) else \
                torch.empty((0, box.shape[1]), dtype=torch.float64)
            jobs = [(make_acquisition(self.acquisition, lat, baseline=z_lab, beta=self.beta),
                     starts)]
        found = []
        with warnings.catch_warnings():
            # L-BFGS-B often ends "ABNORMAL" on the piecewise-smooth path (repair-like
            # caps, relu): the best point found is kept, no restart from scratch.
            warnings.filterwarnings("ignore", message="Optimization failed")
            for acq, restarts in jobs:
                cand, _ = optimize_acqf(acq, bounds=box, q=1, num_restarts=restarts,
                                        raw_samples=max(self.raw_samples, 2 * restarts),
                                        return_best_only=False,
                                        options={"seed": seed, **LBFGS_OPTIONS},
                                        retry_on_optimization_warning=False)
                found.append(cand.detach().reshape(-1, box.shape[1]))
        sobol = torch.quasirandom.SobolEngine(box.shape[1], scramble=True, seed=seed)
        spread = box[0] + (box[1] - box[0]) * sobol.draw(self.raw_samples, dtype=torch.float64)
        z = torch.cat(found + [spread]).numpy()
        y_code = decode_class(model, self.target)
        x, _raw, valid = decode_to_space(model, z, space, obs.elements, y=y_code)
        keep = np.flatnonzero(valid)
        keep = keep[fresh_unique(x[keep], space, obs)]
        return x[keep], scored_to_sent(model, z[keep], x[keep], space, obs.elements, y_code)
