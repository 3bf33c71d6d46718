"""Property test of issue 28: a composition means what the person wrote, or is refused.

500 generated inputs: valid alloys in the notations people use (ratios, at.%, wt.%, decimal
commas, scientific amounts, subscripts, groups, hyphen and space separators, zero amounts)
and the nasty ones (spreadsheet empty-cell markers, isotopes, elements a key would round
away, huge and tiny numbers, Unicode digits, stray separators, words for numbers). Each is
either refused with a :class:`CompositionError` naming the value, or parsed to a key that
holds exactly the elements named with a non-zero amount (none vanishes, none appears) in
the proportions written (to the key's resolution).
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pymatgen.core.periodic_table import Element

from alloyloop.featurize.composition import EMPTY_MARKERS, CompositionError, parse_composition
from alloyloop.featurize.spreadsheet import SheetError, cell, read_sheet

# Symbols whose concatenations read back unambiguously (no Er/Es/Eu: 5E.. is no exponent here).
PALETTE = ["Al", "Co", "Cr", "Cu", "Fe", "Mn", "Ni", "Ti", "V", "Mo", "Nb", "Ta", "W", "Zr", "Hf", "B", "C", "Si",
           "N", "Na", "Y", "Sn", "In", "I", "O", "S", "K", "U", "P", "Re", "Ru", "Pd", "Ag", "Au", "Li", "Mg"]
SUBSCRIPT = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
OUTCOMES: Counter[str] = Counter()


@pytest.fixture(scope="module", autouse=True)
def _tally():
    yield
    inputs = sum(n for what, n in OUTCOMES.items() if what != "csv: rows checked")
    print(f"\ncomposition meaning fuzz: {inputs} inputs, {dict(sorted(OUTCOMES.items()))}")


amount_values = st.one_of(st.integers(1, 100).map(Decimal),
                          st.integers(100, 99_000).map(lambda n: Decimal(n) / 1000))  # 0.1 … 99 with 3 decimals


# Strategies built once: building them inside each draw costs more than the parsing tested.
SYMBOL_SETS = st.lists(st.sampled_from(PALETTE), min_size=1, max_size=7, unique=True)
UNITS = st.sampled_from(["", "", " at.%", "at%", " (at.%)", " mol%", " wt.%", "wt%"])
SEPARATORS = st.sampled_from(["", "", " ", "-"])
ZEROS = st.sampled_from(["0", "0.0", "0,0", "00"])
CHOICE = {n: st.integers(0, n - 1) for n in range(1, 8)}


def amount_text(draw: st.DrawFn, value: Decimal, implicit: bool = True) -> str:
    """``value`` as people write it: plain, decimal comma, scientific, subscript, implicit 1
    (not after a group: a group without an amount only groups)."""
    plain = format(value.normalize(), "f")
    forms = [plain, plain.replace(".", ","), f"{value:e}".replace("+", "")]
    if value == value.to_integral():
        forms.append(plain.translate(SUBSCRIPT))
    if value == 1 and implicit:
        forms.append("")
    return forms[draw(CHOICE[len(forms)])]


@st.composite
def valid_alloys(draw: st.DrawFn, units: bool = True) -> tuple[str, dict[str, Fraction]]:
    """(text, expected amount per element on a mole basis, zero-amount elements left out)."""
    symbols = draw(SYMBOL_SETS)
    unit = draw(UNITS) if units else ""
    wt = "wt" in unit
    group_size = 0 if wt or len(symbols) < 3 else draw(CHOICE[len(symbols)])
    separator = "" if group_size else draw(SEPARATORS)
    pieces, expected = [], {}
    if group_size:
        inner = symbols[:group_size + 1]
        symbols = symbols[group_size + 1:]
        ratios = [draw(amount_values) for _ in inner]
        total = draw(amount_values)
        pieces.append("(" + "".join(el + amount_text(draw, r) for el, r in zip(inner, ratios)) + ")"
                      + amount_text(draw, total, implicit=False))
        for el, r in zip(inner, ratios):
            expected[el] = Fraction(r) / Fraction(sum(ratios)) * Fraction(total)
    for el in symbols:
        if expected and draw(CHOICE[7]) == 0:  # the Al_x series at x = 0: the element is absent
            pieces.append(el + draw(ZEROS))
            continue
        value = draw(amount_values)
        pieces.append(el + amount_text(draw, value))
        expected[el] = Fraction(value)
    if not expected:
        value = draw(amount_values)
        el = "Fe" if "Fe" not in symbols else "Ni"
        pieces.append(el + format(value, "f"))
        expected[el] = Fraction(value)
    if wt:
        expected = {el: w / Fraction(float(Element(el).atomic_mass)) for el, w in expected.items()}
    return separator.join(pieces) + unit, expected


MARKERS = sorted(EMPTY_MARKERS)
UNICODE_DIGITS = ["５", "٥", "۵", "²", "½", "𝟓", "१"]
STRAY = [";", "/", "|", "+", "*", "&", "=", "%", "#", "\\", "'", '"']


@st.composite
def nasty(draw: st.DrawFn) -> tuple[str, str, str]:
    """(text, kind, what the error must name)."""
    text, amounts = draw(valid_alloys(units=False))  # no unit: the nasty piece goes at the end
    kind = draw(st.sampled_from(["marker", "isotope", "tiny", "huge", "unicode", "stray", "word"]))
    if kind == "marker":
        marker = draw(st.sampled_from(MARKERS))
        return draw(st.sampled_from(["", " ", "  "])) + marker + draw(st.sampled_from(["", " ", "\t"])), kind, marker
    if kind == "isotope":
        sym = draw(st.sampled_from(["D", "T"]))
        return text + sym + draw(st.sampled_from(["", "2", "0.5", "10"])), kind, sym
    if kind == "tiny":
        el = next(e for e in PALETTE if e not in amounts and e not in text)
        share = draw(st.floats(1e-7, 3e-5))
        amount = f"{float(sum(amounts.values())) * share:.3e}".replace("+", "")
        return text + el + amount, kind, el + "|" + amount
    if kind == "huge":
        el = next(e for e in PALETTE if e not in amounts and e not in text)
        amount = draw(st.sampled_from(["99999999999999999999", "1e7", "1e20", "1e400", "1e999999999", "1234567.8"]))
        return text + el + amount, kind, amount
    if kind == "unicode":
        digit = draw(st.sampled_from(UNICODE_DIGITS))
        return text + "Fe" + digit if "Fe" not in text else text + "Ni" + digit, kind, digit
    if kind == "stray":
        ch = draw(st.sampled_from(STRAY))
        cut = draw(st.integers(1, max(1, len(text))))
        return text[:cut] + ch + text[cut:], kind, ch
    word = draw(st.sampled_from(["inf", "nan", "infinity", "Inf"]))
    el = next(e for e in PALETTE if e not in amounts and e not in text)
    return text + el + word, kind, word


def check_meaning(text: str, expected: dict[str, Fraction]) -> None:
    parsed = parse_composition(text)
    assert set(parsed.fractions) == set(expected), (text, parsed.key)
    key = parse_composition(parsed.key)  # what the store keeps
    assert set(key.fractions) == set(expected), (text, parsed.key)  # none vanished, none appeared
    total = sum(expected.values())
    for el, amount in expected.items():
        assert abs(key.fractions[el] - float(amount / total)) <= 1e-4 * len(expected), (text, el, parsed.key)


@settings(max_examples=500, deadline=None)
@given(case=st.one_of(valid_alloys().map(lambda v: ("valid", v)), valid_alloys().map(lambda v: ("valid", v)),
                      nasty().map(lambda n: ("nasty", n))))
def test_a_composition_means_what_was_written_or_is_refused_naming_it(case) -> None:  # noqa: ANN001
    kind, value = case
    if kind == "valid":
        text, expected = value
        if text.strip() in EMPTY_MARKERS:  # e.g. Na + N with implicit amounts: "NaN" is the marker
            with pytest.raises(CompositionError, match="composition is (an )?empty"):
                parse_composition(text)
            OUTCOMES["valid text that is a marker: refused"] += 1
            return
        total = sum(expected.values())
        smallest = min(expected, key=lambda el: expected[el])
        share = float(expected[smallest] / total)
        if share < 5.1e-5:  # below the key's resolution (half of 1e-4): refused, naming the element
            try:
                check_meaning(text, expected)
            except CompositionError as exc:
                below = {el for el, v in expected.items() if float(v / total) < 5.1e-5}
                assert exc.token in below and "rounds to zero in the alloy key" in str(exc), str(exc)
                OUTCOMES["valid text with an element below the key's resolution: refused"] += 1
                return
            assert share >= 4.9e-5, (text, share)  # kept only at the rounding boundary
        check_meaning(text, expected)
        OUTCOMES["valid: same alloy"] += 1
        return
    text, nasty_kind, named = value
    with pytest.raises(CompositionError) as info:
        parse_composition(text)
    message = str(info.value)
    assert ": " in message and info.value.token is not None, message
    assert any(n in message for n in named.split("|")), (text, named, message)
    if nasty_kind == "marker":
        assert ("empty cell" if named else "composition is empty") in message
    if nasty_kind == "isotope":
        assert "isotope symbol" in message and "'H'" in message
    OUTCOMES[f"{nasty_kind}: refused"] += 1


# --- the same alloys through the spreadsheet reader ----------------------------------------

NOTE_CHARS = st.sampled_from(list("abc XRD,;\t\"'\n") + ["\r\n", "é", "°C", "µm", "—", "½"])
notes = st.lists(NOTE_CHARS, max_size=12).map("".join)
WORDS = ["single", "multi", "FCC", "BCC+B2"]


@st.composite
def spreadsheets(draw: st.DrawFn) -> tuple[bytes, list[list[str]], list[dict[str, Fraction]], str, str]:
    """(file bytes, rows written, expected alloys, separator, how it was written) as a
    spreadsheet writes a CSV: comma / semicolon / tab, minimal or all quoting, CRLF or LF,
    with or without a UTF-8 BOM or as cp1252, and with empty rows at the end."""
    alloys = draw(st.lists(valid_alloys(), min_size=1, max_size=6))
    rows = [[text, draw(st.sampled_from(WORDS)), draw(notes)] for text, _ in alloys]
    separator = draw(st.sampled_from([",", ";", "\t"]))
    quoting = draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]))
    ending = draw(st.sampled_from(["\r\n", "\n"]))
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=separator, quoting=quoting, lineterminator=ending)
    writer.writerow(["composition", "outcome", "note"])
    writer.writerows(rows)
    text = buffer.getvalue() + draw(st.sampled_from(["", separator * 2 + ending, ending * 2]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]))
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        encoding, data = "utf-8", text.encode("utf-8")
    if encoding == "cp1252":
        try:
            assume(data.decode("utf-8") == text)  # cp1252 bytes that happen to be UTF-8 read as UTF-8
        except UnicodeDecodeError:
            pass
    how = f"{separator!r}, quoting {quoting}, {ending!r}, {encoding}"
    return data, rows, [expected for _, expected in alloys], separator, how


def _looks_like_a_row(note: str, separator: str) -> bool:
    """A quoted cell whose lines after the first hold a row's separators: the reader refuses
    it (a quote closed by chance swallows rows just like this), see featurize/spreadsheet.py."""
    return any(line.count(separator) >= 2 for line in re.split(r"\r\n|\r|\n", note)[1:])


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sheet=spreadsheets())
def test_a_spreadsheet_keeps_every_row_every_field_and_the_same_alloy(sheet, tmp_path) -> None:  # noqa: ANN001
    data, rows, alloys, separator, how = sheet
    path = tmp_path / "lab.csv"  # one file, rewritten by each example
    path.write_bytes(data)
    if any(_looks_like_a_row(note, separator) for _, _, note in rows):
        with pytest.raises(SheetError, match="closes only on line"):
            read_sheet(path)
        OUTCOMES["csv: a note holding a row-like line: refused"] += 1
        return
    read = read_sheet(path)
    assert read.header == ["composition", "outcome", "note"] and read.separator == separator, how
    assert [cells for _, cells in read.rows] == rows, how  # every row, every field, nothing merged
    for (_, cells), expected in zip(read.rows, alloys):
        text = cell(cells, 0)
        if text in EMPTY_MARKERS:
            OUTCOMES["csv: valid text that is a marker"] += 1
            continue
        total = sum(expected.values())
        if min(float(v / total) for v in expected.values()) < 5.1e-5:
            continue  # refused as in the test above
        check_meaning(text, expected)
    OUTCOMES["csv: every row and field kept, same alloys"] += 1
    OUTCOMES["csv: rows checked"] += len(rows)
