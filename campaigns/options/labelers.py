"""The options of each labeler (``[labeler] kind = …``): keys, defaults and bounds, once.

One class per kind, so a replay spec cannot carry a CALPHAD setting: the spec builds the
class its ``kind`` names and :func:`alloyloop.agent.labelers.build_labeler` builds the
labeler from it (the registry, :mod:`alloyloop.campaigns.registry`, maps the kind).
Values are mole fractions and kelvin; the spec converts ``tolerance`` from its units.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import attrs

from alloyloop.campaigns.options.collect import converted_as_given
from alloyloop.campaigns.options.checks import (
    OptionError, named, as_tuple, number, one_of, optional, text, whole,
)
from alloyloop.campaigns.options.strategies import Options


@converted_as_given
@attrs.frozen
class LabOptions(Options):
    """People make the alloys and enter their labels: no options."""

    kind: ClassVar[str] = "lab"


@converted_as_given
@attrs.frozen
class ReplayOptions(Options):
    """Held-out corpus labels.

    Attributes:
        holdout_fraction: share of the corpus alloys inside the design space that is
            hidden from training and revealed only when suggested.
        tolerance: largest total-variation distance (share of atoms that differ, a mole
            fraction) at which the nearest hidden alloy still labels a suggestion that is
            not within one step of any hidden alloy.
        seed: seed of the hidden subset (None: the campaign seed).
        hidden: ``holdout`` (a seeded ``holdout_fraction`` of the corpus alloys in the
            design space) or ``pool`` (exactly the campaign's candidate pool).
        start_fraction: the campaign starts from this seeded, class-stratified share of
            the visible labelled alloys; the others' labels are withheld throughout.
    """

    kind: ClassVar[str] = "replay"
    holdout_fraction: float = attrs.field(
        default=0.3, validator=number(0, 1, open_low=True, open_high=True))
    tolerance: float = attrs.field(default=0.1, validator=number(0, 1), metadata={"units": True})
    seed: int | None = attrs.field(default=None, validator=optional(whole(0)))
    hidden: str = attrs.field(default="holdout", validator=one_of(("holdout", "pool")))
    start_fraction: float = attrs.field(default=1.0, validator=number(0, 1, open_low=True))


@named
def _temperatures(_inst: Any, _attr: Any, v: Any) -> None:
    values = v if isinstance(v, list | tuple) else [v]
    if not values:
        raise OptionError("the list is empty: give at least one temperature in kelvin, e.g. [1273]")
    for t in values:
        if isinstance(t, bool) or not isinstance(t, int | float) or not math.isfinite(t):
            raise OptionError(f"{t!r} is not a number: give kelvin, e.g. temperature = 1273")
        if not 200 <= t <= 6000:
            raise OptionError(f"{t!r} K is outside 200-6000 K: give kelvin (1000 °C is 1273 K), "
                              "e.g. temperature = 1273")
    if len(set(values)) != len(values):
        raise OptionError("a temperature is listed twice: list each once")


def _kelvins(v: Any) -> Any:
    """One temperature or a list → a sorted tuple of floats (bad input left for the check)."""
    values = as_tuple(v) if isinstance(v, list | tuple) else (v,)
    try:
        return tuple(sorted(float(t) for t in values))
    except (TypeError, ValueError):
        return values


@converted_as_given
@attrs.frozen
class CalphadOptions(Options):
    """Equilibrium calculations with pycalphad.

    Attributes:
        tdb: ``pycalphad:NAME`` (a database the installed pycalphad ships) or a path (made
            absolute when the spec is read: relative to the spec file's folder).
        temperature: equilibrium temperatures in kelvin, sorted (single only if single at
            every one); the spec may give one number or a list.
        threshold: mole fraction one solid solution must hold to be ``single``.
        timeout: time limit of one equilibrium calculation, in seconds.
        workers: calculations run at once (worker processes; None: 1).
    """

    kind: ClassVar[str] = "calphad"
    tdb: str = attrs.field(validator=text, metadata={"hint": (
        'name the database: tdb = "pycalphad:alcocrni.tdb" (a database pycalphad ships) or '
        'tdb = "path/to/database.tdb"')})
    temperature: tuple[float, ...] = attrs.field(
        converter=_kelvins, validator=_temperatures, metadata={"one_or_list": True, "hint": (
            "give the equilibrium temperature in kelvin, e.g. temperature = 1273 (or a list, "
            "e.g. [1073, 1273])")})
    threshold: float = attrs.field(default=0.99, validator=number(0.5, 1, open_low=True))
    timeout: float = attrs.field(default=120.0, converter=float,
                                 validator=number(0, 86400, open_low=True))
    workers: int | None = attrs.field(default=None, validator=optional(whole(1, 64)))

    def resolved(self, base_dir: Path | None, palette: Sequence[str] | None) -> CalphadOptions:
        """The database checked (readable, covering two palette elements) and a path made
        absolute: rounds re-read the spec from the store, not from the spec's folder."""
        from alloyloop.campaigns.tdb import PYCALPHAD_PREFIX, TdbError, resolve_tdb, tdb_elements

        try:
            path = resolve_tdb(self.tdb, base_dir)
            covered = tdb_elements(path)
        except TdbError as exc:
            raise OptionError(str(exc), key="tdb") from None
        shared = covered & set(palette or covered)
        if len(shared) < 2:
            raise OptionError(f"{path.name} covers {', '.join(sorted(covered))} but only "
                              f"{len(shared)} element(s) of the palette {', '.join(palette or ())}: "
                              "use a database for these elements", key="tdb")
        if self.tdb.strip().lower().startswith(PYCALPHAD_PREFIX):
            return self
        return attrs.evolve(self, tdb=str(path))

    @property
    def temperatures(self) -> tuple[float, ...]:
        """The temperatures (kelvin), by the name the labeler uses."""
        return self.temperature
