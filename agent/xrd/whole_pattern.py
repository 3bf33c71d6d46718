"""Whole-pattern fit (Pawley / Le Bail style) of candidate phases, and whether one more is needed.

The peak-by-peak steps match found peaks to reflections within a window. Where peaks are broad
and overlap (nanocrystalline, FWHM up to 2°) or a minority phase's lines are each near the
noise, peaks are merged or not found at all, and no window decides well. This step fits the
measured profile itself:

    y(2θ) = Σ_phases Σ_reflections I_r · [pV(2θ − t_r) + ρ · pV(2θ − t2_r)] + b₀ + b₁·(2θ − mid)

with every reflection's position t_r from its phase's lattice parameters (a, and c for a
hexagonal or tetragonal phase) through Bragg's law, moved by a zero shift z and a sample
displacement D·cos θ shared by all phases (t2_r: the same reflection with Kα2, ratio ρ ≥ 0
refined, so a monochromated pattern fits ρ ≈ 0), pseudo-Voigt profiles with a per-phase
width FWHM = W / cos θ + U tan θ (size and strain) and one shared Lorentzian share η.
Intensities enter linearly: for a *Pawley* phase each reflection has its own non-negative
intensity (texture-proof; the matrix), for a *scaled* phase one non-negative scale times the
prototype's relative intensities (few free parameters: a candidate minority). They are solved
by non-negative least squares inside each evaluation (variable projection), the non-linear
parameters by :func:`scipy.optimize.least_squares`.

:func:`needs_phase` compares the fit without and with a candidate on the same points: an F-test
on the weighted residual sum of squares (the candidate adds its scale, lattice and widths) —
the residual decides, not a fixed threshold. Model misfit (profile shape, texture) leaves
residuals correlated over a peak width, which makes thousands of points worth far fewer: the
statistic and its degrees of freedom are shrunk by (1 − ρ)/(1 + ρ), ρ the residuals' lag-1
autocorrelation; the test is run at a small significance level and the candidate must carry
a visible share of the profile (:data:`MIN_SHARE`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from scipy.interpolate import BSpline
from scipy.optimize import least_squares, nnls
from scipy.special import fdtrc

from alloyloop.agent.xrd.angle_scale import degree, moved
from alloyloop.agent.xrd.lattices import Structure, reflection_table
from alloyloop.agent.xrd.prototypes import NamedStructure, lorentz_polarisation, table

MAX_POINTS = 1200
"""Points used at most (every k-th of those near a reflection): keeps a fit within ~0.1 s."""
SIGNIFICANCE = 1e-12
"""F-test level for a further phase: thousands of points make misfit significant at 5 %."""
FAINT = 0.01
"""A scaled phase's reflections weaker than this share of its strongest are left out."""
PRIORS = {"z": 0.1, "D": 0.2}
"""Prior σ (degrees) of the zero shift and displacement around their starts (the peaks'
refinement): on broad peaks the two trade off against the lattice parameters."""
BACKGROUND_SPACING = (3.0, 4.0)
"""Knot spacing of the cubic B-spline background under the profile: at least 3° and 4 × the
first phase's widest FWHM. The SNIP background leaves undulations of a few counts over tens of
degrees and most of an amorphous hump (FWHM 4–8°); a straight line under the profile left them
to a spurious second phase (a σ's dozens of broad lines filled a hump, or took 10 % of a pure
FCC at the widest profile allowed). Features this broad are background, never a phase."""
REACH = 25.0
"""A line's profile is evaluated within this many FWHM of its centre (the Lorentzian tail past it,
1 % of its area, is spread thin enough for the background polynomial)."""
WIDTH_RATIO = 1.6
"""A further phase's peak width lies within this factor of the first (found) phase's."""
MIN_SHARE = 0.015
"""A further phase must carry at least this share of the fitted intensity."""


