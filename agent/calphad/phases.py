"""From CALPHAD phase fractions to a label: the single-phase rule and the phase vocabulary.

**One temperature.** An alloy is ``single`` when one *disordered solid solution* (an
FCC_A1-, BCC_A2- or HCP_A3-type phase) holds at least ``threshold`` (default 0.99) of the
moles. Everything else is ``multi``: two or more phases, or one phase that is not a
solid solution — an ordered phase (B2, L1₂), a compound, sigma, Laves, liquid — since
the store's ``single`` means "one solid-solution phase" (:data:`alloyloop.db.vocab.SOLID_SOLUTIONS`).

**Several temperatures.** ``single`` only if the alloy is single at every temperature
with the same solid solution (an alloy that is FCC at 1273 K and BCC at 1573 K changes
phase on the way and is ``multi``). The phases of a ``multi`` label are those seen at any
temperature, each as often as it appears at one temperature (two BCC phases stay two).

**Phase names.** TDB names map to the store's vocabulary: FCC_A1 → FCC, BCC_A2 → BCC,
HCP_A3 → HCP, BCC_B2 / B2_BCC → B2, L12_FCC / FCC_L12 → L12, SIGMA… → sigma, LAVES… /
C14 / C15 / C36 → Laves, LIQUID and GAS → other, any other phase → intermetallic. A
``#2`` suffix marks a second phase of the same name (a miscibility gap): it is a phase of
its own. Ordered phases that pycalphad finds disordered are reported under their
disordered part's name (a disordered BCC_B2 is BCC_A2, see :mod:`alloyloop.agent.calphad.equilibrium`).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from alloyloop.db.vocab import SOLID_SOLUTIONS, Outcome, Phase

DEFAULT_THRESHOLD = 0.99
MIN_LISTED = 1e-3
"""Phases below this mole fraction are left out of a ``multi`` label's phase list (they
stay in its provenance with their fractions)."""
SUM_TOLERANCE = 0.02
"""Imported fractions must add up to 1 within this."""

_TOKEN = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(#\d+)?$")


@dataclass(frozen=True)
class PhaseAmount:
    """One phase of an equilibrium: its TDB name (``FCC_A1``, ``BCC_A2#2``) and mole fraction."""

    name: str
    fraction: float


@dataclass(frozen=True)
class Verdict:
    """The label one or more equilibria give: outcome, phase detail (store vocabulary) and why."""

    outcome: str
    phases: tuple[str, ...]
    reason: str


def base_name(name: str) -> str:
    """``BCC_A2#2`` → ``BCC_A2`` (upper case)."""
    return name.split("#", 1)[0].strip().upper()


def vocab_phase(name: str) -> Phase:
    """The store's phase for a TDB phase name (table in the module docstring)."""
    base = base_name(name)
    tokens = base.split("_")
    head = tokens[0]
    if "L12" in tokens or base.startswith("L1_2"):
        return Phase.L12
    if "B2" in tokens:
        return Phase.B2
    if head.startswith("SIGMA"):
        return Phase.SIGMA
    if "LAVES" in base or head in ("C14", "C15", "C36"):
        return Phase.LAVES
    if head.startswith("LIQ") or base.startswith("IONIC_LIQ") or head == "GAS":
        return Phase.OTHER
    plain = len(tokens) == 1 or (len(tokens) == 2 and tokens[1] in ("A1", "A2", "A3", "ZN"))
    if head in ("FCC", "A1") and plain:
        return Phase.FCC
    if head in ("BCC", "A2") and plain:
        return Phase.BCC
    if head in ("HCP", "A3") and plain:
        return Phase.HCP
    return Phase.INTERMETALLIC  # ordered variants (FCC_L10, BCC_D03 …) and compounds


def classify(amounts: Iterable[PhaseAmount], threshold: float = DEFAULT_THRESHOLD) -> Verdict:
    """The label of one equilibrium (rule in the module docstring).

    Raises:
        ValueError: no phase with a positive fraction (nothing to label).
    """
    found = sorted((a for a in amounts if a.fraction > 0), key=lambda a: -a.fraction)
    if not found:
        raise ValueError("the equilibrium holds no phase with a positive fraction")
    top = found[0]
    kind = vocab_phase(top.name)
    if top.fraction >= threshold - 1e-9:
        if kind in SOLID_SOLUTIONS:
            return Verdict(Outcome.SINGLE.value, (kind.value,),
                           f"{top.name} holds {top.fraction:.4f} >= {threshold:g}")
        why = f"{top.name} holds {top.fraction:.4f} but is not a disordered solid solution ({kind.value})"
    else:
        why = f"no phase holds >= {threshold:g} (largest: {top.name} {top.fraction:.4f})"
    listed = tuple(vocab_phase(a.name).value for a in found if a.fraction >= MIN_LISTED)
    return Verdict(Outcome.MULTI.value, listed or (kind.value,), why)


def combine(per_temperature: Sequence[tuple[float, Verdict]]) -> Verdict:
    """One label from the verdicts at several temperatures (rule in the module docstring)."""
    if not per_temperature:
        raise ValueError("no temperature: give at least one")
    if len(per_temperature) == 1:
        return per_temperature[0][1]
    singles = {v.phases for _, v in per_temperature if v.outcome == Outcome.SINGLE.value}
    if len(singles) == 1 and all(v.outcome == Outcome.SINGLE.value for _, v in per_temperature):
        (phases,) = singles
        return Verdict(Outcome.SINGLE.value, phases,
                       f"single {phases[0]} at every temperature ({_temps(per_temperature)})")
    counts: Counter[str] = Counter()
    order: list[str] = []
    for _, v in per_temperature:
        for phase, n in Counter(v.phases).items():
            counts[phase] = max(counts[phase], n)
            if phase not in order:
                order.append(phase)
    phases = tuple(p for p in order for _ in range(counts[p]))
    if singles and all(v.outcome == Outcome.SINGLE.value for _, v in per_temperature):
        why = "single at every temperature but not the same phase: " + ", ".join(
            f"{v.phases[0]} at {t:g} K" for t, v in per_temperature)
    else:
        why = "not single at " + ", ".join(
            f"{t:g} K" for t, v in per_temperature if v.outcome != Outcome.SINGLE.value)
    return Verdict(Outcome.MULTI.value, phases, why)


def _temps(per_temperature: Sequence[tuple[float, Verdict]]) -> str:
    return ", ".join(f"{t:g} K" for t, _ in per_temperature)


def format_fractions(amounts: Iterable[PhaseAmount]) -> str:
    """``FCC_A1=0.9932; BCC_A2=0.0068``: largest first, 4 decimals (the CSV import reads it back)."""
    ordered = sorted(amounts, key=lambda a: -a.fraction)
    return "; ".join(f"{a.name}={a.fraction:.4f}" for a in ordered)


def parse_fractions(text: str) -> list[PhaseAmount]:
    """Read ``FCC_A1=0.7;BCC_A2=0.3`` (``;`` between phases, mole fractions adding up to 1).

    Raises:
        ValueError: a malformed entry; the message names it and the fix.
    """
    entries = [e.strip() for e in str(text).split(";") if e.strip()]
    if not entries:
        raise ValueError("no phase fractions: write them as FCC_A1=0.7;BCC_A2=0.3")
    out: list[PhaseAmount] = []
    for entry in entries:
        name, sep, number = (s.strip() for s in entry.partition("="))
        if not sep or not _TOKEN.match(name):
            raise ValueError(f"{entry!r} is not PHASE=FRACTION: write e.g. FCC_A1=0.7, phases "
                             "separated by ';'")
        try:
            value = float(number)
        except ValueError:
            raise ValueError(f"{entry!r}: {number!r} is not a number: give the mole fraction, "
                             "e.g. FCC_A1=0.7") from None
        if not math.isfinite(value) or not 0 <= value <= 1:
            raise ValueError(f"{entry!r}: a phase fraction lies between 0 and 1 (a mole "
                             "fraction, not a percentage)")
        if any(a.name.upper() == name.upper() for a in out):
            raise ValueError(f"{name} appears twice: add them up, or write {name}#1 and "
                             f"{name}#2 for two distinct {name} phases")
        out.append(PhaseAmount(name.upper(), value))
    total = sum(a.fraction for a in out)
    if abs(total - 1) > SUM_TOLERANCE:
        raise ValueError(f"the fractions add up to {total:.4g}: give mole fractions of every "
                         f"phase, adding up to 1 (within {SUM_TOLERANCE:g})")
    return out
