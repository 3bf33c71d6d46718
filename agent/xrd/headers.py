"""The wavelength a text pattern's header states, in the words instruments write it.

Read, case-insensitively, from the header lines (comments and the lines before the data):

- explicit Kα1 / Kα2 wavelengths and their ratio: Rigaku ``*HW_XG_WAVE_LENGTH_ALPHA1 "1.540593"``
  / ``ALPHA2``, Bruker ``.uxd`` ``_WL1=1.5406`` / ``_WL2`` / ``_WLRATIO``, ``Kα1 1.5406``,
  ``K-Alpha1: 1.540598``;
- a wavelength: ``# wavelength 1.78897``, ``lambda = 0.7093``, ``λ: 1.5406`` (a line naming
  Kβ is never taken for it);
- an anode: ``Anode: "Co"`` (Bruker exports), ``*HW_XG_TARGET_NAME "Cu"`` (Rigaku),
  ``target = Mo``, ``tube: copper``, ``Radiation: Co Kα`` — the element symbol in any case or
  its English name.

A stated wavelength within 0.002 Å of an anode's Kα1 (or its Kα mean) is that anode's
doublet; the origin says which header line stated it.
"""

from __future__ import annotations

import re

from alloyloop.agent.xrd.pattern import ANODES, Radiation

_NUM = r"([0-9]+[.,][0-9]+)"
_GAP = r"[^0-9\n]{0,20}?"
_KA1 = re.compile(r"(?:alpha[-_ ]?1|k[aα][-_ ]?1|(?<![a-z])wl1)(?![0-9])" + _GAP + _NUM, re.IGNORECASE)
_KA2 = re.compile(r"(?:alpha[-_ ]?2|k[aα][-_ ]?2|(?<![a-z])wl2)(?![0-9])" + _GAP + _NUM, re.IGNORECASE)
_RATIO = re.compile(r"ratio[a-z]*" + _GAP + _NUM, re.IGNORECASE)
_WAVELENGTH = re.compile(r"(?:wave[-_\s]*length|lambda|λ)" + _GAP + _NUM, re.IGNORECASE)
_BETA = re.compile(r"beta|k[βb]\b", re.IGNORECASE)
NAMES = {"copper": "Cu", "cobalt": "Co", "molybdenum": "Mo", "chromium": "Cr", "iron": "Fe", "silver": "Ag"}
_ANODE = re.compile(r"(?:anode|target|tube|radiation)(?:[-_ ]?(?:name|material|type|element))?[^A-Za-z0-9\n]{0,6}"
                    r"(" + "|".join([*ANODES, *NAMES]) + r")(?![a-z])", re.IGNORECASE)


def _float(text: str) -> float:
    return float(text.replace(",", "."))


def _anode_of(value: float) -> str | None:
    for anode, (a1, a2) in ANODES.items():
        if abs(value - a1) < 2e-3 or abs(value - (2 * a1 + a2) / 3) < 1e-3:
            return anode
    return None


def _line_of(text: str, match: re.Match) -> str:
    start = text.rfind("\n", 0, match.start()) + 1
    end = text.find("\n", match.end())
    line = text[start: end if end >= 0 else len(text)].strip().lstrip("#;!*%/' ").strip()
    return line if len(line) <= 60 else line[:57] + "…"


def header_radiation(lines: list[str]) -> Radiation | None:
    """The radiation the header ``lines`` state, or None when they state none."""
    text = "\n".join(lines)
    ka1 = _KA1.search(text)
    if ka1 is None:
        ka1 = next((m for m in _WAVELENGTH.finditer(text) if not _BETA.search(_line_of(text, m))), None)
    if ka1 is not None:
        a1 = _float(ka1.group(1))
        where = f"from the file header ({_line_of(text, ka1)})"
        ka2 = _KA2.search(text)
        ratio = _RATIO.search(text)
        anode = _anode_of(a1)
        a2 = _float(ka2.group(1)) if ka2 else (ANODES[anode][1] if anode else None)
        if anode and abs(a1 - ANODES[anode][0]) < 2e-3 and not ka2:
            a1 = ANODES[anode][0]  # a rounded (1.5406) or mean (1.5418) Cu Kα: the doublet
        if a2 is not None and not a1 < a2 < a1 * 1.01:
            a2 = None
        r = _float(ratio.group(1)) if ratio else 0.5
        if not 0.0 < r < 1.0:
            r = 0.5
        label = f"{anode} Kα, {where}" if anode else where
        return Radiation(a1, a2, r if a2 else 0.0, label)
    anode = _ANODE.search(text)
    if anode is not None:
        word = anode.group(1).lower()
        symbol = NAMES.get(word) or next(a for a in ANODES if a.lower() == word)
        a1, a2 = ANODES[symbol]
        return Radiation(a1, a2, 0.5, f"{symbol} Kα, from the file header ({_line_of(text, anode)})")
    return None