@dataclass(frozen=True)
class Candidate:
    """A phase of the fit: its reflections' 1/d² terms (planar/a² + axial/c²), lattice
    parameters, and either fixed relative weights (``weight``: one scale, a *scaled* phase) or
    none (each reflection its own intensity: a *Pawley* phase)."""

    label: str
    planar: np.ndarray
    axial: np.ndarray
    a: float
    c: float | None = None
    weight: np.ndarray | None = None
    """m·|F|² per reflection for a scaled phase (Lorentz-polarisation added at each angle)."""
    kind: object = None
    """The :class:`Structure` / :class:`NamedStructure` it stands for (for the caller)."""

    @property
    def hexagonal(self) -> bool:
        return self.c is not None

    def inverse_d2(self, a: float, c: float | None) -> np.ndarray:
        return self.planar / a ** 2 + (self.axial / c ** 2 if c is not None else 0.0)

    def within(self, lo: float, hi: float, wavelength: float, slack: float = 0.03) -> Candidate:
        """Only the reflections whose Kα1 line can fall in ``lo``–``hi`` (degrees 2θ) while the
        lattice moves by ``slack`` (relative)."""
        t_small = _positions(self.inverse_d2(self.a * (1 + slack), None if self.c is None else self.c * (1 + slack)),
                             wavelength)
        t_big = _positions(self.inverse_d2(self.a * (1 - slack), None if self.c is None else self.c * (1 - slack)),
                           wavelength)
        keep = np.isfinite(t_small) & (t_small <= hi) & (np.nan_to_num(t_big, nan=180.0) >= lo)
        if self.weight is not None and keep.any():
            # a scaled phase's faint lines (a σ or μ phase has hundreds) change nothing the
            # test can see and cost most of the time
            inv_d2 = self.inverse_d2(self.a, self.c)
            rel = intensities_for(self, 1.0 / np.sqrt(inv_d2), _positions(inv_d2, wavelength), wavelength)
            keep &= rel >= FAINT * rel[keep].max()
        return replace(self, planar=self.planar[keep], axial=self.axial[keep],
                       weight=None if self.weight is None else self.weight[keep])


def candidate(structure: Structure | NamedStructure, a: float, c: float | None = None, *,
              scaled: bool = False) -> Candidate:
    """The candidate of a cubic/HCP/ordered structure or a named prototype; ``scaled``: one
    scale on its relative intensities instead of a free intensity per reflection."""
    if isinstance(structure, NamedStructure):
        tab = table(structure)
        planar, axial, weight = tab.planar, tab.axial, tab.weight
    else:
        tab = reflection_table(structure)
        planar, axial = tab.planar, tab.axial
        weight = tab.weight if scaled else None
        if structure.ordered and not scaled:
            weight = None
    # one column per distinct (planar, axial) pair: reflections of one d share an intensity
    _, first, inverse = np.unique(np.round(np.column_stack([planar, axial]), 6), axis=0, return_index=True,
                                  return_inverse=True)
    w = np.bincount(inverse.ravel(), weights=weight, minlength=len(first)) if scaled else None
    order = np.argsort(first)
    first = first[order]
    w = None if w is None else w[order]
    return Candidate(label=str(getattr(structure, "value", structure)), planar=planar[first], axial=axial[first],
                     a=a, c=c if np.any(axial[first] > 0) else None, weight=w, kind=structure)


@dataclass(frozen=True)
class WholeFit:
    """A whole-pattern fit: shift, Kα2 ratio, lattices, widths, the weighted residual sum of
    squares on ``points`` points with ``parameters`` free parameters, and each phase's share
    of the fitted intensity."""

    zero: float
    displacement: float
    ratio: float
    lattices: tuple[tuple[float, float | None], ...]
    widths: tuple[tuple[float, float], ...]
    eta: float
    rss: float
    points: int
    parameters: int
    shares: tuple[float, ...]
    zero_sigma: float | None = None
    displacement_sigma: float | None = None
    lattice_sigmas: tuple[tuple[float | None, float | None], ...] = ()
    model: np.ndarray = field(default=None, repr=False)  # type: ignore[assignment]
    """The fitted profile on the points used (for plots and tests)."""
    x: np.ndarray = field(default=None, repr=False)  # type: ignore[assignment]
    values: dict = field(default_factory=dict, repr=False)
    """Every parameter's final value (a start for a further fit)."""
    residual: np.ndarray = field(default=None, repr=False)  # type: ignore[assignment]
    """Weighted residuals (observed − model) / σ on the points used."""

    @property
    def correlation(self) -> float:
        """Lag-1 autocorrelation of the residuals: near 0 when the model leaves noise only,
        near 1 when it leaves systematic misfit (shape, texture, a missing phase)."""
        r = self.residual
        if r is None or len(r) < 3:
            return 0.0
        r = r - r.mean()
        denom = float(r @ r)
        return float(r[1:] @ r[:-1]) / denom if denom > 0 else 0.0

    @property
    def reduced_chi2(self) -> float:
        return self.rss / max(1, self.points - self.parameters)


