"""Rock-salt inclusions (TiN, TiC, TiO, ZrN, NbC, …) are not an alloy phase (issue #29, real scans).

As-cast refractory HEAs with Ti, Zr, Hf, Nb, Ta or V pick up nitrogen, carbon and oxygen:
a few per cent of a rock-salt MX compound (TiN 4.24 Å, TiO 4.18 Å, TiC 4.33 Å, ZrN 4.58 Å,
NbC 4.47 Å) whose lines — 111, 200, 220, 311, 222 — are exactly an FCC lattice's. On a
Co-anode NbMoTaTiW scan the analysis proposed 'BCC + FCC (a = 4.228 Å)', where the source
reports a single-phase BCC alloy. A metallic FCC of the alloy cannot be that large: its
lattice is near the composition's Vegard estimate (the BCC's atomic volume), while MX
compounds are 4–10 % larger. An FCC phase that is (1) ≥ 3 % larger than the Vegard FCC
estimate, (2) weak — its strongest line < 10 % of the pattern's strongest peak — and (3) in
an alloy with an MX former, is set aside as an inclusion: its peaks are labelled, the phase
is not proposed, and a note says so. The label stays the alloy's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from alloyloop.agent.xrd.indexing import IndexedPhase
from alloyloop.agent.xrd.lattices import Structure
from alloyloop.agent.xrd.peaks import Peak

FORMERS = frozenset({"Ti", "Zr", "Hf", "V", "Nb", "Ta"})
"""Elements whose nitrides, carbides and monoxides are rock-salt MX compounds."""
LARGER = 1.03
"""An FCC at least this much larger than the Vegard FCC lattice is not the alloy's."""
WEAK = 0.10
"""…and whose strongest line is below this share of the strongest peak is an inclusion."""


def set_aside(phases: Sequence[IndexedPhase], peaks: Sequence[Peak], unexplained: Sequence[int],
              lines: Mapping[int, tuple[int, str]], starts: Mapping, composition: Mapping[str, float] | None
              ) -> tuple[list[IndexedPhase], list[int], dict[int, tuple[int | None, str]], list[str]]:
    """``phases`` without the rock-salt inclusions, the unexplained peaks, the peak labels
    (an inclusion's peaks labelled ``111 MX``, phase None; later phases' indices renumbered)
    and the notes."""
    fcc = starts.get(Structure.FCC) if starts else None
    if fcc is None or not composition or not (FORMERS & {e for e, x in composition.items() if x > 0}):
        return list(phases), list(unexplained), dict(lines), []
    top = max((p.area for p in peaks), default=0.0) or 1.0
    drop = [k for k, p in enumerate(phases) if len(phases) > 1 and p.structure is Structure.FCC
            and p.a >= LARGER * fcc.a
            and max((peaks[m.peak].area for m in p.matches if m.peak is not None), default=top) < WEAK * top]
    if not drop:
        return list(phases), list(unexplained), dict(lines), []
    kept = [p for k, p in enumerate(phases) if k not in drop]
    renumber = {old: new for new, old in enumerate(k for k in range(len(phases)) if k not in drop)}
    out: dict[int, tuple[int | None, str]] = {i: (renumber.get(k), label) for i, (k, label) in lines.items()
                                              if k not in drop}
    notes = []
    for k in drop:
        for m in phases[k].matches:
            if m.peak is not None:
                out[m.peak] = (None, f"{m.reflection.label} MX")
        notes.append(f"FCC a = {phases[k].a:.4f} Å ({phases[k].a / fcc.a - 1:+.0%} on the alloy's Vegard FCC "
                     f"{fcc.a:.3f} Å, lines < {WEAK:.0%} of the strongest) is a rock-salt inclusion (TiN / TiC / TiO "
                     "type), not an alloy phase: not proposed")
    marked = {i for i, (k, _) in out.items() if k is None}
    return kept, [i for i in unexplained if i not in marked], out, notes
