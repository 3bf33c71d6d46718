"""Alloy compositions: parse the notations alloy papers use into mole fractions.

Accepted notations (all parsed through pymatgen's ``Composition``):

- element strings with implicit unit amounts: ``CoCrFeMnNi``
- molar ratios: ``Al0.5CoCrFeNi``
- atomic percent: ``Co20Cr20Fe20Mn20Ni20``, ``Fe50Mn30Co10Cr10``
- parenthesised groups: ``(FeCoNi)90Al10``, ``(FeCoNiCr)94Ti2Al4``: as in the HEA
  literature, an amount after a group is the group's *total* share, split by the ratios
  inside it (``(FeCoNi)90Al10`` is 30 at.% each of Fe, Co, Ni and 10 at.% Al; pymatgen's
  chemical reading, Fe90Co90Ni90Al10, would give Al 3.6 at.%); a group without an amount
  only groups (``[FeCo]Ni`` = FeCoNi)
- mappings of element to amount: ``{"Fe": 1, "Ni": 1}``
- as spreadsheets and papers write them: a decimal comma (``Al0,5CoCrFeNi`` is
  ``Al0.5CoCrFeNi``; a comma between two digits is always a decimal separator), Unicode
  subscripts (``AlCoCrFeNi₂``), scientific notation (``Al1e-1CoCrFeNi``), hyphen-separated
  lists (``Al0.3-Co-Cr-Fe-Ni``), zero amounts (``Al0CrCuFeNi2``: the Al_x series at x = 0;
  the element is absent) and a trailing unit: ``at.%`` / ``at%`` / ``(at.%)`` / ``mol.%``
  (mole based, as every other notation) or ``wt.%`` / ``wt%`` / ``(wt.%)``, converted to
  mole fractions with the atomic masses of :data:`ATOMIC_MASS_SOURCE` (the parsed
  composition's ``note`` says so)

Every parse returns normalized mole fractions and a canonical key (elements in
alphabetical order, fractions rounded to 1e-4) that the whole package uses for
de-duplication, e.g. ``Co0.2Cr0.2Fe0.2Mn0.2Ni0.2``.

What is refused rather than read as something else (issue 28), each naming the value:

- spreadsheet markers of an empty cell (``NaN``, ``N/A``, ``NA``, ``-``, ``null``, ``None``,
  ``#N/A`` …, :data:`EMPTY_MARKERS`): ``NaN`` would otherwise be nitrogen + sodium;
- the isotope symbols ``D`` and ``T``, which pymatgen reads as hydrogen;
- an element the person named whose share rounds to zero in the key (``Fe1e-5Ni`` would be
  stored as Ni): the key keeps every named element or the input is refused;
- amounts outside [:data:`MIN_AMOUNT`, :data:`MAX_AMOUNT`] (``Fe99999999999999999999Ni``),
  and amounts that are not finite numbers.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from pymatgen.core.composition import Composition
from pymatgen.core.periodic_table import Element

if TYPE_CHECKING:  # pandas costs ~0.3 s of CPU to import; a Series is only recognised here
    import pandas as pd

KEY_DECIMALS = 4
"""Fractions in a canonical key are rounded to this many decimals (1e-4)."""

KEY_RESOLUTION = 10.0 ** -KEY_DECIMALS
"""The smallest share an element can have in a key; a named element below half of it is refused."""

MAX_AMOUNT = 1e6
"""The largest amount a formula may write: molar ratios, at.% and wt.% stay far below it."""

MIN_AMOUNT = 1e-9
"""The smallest non-zero amount a formula may write (zero itself means the element is absent)."""

EMPTY_MARKERS = frozenset({
    "", "nan", "NaN", "NAN", "-nan", "-NaN", "n/a", "N/A", "#N/A", "#N/A N/A", "#NA", "NA", "na", "<NA>",
    "null", "NULL", "Null", "none", "None", "NONE", "-", "--", "—", "–", "?", "#VALUE!", "#REF!", "#DIV/0!",
})
"""How spreadsheets and pandas write an empty cell (pandas' default ``na_values`` and Excel's
error and dash markers). ``Na`` is not one: it is sodium."""

ISOTOPES = {"D": "deuterium", "T": "tritium"}
"""Symbols pymatgen reads as hydrogen: an alloy names hydrogen as H."""

ATOMIC_MASS_SOURCE = "pymatgen Element.atomic_mass (IUPAC standard atomic weights)"
"""Where the atomic masses of the wt.% -> mole fraction conversion come from."""

_ALLOWED_CHARS = re.compile(r"^[A-Za-z0-9.()\[\]{}\s\-_,:]*$")
_TOKEN = re.compile(r"([A-Z][a-z]*)")
_AMOUNT = r"(?:\d+(?:\.\d*)?|\.\d+)"
_INNER_GROUP = re.compile(r"[(\[{]([^()\[\]{}]*)[)\]}](\d+(?:\.\d*)?|\.\d+)?")
_SUBSCRIPTS = str.maketrans("₀₁₂₃₄₅₆₇₈₉", "0123456789")
# A trailing unit, as papers and spreadsheets write it: "at.%", "at %", "(at.%)", "wt.-%", …
# ("At%" is left alone: At is astatine, and its '%' is refused.)
_UNIT = re.compile(r"[\s,;]*[(\[]?\s*(at|AT|mol|MOL|Mol|wt|WT|Wt|mass|MASS|Mass)\s*[.-]?\s*-?\s*%\s*[)\]]?\s*$")
_SCIENTIFIC = re.compile(r"(\d+(?:\.\d*)?|\.\d+)[eE]([+-]?\d+)")
_DECIMAL_COMMA = re.compile(r"(?<=\d),(?=\d)")
_SEPARATED_NUMBERS = re.compile(rf"{_AMOUNT}[\s_:,\-]+{_AMOUNT}")
_AMOUNT_BEFORE_ELEMENT = re.compile(rf"[A-Za-z)\]}}]\s*-\s*{_AMOUNT}\s*(?=[A-Z(\[{{])")


class CompositionError(ValueError):
    """A composition could not be parsed or is not allowed.

    The message always names the offending value and how to fix it.
    ``token`` holds the offending token (element symbol, amount or character).
    """

    def __init__(self, message: str, token: str | None = None):
        super().__init__(message)
        self.token = token


@dataclass(frozen=True)
class ParsedComposition:
    """A normalized composition.

    Attributes:
        fractions: element symbol -> mole fraction, sorted by symbol, summing to 1.
        key: canonical key, e.g. ``Co0.2Cr0.2Fe0.2Mn0.2Ni0.2``.
        source: the input as given (stringified), for error reports.
        note: how the input was read when it needed a conversion (wt.% -> mole
            fractions), else empty; shown beside the key in outputs.
    """

    fractions: dict[str, float]
    key: str
    source: str = ""
    note: str = ""

    @property
    def elements(self) -> tuple[str, ...]:
        return tuple(self.fractions)

    @property
    def n_elements(self) -> int:
        return len(self.fractions)


@dataclass(frozen=True)
class RowError:
    """One bad row of a batch: its position, the input and the message with the fix."""

    row: int
    value: str
    message: str


@dataclass
class BatchResult:
    """Per-row outcome of :func:`parse_many`: parsed rows and errors, never both for one row."""

    parsed: dict[int, ParsedComposition] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def report(self) -> str:
        """Human-readable per-row error report (empty string when all rows parsed)."""
        return "\n".join(f"row {e.row}: {e.value!r}: {e.message}" for e in self.errors)


def canonical_key(fractions: Mapping[str, float]) -> str:
    """Canonical key of a composition: elements sorted, fractions rounded to 1e-4.

    Trailing zeros are dropped (``0.2`` not ``0.2000``) so that keys stay readable.

    A key is a fixed point of parsing: ``parse_composition(key).key == key``. Plain
    rounding is not always one: Al0.3334Co0.0833...V0.0833 sums to 0.9998, and
    normalising it moves Al to 0.3335, so a label entered under a suggestion's key would
    land on a new alloy. Rounding is therefore repeated on the rounded fractions until it
    settles (one extra pass in practice); should it cycle, the smallest key of the cycle
    is taken, which any member of the cycle also reaches.
    """
    rounded = _round_normalized({el: float(x) for el, x in fractions.items()})
    seen: list[dict[str, float]] = []
    while rounded not in seen:
        seen.append(rounded)
        rounded = _round_normalized(rounded)
    cycle = seen[seen.index(rounded):]
    return min(_key_text(r) for r in cycle)


def _round_normalized(fractions: Mapping[str, float]) -> dict[str, float]:
    total = float(sum(fractions.values()))
    rounded = {el: round(fractions[el] / total, KEY_DECIMALS) for el in sorted(fractions)}
    return {el: x for el, x in rounded.items() if x > 0}


def _key_text(rounded: Mapping[str, float]) -> str:
    return "".join(f"{el}{_fmt(x)}" for el, x in rounded.items())


def _fmt(x: float) -> str:
    s = f"{x:.{KEY_DECIMALS}f}".rstrip("0").rstrip(".")
    return s or "0"


def _check_symbol(sym: str, source: str) -> None:
    if sym in ISOTOPES:
        raise CompositionError(
            f"isotope symbol {sym!r} ({ISOTOPES[sym]}) in {source!r}: an alloy names hydrogen as "
            f"'H' ({re.sub(sym + '(?![a-z])', 'H', source)!r}), or drop it",
            token=sym,
        )
    word = re.fullmatch(r"([A-Z][a-z]?)(inf|infinity|nan)", sym, re.IGNORECASE)
    if word and Element.is_valid_symbol(word.group(1)):
        raise CompositionError(
            f"amount {word.group(2)!r} after {word.group(1)} in {source!r} is not a number: give a "
            "positive number, e.g. 'Al0.5CoCrFeNi'",
            token=word.group(2),
        )
    if not Element.is_valid_symbol(sym):
        hint = ""
        cap = sym[:1].upper() + sym[1:].lower()
        if Element.is_valid_symbol(cap) and cap != sym:
            hint = f" (did you mean {cap!r}? symbols are case-sensitive)"
        raise CompositionError(
            f"unknown element {sym!r} in {source!r}{hint}: write element symbols as in the "
            "periodic table, e.g. 'CoCrFeMnNi' or 'Al0.5CoCrFeNi'",
            token=sym,
        )


def _from_mapping(value: Mapping, source: str) -> dict[str, float]:
    if not value:
        raise CompositionError(
            "empty composition {}: give at least one element with a positive amount, "
            "e.g. {'Fe': 1, 'Ni': 1}",
            token="",
        )
    out: dict[str, float] = {}
    for el, amount in value.items():
        if not isinstance(el, str):
            raise CompositionError(
                f"element key {el!r} in {source!r} is not a string: use symbols like 'Fe'",
                token=str(el),
            )
        sym = el.strip()
        _check_symbol(sym, source)
        try:
            amt = float(amount)
        except (TypeError, ValueError):
            raise CompositionError(
                f"amount {amount!r} for {sym} in {source!r} is not a number: give a "
                "positive number (molar ratio, at.% or fraction)",
                token=str(amount),
            ) from None
        if math.isfinite(amt):  # not finite: refused below, naming the element
            _check_amount(amt, str(amount), sym, source)
        out[sym] = out.get(sym, 0.0) + amt
    return out


def _check_amount(amount: float | Decimal, written: str, el: str | None, source: str) -> None:
    """Refuse an amount that is not a finite number within [MIN_AMOUNT, MAX_AMOUNT] (zero
    means absent; negatives are refused where they are read), naming it. Written amounts
    are compared as :class:`Decimal`: ``1e-400`` is no float zero."""
    where = f" for {el}" if el else ""
    if not (amount.is_finite() if isinstance(amount, Decimal) else math.isfinite(amount)):
        raise CompositionError(
            f"amount {written}{where} in {source!r} is not a finite number: give a positive number "
            "(molar ratio, at.% or wt.%)",
            token=written,
        )
    if amount > MAX_AMOUNT or 0 < amount < MIN_AMOUNT:
        bound = f"above {MAX_AMOUNT:,.0f}" if amount > MAX_AMOUNT else f"below {MIN_AMOUNT:g}"
        raise CompositionError(
            f"amount {written}{where} in {source!r} is {bound}, no alloy's share: write a molar "
            "ratio, at.% or wt.% (e.g. 'Fe50Ni50' or 'Al0.5CoCrFeNi')",
            token=written,
        )


def _from_string(text: str) -> tuple[dict[str, float], str]:
    """Amounts of a formula and its basis: ``"wt"`` for a trailing wt.%, else ``"mol"``."""
    s = text.strip().translate(_SUBSCRIPTS)
    if s in EMPTY_MARKERS:
        what = f"an empty cell ({s!r})" if s else "empty"
        raise CompositionError(
            f"composition is {what}: fill in the alloy, e.g. 'CoCrFeMnNi' or "
            "'Co20Cr20Fe20Mn20Ni20', or leave the row out",
            token=s,
        )
    if re.fullmatch(r"[+-]?(inf|infinity)", s, re.IGNORECASE):
        raise CompositionError(
            f"composition {text!r} is not a formula but a number: fill in the alloy, e.g. 'CoCrFeMnNi'",
            token=s,
        )
    basis = "mol"
    unit = _UNIT.search(s)
    if unit:
        basis = "wt" if unit.group(1).lower() in ("wt", "mass") else "mol"
        s = s[:unit.start()].strip()
    bad = [c for c in s if not _ALLOWED_CHARS.match(c)]
    if bad:
        raise CompositionError(
            f"character {bad[0]!r} in {text!r} is not allowed in a formula: write amounts "
            "as plain numbers after each element, e.g. 'Al0.5CoCrFeNi' (a unit only at the "
            "end: 'at.%' or 'wt.%')",
            token=bad[0],
        )
    s = _DECIMAL_COMMA.sub(".", s)  # European spreadsheets: Al0,5 is Al0.5, never Al5
    s = _SCIENTIFIC.sub(lambda m: _plain_number(m, text), s)
    _check_separators(s, text)
    for m in re.finditer(_AMOUNT, s):
        _check_amount(Decimal(m.group(0)), m.group(0), None, text)
    s = re.sub(r"[\s,_:\-]+", "", s)
    if s and s[0].islower():
        raise CompositionError(
            f"formula {text!r} starts with a lower-case letter {s[0]!r}: element symbols "
            "start with a capital, e.g. 'Fe', not 'fe'",
            token=s[0],
        )
    symbols = _TOKEN.findall(s)
    for sym in symbols:
        _check_symbol(sym, text)
    if not symbols:
        raise CompositionError(
            f"no element symbol in {text!r}: give a formula such as 'CoCrFeMnNi'", token=s
        )
    if basis == "wt" and re.search(r"[(\[{]", s):
        raise CompositionError(
            f"group in the wt.% formula {text!r}: give each element's wt.% (e.g. "
            "'Fe70Cr20Ni10 wt.%'), or write the formula in at.%",
            token=next(c for c in s if c in "([{"),
        )
    try:
        comp = Composition(_expand_groups(s))
    except Exception as exc:  # pymatgen raises ValueError/CompositionError variants
        raise CompositionError(
            f"cannot parse {text!r} ({exc}): write the formula as element symbols each "
            "followed by an optional amount, e.g. 'Al0.5CoCrFeNi' or '(FeCoNi)90Al10'",
            token=text,
        ) from None
    # pymatgen drops zero amounts: Al0CrCuFeNi2 is CrCuFeNi2 (the element is absent)
    amounts = {str(el): float(amt) for el, amt in comp.get_el_amt_dict().items()}
    if not amounts:
        raise CompositionError(
            f"every amount in {text!r} is zero: give at least one element ({symbols[0]}, …) "
            "a positive amount",
            token=symbols[0],
        )
    return amounts, basis


def _plain_number(match: re.Match, text: str) -> str:
    """``1e-1`` -> ``0.1``: pymatgen reads no scientific notation. The bounds are checked
    first: ``1e-999999999`` written out would be a billion characters."""
    value = Decimal(match.group(0))
    _check_amount(value, match.group(0), None, text)
    return format(value, "f")


def _check_separators(s: str, text: str) -> None:
    """Refuse what separators would silently glue into a different alloy, naming it."""
    joined = _SEPARATED_NUMBERS.search(s)
    if joined:
        raise CompositionError(
            f"two numbers in a row, {joined.group(0)!r}, in {text!r}: write one amount "
            "after each element, with a decimal point or comma (e.g. 'Al0.5CoCrFeNi' or "
            "'Al0,5CoCrFeNi')",
            token=joined.group(0),
        )
    before = _AMOUNT_BEFORE_ELEMENT.search(s)
    if before:
        piece = before.group(0)[1:].strip()
        raise CompositionError(
            f"amount {piece!r} stands before the next element in {text!r} (balance notation "
            "such as 'Fe-10Ni-5Cr'): write every amount after its element, e.g. "
            "'Fe85Ni10Cr5 wt.%'",
            token="-",
        )
    if s.lstrip().startswith("-"):
        raise CompositionError(
            f"{text!r} starts with '-': remove it; a hyphen may only separate elements, as "
            "in 'Co-Cr-Ni'",
            token="-",
        )
    sign = re.search(r"-\s*(?=[\d.])", s)
    if sign:
        raise CompositionError(
            f"negative amount in {text!r} (the '-' at position {sign.start() + 1}): every "
            "amount must be positive; a hyphen may only separate elements, as in 'Co-Cr-Ni'",
            token="-",
        )


def _expand_groups(s: str) -> str:
    """Replace each group, innermost first, by its elements with explicit amounts: the
    group's amount split by the ratios inside it (HEA notation, see the module docstring).
    Unbalanced brackets are left for pymatgen to refuse."""
    while (m := _INNER_GROUP.search(s)) is not None:
        inner, amount = m.group(1), m.group(2)
        if amount is None:
            expanded = inner
        else:
            parts = Composition(inner).get_el_amt_dict()
            total = sum(parts.values())
            expanded = "".join(f"{el}{format(a / total * float(amount), '.15f')}" for el, a in parts.items())
        s = s[:m.start()] + expanded + s[m.end():]
    return s


def _misread_hint(source: str) -> str:
    """Upper-case runs like 'CO' parse as carbon + oxygen; point at the likely metal."""
    for a, b in re.findall(r"([A-Z])(?=([A-Z]))", source):
        cand = a + b.lower()
        if Element.is_valid_symbol(cand) and Element(cand).is_metal:
            return f" (if you meant {cand}, write it as {cand!r}: symbols are case-sensitive)"
    return ""


def parse_composition(
    value: str | Mapping[str, float] | ParsedComposition,
    *,
    allowed: Iterable[str] | None = None,
    require_properties: bool = False,
) -> ParsedComposition:
    """Parse one composition in any supported notation.

    Args:
        value: a formula string or a mapping element -> amount (any positive scale).
        allowed: optional palette; elements outside it raise :class:`CompositionError`.
        require_properties: also refuse elements missing from the element property
            table (:func:`alloyloop.featurize.elements.element_table`), whose descriptors are undefined.

    Returns:
        The normalized :class:`ParsedComposition`.

    Raises:
        CompositionError: naming the offending token and the fix.
    """
    note = ""
    if isinstance(value, ParsedComposition):
        amounts = dict(value.fractions)
        source = value.source or value.key
        note = value.note
    elif isinstance(value, Mapping):
        source = str(dict(value))
        amounts = _from_mapping(value, source)
    elif isinstance(value, str):
        source = value
        amounts, basis = _from_string(value)
        if basis == "wt":
            amounts = _wt_to_mol(amounts)
            note = "converted from wt.% to mole fractions with atomic masses (pymatgen, IUPAC)"
    elif value is None or (isinstance(value, float) and math.isnan(value)):
        raise CompositionError(
            "missing composition (empty cell): fill in a formula such as 'CoCrFeMnNi'",
            token="",
        )
    else:
        raise CompositionError(
            f"composition {value!r} has type {type(value).__name__}: give a formula string "
            "or a mapping of element symbol to amount",
            token=str(value),
        )

    for el, amt in amounts.items():
        if not math.isfinite(amt):
            raise CompositionError(
                f"amount {amt!r} for {el} in {source!r} is not finite: give a positive number",
                token=el,
            )
        if amt < 0:
            raise CompositionError(
                f"negative amount {amt:g} for {el} in {source!r}: every amount must be positive",
                token=el,
            )
    present = {el: amt for el, amt in amounts.items() if amt > 0}  # a zero amount: absent
    if not present:
        raise CompositionError(
            f"every amount in {source!r} is zero: give at least one element a positive amount",
            token=next(iter(amounts)),
        )
    amounts = present
    if allowed is not None:
        palette = set(allowed)
        outside = sorted(set(amounts) - palette)
        if outside:
            el = outside[0]
            kind = "" if Element(el).is_metal or Element(el).is_metalloid else "non-metal "
            raise CompositionError(
                f"{kind}element {el} in {source!r} is not in the palette "
                f"({', '.join(sorted(palette))}): remove it or add it to the palette"
                + _misread_hint(source),
                token=el,
            )
    if require_properties:
        from alloyloop.featurize.elements import element_table

        covered = element_table().symbols
        lacking = sorted(set(amounts) - set(covered))
        if lacking:
            raise CompositionError(
                f"element {lacking[0]} in {source!r} has no entry in the element property "
                "table, so its descriptors cannot be computed: drop the alloy or replace "
                f"{lacking[0]} (covered: {', '.join(covered)})" + _misread_hint(source),
                token=lacking[0],
            )
        pair = element_table().missing_pair_in(list(amounts))
        if pair is not None:
            raise CompositionError(
                f"the pair {pair[0]}-{pair[1]} in {source!r} has no Miedema mixing enthalpy "
                "(the one hole of the pair table), so ΔH_mix cannot be computed: drop the "
                f"alloy or one of {pair[0]} and {pair[1]}",
                token=f"{pair[0]}-{pair[1]}",
            )
    total = sum(amounts.values())
    fractions = {el: amounts[el] / total for el in sorted(amounts)}
    key = canonical_key(fractions)
    _check_none_vanish(fractions, key, source)
    return ParsedComposition(fractions=fractions, key=key, source=source, note=note)


def _check_none_vanish(fractions: Mapping[str, float], key: str, source: str) -> None:
    """Refuse an element the person named that the key rounds away (``Fe1e-5Ni`` would be
    stored as Ni): stored alloys are keyed, so the key must hold every named element."""
    kept = set(_TOKEN.findall(key))
    lost = [el for el in fractions if el not in kept]
    if lost:
        el = lost[0]
        raise CompositionError(
            f"element {el} in {source!r} is {fractions[el]:.2g} of the alloy ({100 * fractions[el]:.2g} "
            f"at.%), which rounds to zero in the alloy key (resolution {KEY_RESOLUTION:g}, i.e. "
            f"{100 * KEY_RESOLUTION:g} at.%): give {el} at least {KEY_RESOLUTION:g} of the alloy, or "
            f"leave it out if it is an impurity",
            token=el,
        )


def _wt_to_mol(amounts: Mapping[str, float]) -> dict[str, float]:
    """Mass amounts -> mole amounts: divide each by its atomic mass (g/mol)."""
    return {el: w / float(Element(el).atomic_mass) for el, w in amounts.items()}


def parse_many(
    values: Iterable[str | Mapping[str, float]] | pd.Series,
    *,
    allowed: Iterable[str] | None = None,
    require_properties: bool = False,
) -> BatchResult:
    """Parse a batch; bad rows are reported per row instead of failing the batch.

    Row numbers are the Series index when ``values`` is a pandas Series, else 0-based
    positions.
    """
    palette = None if allowed is None else frozenset(allowed)
    pandas = sys.modules.get("pandas")  # a Series exists only if pandas was imported
    items = values.items() if pandas is not None and isinstance(values, pandas.Series) else enumerate(values)
    result = BatchResult()
    for row, value in items:
        try:
            result.parsed[row] = parse_composition(
                value, allowed=palette, require_properties=require_properties
            )
        except CompositionError as exc:
            result.errors.append(RowError(row=row, value=str(value), message=str(exc)))
    return result