def pv(dx: np.ndarray, fwhm: np.ndarray, eta: float) -> np.ndarray:
    """Unit-area pseudo-Voigt at offsets ``dx`` (degrees) of width ``fwhm``."""
    h = 0.5 * fwhm
    u = dx / h
    lor = 1.0 / (math.pi * h * (1.0 + u * u))
    gau = math.sqrt(math.log(2) / math.pi) / h * np.exp(-math.log(2) * u * u)
    return eta * lor + (1.0 - eta) * gau


def _add_lines(block: np.ndarray, x: np.ndarray, centres: np.ndarray, fwhm: np.ndarray, eta: float,
               share: float) -> None:
    """``block[:, r] += share × pV(x − centres[r])`` on the points within :data:`REACH` widths of
    each centre (``x`` ascending): a sharp pattern's line covers a few dozen of a thousand points,
    and evaluating the rest was most of the fit's time. Dense when the windows cover most points."""
    reach = REACH * fwhm
    lo = np.searchsorted(x, centres - reach)
    hi = np.searchsorted(x, centres + reach)
    counts = hi - lo
    total = int(counts.sum())
    if total > 0.4 * block.size:
        block += share * pv(x[:, None] - centres[None, :], fwhm[None, :], eta)
        return
    if total == 0:
        return
    cols = np.repeat(np.arange(len(centres)), counts)
    rows = np.arange(total) + np.repeat(lo - (np.cumsum(counts) - counts), counts)
    block[rows, cols] += share * pv(x[rows] - centres[cols], fwhm[cols], eta)


def background_spacing(values: dict[str, float], end: float) -> float:
    """The background's knot spacing (degrees) for a first phase of widths ``values`` (W0, U0)
    on a scan ending at ``end`` (2θ, where the lines are widest)."""
    th = math.radians(min(end, 150.0)) / 2
    widest = abs(values.get("W0", 0.2)) / math.cos(th) + abs(values.get("U0", 0.0)) * math.tan(th)
    return max(BACKGROUND_SPACING[0], BACKGROUND_SPACING[1] * widest)


def background_basis(x: np.ndarray, spacing: float) -> np.ndarray:
    """Cubic B-splines on knots ``spacing`` apart covering ``x`` (ascending): a smooth background
    that follows anything broader than the spacing and no line."""
    n = max(1, int(math.ceil((x[-1] - x[0]) / spacing)))
    step = (x[-1] - x[0]) / n if x[-1] > x[0] else 1.0
    knots = x[0] + step * np.arange(-3, n + 4)
    return BSpline.design_matrix(np.clip(x, knots[3], knots[-4]), knots, 3).toarray()


def _positions(inv_d2: np.ndarray, wavelength: float) -> np.ndarray:
    s = wavelength * np.sqrt(inv_d2) / 2
    with np.errstate(invalid="ignore"):
        return np.degrees(2 * np.arcsin(np.where(s < 1, s, np.nan)))


