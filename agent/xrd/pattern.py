"""A measured powder pattern: 2θ (degrees), intensity, and the radiation it was taken with."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

ANODES: dict[str, tuple[float, float]] = {
    "Cu": (1.540593, 1.544427),
    "Co": (1.788996, 1.792835),
    "Mo": (0.709317, 0.713607),
    "Cr": (2.289760, 2.293663),
    "Fe": (1.936087, 1.939985),
    "Ag": (0.559422, 0.563813),
}
"""Kα1 and Kα2 wavelengths (Å) of the common anodes (Hölzer et al. 1997, as in pymatgen)."""


@dataclass(frozen=True)
class Radiation:
    """The wavelength(s) of a pattern: Kα1, and Kα2 with its intensity ratio (None if the
    beam was monochromatised to Kα1 or the wavelength is a single synchrotron line)."""

    ka1: float = ANODES["Cu"][0]
    ka2: float | None = ANODES["Cu"][1]
    ratio: float = 0.5
    origin: str = "default Cu Kα (the file states no wavelength)"

    def __post_init__(self) -> None:
        if not 0.1 < self.ka1 < 5.0:
            raise ValueError(f"wavelength {self.ka1!r} Å is not an X-ray wavelength: give it in "
                             "ångström, e.g. 1.5406 for Cu Kα1")
        if self.ka2 is not None and not self.ka1 < self.ka2 < self.ka1 * 1.01:
            raise ValueError(f"Kα2 {self.ka2!r} Å must be slightly longer than Kα1 {self.ka1!r} Å")
        if not 0.0 <= self.ratio < 1.0:
            raise ValueError(f"Kα2/Kα1 ratio {self.ratio!r} must be in [0, 1): typically 0.5")

    @classmethod
    def of(cls, text: str, how: str = "given") -> Radiation:
        """``Cu``, ``CuKa1`` (Kα1 only), ``Co``, … or a wavelength in Å (``1.5406``); ``how``
        it was given goes into the origin."""
        word = text.strip()
        for anode, (a1, a2) in ANODES.items():
            if word.lower() == anode.lower() or word.lower() == f"{anode}ka".lower():
                return cls(a1, a2, 0.5, f"{anode} Kα, {how}")
            if word.lower() == f"{anode}ka1".lower():
                return cls(a1, None, 0.0, f"{anode} Kα1, {how}")
        try:
            value = float(word.replace(",", "."))
        except ValueError:
            raise ValueError(f"wavelength {text!r}: give an anode ({', '.join(ANODES)}, e.g. Cu or "
                             "CuKa1) or a wavelength in Å such as 1.5406") from None
        return cls(value, None, 0.0, how)

    @property
    def label(self) -> str:
        two = f" + Kα2 {self.ka2:.5f} Å (ratio {self.ratio:.2f})" if self.ka2 else ""
        return f"λ {self.ka1:.5f} Å{two}, {self.origin}"


@dataclass(frozen=True)
class Pattern:
    """A pattern on an increasing 2θ grid (degrees)."""

    two_theta: np.ndarray
    intensity: np.ndarray
    radiation: Radiation = field(default_factory=Radiation)
    source: str = "pattern"
    notes: tuple[str, ...] = ()
    tilt: float | None = None
    """The sample tilt χ (or ψ) in degrees the file states: a texture or stress measurement,
    whose relative intensities and profiles are not a powder's (:mod:`.tilt`); None when the
    file states none."""

    def __post_init__(self) -> None:
        if self.two_theta.shape != self.intensity.shape or self.two_theta.ndim != 1:
            raise ValueError(f"{self.source}: 2θ and intensity must be 1-D arrays of one length")
        if len(self.two_theta) < 50:
            raise ValueError(f"{self.source}: {len(self.two_theta)} points is too few for a "
                             "diffraction pattern (at least 50): export the whole scan")
        if self.tilt is not None and not -90.0 <= self.tilt <= 90.0:
            raise ValueError(f"{self.source}: sample tilt {self.tilt!r}° is outside ±90°")

    @property
    def step(self) -> float:
        return float(np.median(np.diff(self.two_theta)))