class _Problem:
    """The fit's bookkeeping: named parameters (some held), the points, the design matrix."""

    def __init__(self, x: np.ndarray, y: np.ndarray, sigma: np.ndarray, phases: Sequence[Candidate],
                 ka1: float, ka2: float | None, values: dict[str, float], free: Sequence[str],
                 tube: Sequence[float] = (), scan: float | None = None) -> None:
        self.x, self.y, self.w = x, y, 1.0 / sigma
        self.scan = scan
        """The scan's wavelength when the profile is on the Cu Kα1 scale (z and D are on the
        scan's own angles: :func:`.angle_scale.moved`); None: the profile's scale is the scan's."""
        self.tube = list(tube)
        self.phases = list(phases)
        self.ka1, self.ka2 = ka1, ka2
        self.values, self.free = dict(values), list(free)
        self.anchor: dict[str, float] = {}
        """Where the priors on z and D are centred (default: their start values)."""
        self.prior_weight = 1.0
        """√(reduced χ²) at the start (≥ 1): a misfit the model cannot take up (an unmodelled
        phase) inflates every residual, and priors of a fixed weight would then hold nothing."""
        # the background: anything broader than :func:`background_spacing` (an amorphous hump,
        # SNIP's undulations), unconstrained; projected out before the non-negative solve
        basis = background_basis(x, background_spacing(values, float(x[-1])))
        u, sv, _ = np.linalg.svd(basis * self.w[:, None], full_matrices=False)
        self.q = u[:, sv > 1e-9 * sv[0]] if sv.size and sv[0] > 0 else u[:, :0]

    def params(self, p: np.ndarray) -> dict[str, float]:
        out = dict(self.values)
        out.update(zip(self.free, p.tolist()))
        return out

    def design(self, p: np.ndarray) -> tuple[np.ndarray, list[slice]]:
        v = self.params(p)
        rho = v["rho"] if self.ka2 else 0.0
        cols, slices, start = [], [], 0
        x = self.x
        for k, ph in enumerate(self.phases):
            inv_d2 = ph.inverse_d2(v[f"a{k}"], v.get(f"c{k}"))
            block = np.zeros((len(x), len(inv_d2)))
            lines = [(self.ka1, 1.0)] + ([(self.ka2, rho)] if self.ka2 and rho > 0 else [])
            lines += [(lam, v[f"k{i}"]) for i, lam in enumerate(self.tube) if v.get(f"k{i}", 0.0) > 0]
            for lam, share in lines:
                t = _positions(inv_d2, lam)
                ok = np.isfinite(t)
                th = np.radians(np.where(ok, t, 0.0)) / 2
                t_obs = np.where(ok, moved(np.where(ok, t, 0.0), v["z"], v["D"], self.scan), -1e3)
                fwhm = np.maximum(abs(v[f"W{k}"]) / np.cos(th) + abs(v[f"U{k}"]) * np.tan(th), 0.01)
                _add_lines(block, x, t_obs, fwhm, v["eta"], share)
            if ph.weight is not None:
                t1 = _positions(inv_d2, self.ka1)
                rel = intensities_for(ph, 1.0 / np.sqrt(inv_d2), t1, self.ka1)
                block = (block @ (rel / (rel.max() if rel.size and rel.max() > 0 else 1.0)))[:, None]
            cols.append(block)
            slices.append(slice(start, start + block.shape[1]))
            start += block.shape[1]
        return np.hstack(cols), slices

    def solve(self, p: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[slice], np.ndarray, np.ndarray]:
        design, slices = self.design(p)
        aw, yw, q = design * self.w[:, None], self.y * self.w, self.q
        # phases' intensities ≥ 0 on what the background cannot take up, then the background
        coef, _ = nnls(aw - q @ (q.T @ aw), yw - q @ (q.T @ yw), maxiter=10 * max(1, design.shape[1]))
        peaks = aw @ coef
        r = yw - peaks
        r = r - q @ (q.T @ r)
        return r, coef, slices, (yw - r) / self.w, design

    def residual(self, p: np.ndarray) -> np.ndarray:
        r = self.solve(p)[0]
        v = self.params(p)
        prior = [self.prior_weight * (v[n] - self.anchor.get(n, self.values[n])) / (PRIORS[n] * degree(self.scan))
                 for n in PRIORS if n in self.free]
        return np.concatenate([r, prior]) if prior else r


def intensities_for(ph: Candidate, d: np.ndarray, t1: np.ndarray, wavelength: float) -> np.ndarray:
    """Relative intensities of a scaled phase's reflections at spacings ``d`` (0 outside 2θ):
    weight × Lorentz-polarisation (× the form-factor fall-off of :mod:`.lattices` for the
    cubic/HCP tables, whose weights are m·|F|² without it; the prototypes' have it)."""
    ok = np.isfinite(t1)
    lp = lorentz_polarisation(np.where(ok, t1, 90.0))
    falloff = 1.0 if isinstance(ph.kind, NamedStructure) else np.exp(-6.5 / (4 * d * d))
    return np.where(ok, ph.weight * lp * falloff, 0.0)


def points_near(x: np.ndarray, phases: Sequence[Candidate], wavelength: float, reach: float,
                tube: Sequence[float] = ()) -> np.ndarray:
    """Indices of the points within ``reach`` degrees of any reflection of ``phases`` at
    ``wavelength`` or a ``tube`` line (every k-th of them when more than :data:`MAX_POINTS`)."""
    near = np.zeros(len(x), bool)
    for ph, lam in ((ph, lam) for ph in phases for lam in (wavelength, *tube)):
        t = _positions(ph.inverse_d2(ph.a, ph.c), lam)
        t = np.sort(t[np.isfinite(t) & (t > x[0] - reach) & (t < x[-1] + reach)])
        if t.size:
            pos = np.searchsorted(t, x)
            lo = np.abs(x - t[np.clip(pos - 1, 0, len(t) - 1)])
            hi = np.abs(t[np.clip(pos, 0, len(t) - 1)] - x)
            near |= np.minimum(lo, hi) <= reach
    idx = np.flatnonzero(near)
    step = max(1, int(math.ceil(len(idx) / MAX_POINTS)))
    return idx[::step]


def start_values(phases: Sequence[Candidate], *, zero: float = 0.0, displacement: float = 0.0, ratio: float = 0.5,
                 fwhm: float = 0.2, eta: float = 0.5) -> dict[str, float]:
    """Starting values of every parameter: the shift, Kα2 ratio, η, and per phase a (c) and a
    width ``fwhm`` (at 2θ → 0) as W, U = 0."""
    v = {"z": zero, "D": displacement, "rho": ratio, "eta": eta}
    for k, ph in enumerate(phases):
        v[f"a{k}"] = ph.a
        if ph.c is not None:
            v[f"c{k}"] = ph.c
        v[f"W{k}"], v[f"U{k}"] = fwhm, 0.0
    return v


def _bounds(name: str, values: dict[str, float], phases: Sequence[Candidate], window: float,
            scan: float | None = None) -> tuple[float, float]:
    if name in ("z", "D"):
        return -1.5 * degree(scan), 1.5 * degree(scan)
    if name in ("rho", "eta"):
        return 0.0, 1.0
    if name[0] == "k":
        return 0.0, 0.6
    if name[0] in "WU" and name[1:] != "0" and "W0" in values:
        # a further phase of the same sample on the same instrument: its lines within a factor
        # WIDTH_RATIO of the first phase's width (size and strain differ, the instrument's
        # broadening does not) — unbounded, a candidate at the widest profile became a smooth
        # filler of the first phase's misfit instead of a phase
        w0, u0 = abs(values["W0"]), abs(values.get("U0", 0.0))
        if name[0] == "W":
            return max(0.005, w0 / WIDTH_RATIO), max(0.01, w0 * WIDTH_RATIO)
        return 0.0, u0 * WIDTH_RATIO + w0 * (WIDTH_RATIO - 1)
    if name[0] in "WU":
        return (0.005 if name[0] == "W" else 0.0), 3.0
    k = int(name[1:])
    ref = phases[k].a if name[0] == "a" else phases[k].c
    return ref * (1 - window), ref * (1 + window)


def fit(x: np.ndarray, y: np.ndarray, sigma: np.ndarray, phases: Sequence[Candidate], *, ka1: float,
        ka2: float | None = None, values: dict[str, float] | None = None, free: Sequence[str] | None = None,
        points: np.ndarray | None = None, lattice_window: float = 0.02, max_nfev: int = 15,
        tube: Sequence[float] = (), anchor: dict[str, float] | None = None, scan: float | None = None) -> WholeFit:
    """Fit ``phases`` to the background-free profile ``y`` (Kα2 not stripped) with noise
    ``sigma``. ``values``: starting values (:func:`start_values`), ``free``: the refined
    ones (default all; ``rho`` only with a Kα2 line); ``anchor``: the centre of the zero shift's
    and displacement's priors (default their starts: a chain of fits started each from the last
    would let them drift together along their near-collinear valley). Lattice parameters move at most
    ``lattice_window`` (relative) from the candidates' own. ``tube``: wavelengths of the
    tube's other lines seen in the pattern (Kβ, W Lα), each with a refined share ``k0``, ``k1``…
    of every reflection's Kα1 intensity. ``scan``: the scan's wavelength when the profile is on the
    Cu Kα1 scale (z and D on the scan's own angles, :mod:`.angle_scale`)."""
    values = dict(values or start_values(phases))
    for i in range(len(tube)):
        values.setdefault(f"k{i}", 0.02)
    if free is None:
        free = [n for n in values if n != "rho" or ka2 is not None]
    free = [n for n in free if n in values and (n != "rho" or ka2 is not None)]
    if points is None:
        points = points_near(x, phases, ka1, 4 * values.get("W0", 0.2) + 0.3, tube)
    phases = [ph.within(float(x[points[0]]) - 2, float(x[points[-1]]) + 2, ka1) for ph in phases]
    prob = _Problem(x[points], y[points], np.maximum(sigma[points], 1e-9), phases, ka1, ka2, values, free, tube, scan)
    prob.anchor = dict(anchor or {})
    bounds = [_bounds(n, values, phases, lattice_window, scan) for n in free]
    lower, upper = np.array([b[0] for b in bounds]), np.array([b[1] for b in bounds])
    start = np.clip(np.array([values[n] for n in free], float), lower + 1e-9, upper - 1e-9)
    if free:
        r0 = prob.solve(start)[0]
        prob.prior_weight = math.sqrt(max(1.0, float(r0 @ r0) / max(1, r0.size)))
        res = least_squares(prob.residual, start, bounds=(lower, upper), x_scale="jac", max_nfev=max_nfev,
                            diff_step=1e-4)
        best, jac = res.x, res.jac
    else:
        best, jac = start, np.zeros((len(prob.x), 0))
    r, coef, slices, model, design = prob.solve(best)
    rss = float(r @ r)
    n_par = len(free) + int(np.count_nonzero(coef > 0)) + prob.q.shape[1]
    areas = [float(np.sum(design[:, s] @ coef[s])) for s in slices]
    total = sum(areas) or 1.0
    sig = dict(zip(free, _sigmas(jac, rss, prob.x.size - n_par)))
    v = prob.params(best)
    return WholeFit(zero=v["z"], displacement=v["D"], ratio=v["rho"] if ka2 else 0.0,
                    lattices=tuple((v[f"a{k}"], v.get(f"c{k}")) for k in range(len(phases))),
                    widths=tuple((v[f"W{k}"], v[f"U{k}"]) for k in range(len(phases))), eta=v["eta"], rss=rss,
                    points=int(prob.x.size), parameters=n_par, shares=tuple(a / total for a in areas),
                    zero_sigma=sig.get("z"), displacement_sigma=sig.get("D"),
                    lattice_sigmas=tuple((sig.get(f"a{k}"), sig.get(f"c{k}")) for k in range(len(phases))),
                    model=model, x=prob.x, values=v, residual=r)


def _sigmas(jac: np.ndarray, rss: float, dof: int) -> list[float | None]:
    """Standard errors from the Jacobian (scaled by the reduced χ² when above 1)."""
    if jac.shape[1] == 0:
        return []
    try:
        cov = np.linalg.pinv(jac.T @ jac) * max(1.0, rss / max(1, dof))
    except np.linalg.LinAlgError:
        return [None] * jac.shape[1]
    return [float(math.sqrt(v)) if v >= 0 and math.isfinite(v) else None for v in np.diag(cov)]


def screen(x: np.ndarray, y: np.ndarray, sigma: np.ndarray, phases: Sequence[Candidate], base: WholeFit,
           extras: Sequence[Candidate], *, ka1: float, ka2: float | None = None,
           tube: Sequence[float] = (), scan: float | None = None) -> list[float]:
    """A quick F of each of ``extras`` beside ``phases``: ``base`` re-solved (intensities
    only) on the points near any of them, and the residual projected on each extra's profile
    at its start lattice and the first phase's width (its scale alone, non-negative). Cheap
    enough to rank dozens of trial lattices before refining the best one."""
    if not extras:
        return []
    width = base.values.get("W0", 0.2)
    pts = points_near(x, [*phases, *extras], ka1, 4 * width + 0.3, tube)
    again = fit(x, y, sigma, phases, ka1=ka1, ka2=ka2, values=base.values, points=pts, free=[], tube=tube, scan=scan)
    w = 1.0 / np.maximum(sigma[pts], 1e-9)
    r = (y[pts] - again.model) * w
    noise = again.rss / max(1, again.points - again.parameters)
    out = []
    for extra in extras:
        v = {n: base.values[n] for n in base.values if n in ("z", "D", "rho", "eta") or n[0] == "k"}
        v.update({"a0": extra.a, "W0": width, "U0": base.values.get("U0", 0.0)})
        if extra.c is not None:
            v["c0"] = extra.c
        one = extra.within(float(x[pts[0]]) - 2, float(x[pts[-1]]) + 2, ka1)
        prob = _Problem(x[pts], y[pts], np.maximum(sigma[pts], 1e-9), [one], ka1, ka2, v, [], tube, scan)
        design, slices = prob.design(np.zeros(0))
        g = design[:, slices[0]].sum(axis=1) * w
        proj, norm = float(r @ g), float(g @ g)
        out.append(proj * proj / norm / max(noise, 1e-30) if proj > 0 and norm > 0 else 0.0)
    return out


@dataclass(frozen=True)
class PhaseTest:
    """The F-test of one more phase: the two fits, the F statistic, its p-value, and the verdict."""

    without: WholeFit
    with_: WholeFit
    f: float
    p: float
    present: bool


def needs_phase(x: np.ndarray, y: np.ndarray, sigma: np.ndarray, phases: Sequence[Candidate], extra: Candidate, *,
                ka1: float, ka2: float | None = None, values: dict[str, float] | None = None,
                base: WholeFit | None = None, significance: float = SIGNIFICANCE,
                min_share: float = MIN_SHARE, max_share: float = 0.5, tube: Sequence[float] = (),
                restart: dict[str, float] | None = None, anchor: dict[str, float] | None = None,
                scan: float | None = None) -> PhaseTest:
    """Whether ``extra`` is needed beside ``phases``: both fits on the same points (near any
    reflection of either), F = ((RSS₀ − RSS₁)/Δk) / (RSS₁/(n − k₁)), shrunk for correlated
    residuals (module notes). Both fits refine the same parameters — every lattice and width,
    η, the zero shift and displacement (the Kα2 ratio and tube-line shares held) — so the
    comparison is nested and fair; ``base`` (a fit of ``phases`` alone) gives the starts
    (without it the first fit refines everything, the Kα2 ratio too: a conservative test).
    ``restart``: where the larger fit starts ``phases``' lattices and widths instead (the
    peaks' lattice: alone, a found phase moves and broadens its lines into a close partner's)."""
    values = dict(values or (base.values if base is not None else start_values(phases)))
    width = values.get("W0", 0.2)
    pts = points_near(x, [*phases, extra], ka1, 4 * width + 0.3, tube)
    if base is None:
        base = fit(x, y, sigma, phases, ka1=ka1, ka2=ka2, values=values, points=pts, tube=tube, anchor=anchor,
                   scan=scan)
    else:  # the same parameters the larger fit refines, on the same points: a fair comparison
        shared = [n for n in base.values if n[0] in "acWU" and n[1:].isdigit()] + ["eta", "z", "D"]
        base = fit(x, y, sigma, phases, ka1=ka1, ka2=ka2, values=base.values, points=pts, free=shared, tube=tube,
                   anchor=anchor, scan=scan)
    k = len(phases)
    more_values = dict(base.values)
    more_values.update({n: v for n, v in (restart or {}).items() if n[0] in "acWU" and n[1:].isdigit()})
    more_values.update({f"a{k}": extra.a, f"W{k}": width, f"U{k}": 0.0})
    if extra.c is not None:
        more_values[f"c{k}"] = extra.c
    free = [n for n in more_values if n[0] in "acWU" and n[1:].isdigit()] + ["eta", "z", "D"]
    more = fit(x, y, sigma, [*phases, extra], ka1=ka1, ka2=ka2, values=more_values, free=free, points=pts, tube=tube,
               anchor=anchor, scan=scan)
    # residuals correlated over a peak width (misfit the model cannot take up) make the
    # points fewer than they are: both the statistic and its degrees of freedom shrink by
    # (1 − ρ)/(1 + ρ), ρ the lag-1 autocorrelation of the larger model's residuals
    factor = float(np.clip((1 - more.correlation) / (1 + more.correlation), 0.02, 1.0))
    dk = max(1, more.parameters - base.parameters)
    dof = max(1.0, more.points * factor - more.parameters)
    f = factor * max(0.0, (base.rss - more.rss) / dk) / max(more.rss / (more.points - more.parameters), 1e-30)
    p = float(fdtrc(dk, dof, f))
    # a hidden phase beside the one found: a lattice of the found one's kind that takes most of
    # the intensity is its texture or shape taken up by another lattice, not a minority
    present = p < significance and min_share <= more.shares[-1] < max_share
    return PhaseTest(base, more, float(f), p, bool(present))
