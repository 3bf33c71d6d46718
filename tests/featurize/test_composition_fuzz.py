"""Property tests of the composition parser: 500 generated bad inputs per property.

A bad input always gets a :class:`CompositionError` (never another exception, never a
silently wrong composition) whose message names the offending value and says what to do;
any input the parser does accept comes out normalized and canonically keyed.
"""

from __future__ import annotations

import math

import pytest

from hypothesis import given, settings
from hypothesis import strategies as st

from alloyloop.featurize.composition import CompositionError, ParsedComposition, parse_composition

SUBSCRIPT = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")

SYMBOLS = ["Al", "Co", "Cr", "Cu", "Fe", "Mn", "Ni", "Ti", "V", "Mo", "Nb", "Ta", "W", "Zr", "Hf"]
NOT_ELEMENTS = ["Xx", "Qq", "Jj", "Aa", "Ll", "Zz", "Me", "Ab", "Ee", "Uu"]
FORMULA_CHARS = list("CoCrFeMnNiAlTiVW0123456789.()[]{} -_,:") + ["e", "E"]
EXOTIC = ["%", "/", "+", "*", "\x00", "\t\x01", "é", "½", "🙂", "\u202e", "Ｃｏ", "\ud800", "#", "=", "'", '"', "\\"]

amounts = st.one_of(st.integers(1, 100).map(str), st.floats(0.01, 99, allow_nan=False).map(lambda f: f"{f:.3g}"),
                    st.just(""))
valid_formulas = st.lists(st.tuples(st.sampled_from(SYMBOLS), amounts), min_size=1, max_size=6).map(
    lambda parts: "".join(s + a for s, a in parts))


def _insert(text: str, pos: int, piece: str) -> str:
    pos = pos % (len(text) + 1)
    return text[:pos] + piece + text[pos:]


@st.composite
def bad_formulas(draw: st.DrawFn) -> tuple[str, str]:
    """(formula, the token its error must name): a valid formula broken in one known way."""
    base = draw(valid_formulas)
    kind = draw(st.sampled_from(["unknown", "char", "all_zero", "negative", "lower", "empty", "infinite",
                                 "glued_numbers"]))
    if kind == "unknown":
        sym = draw(st.sampled_from(NOT_ELEMENTS))
        return base + sym + draw(amounts), sym
    if kind == "char":
        ch = draw(st.sampled_from(EXOTIC))
        return _insert(base, draw(st.integers(0, 50)), ch), ch.lstrip()[0]  # whitespace is allowed
    if kind == "all_zero":
        sym = draw(st.sampled_from(SYMBOLS))
        return sym + draw(st.sampled_from(["0", "0.0", "00", ".0", "0.000"])), sym
    if kind == "negative":
        sym = draw(st.sampled_from(SYMBOLS))
        return base + sym + "-" + draw(st.integers(1, 99).map(str)), "-"
    if kind == "lower":
        return base.lower() if base.lower() != base else "fe" + base, (base.lower() or "f")[0]
    if kind == "empty":
        return draw(st.sampled_from(["", " ", "\n", " \t ", ",,", "--", "()", "0.5", "42", "..."])), ""
    if kind == "infinite":
        sym = draw(st.sampled_from(SYMBOLS))
        return base + sym + "1e" + draw(st.integers(309, 2000).map(str)), sym
    # two amounts a separator would glue into one (Al0 5 -> Al05 = Al5): refused, never merged
    sym = draw(st.sampled_from(SYMBOLS))
    first, second = draw(st.integers(0, 99)), draw(st.integers(1, 99))
    glue = draw(st.sampled_from([" ", "-", "_", ":", ", ", " , "]))
    return base + sym + f"{first}{glue}{second}", f"{first}{glue}{second}"


def _check_vanished(exc: CompositionError, amounts: dict[str, float]) -> None:
    """The refusal of an element the key would round away names it, and its share is below
    the key's resolution."""
    assert "rounds to zero in the alloy key" in str(exc), str(exc)
    assert exc.token in amounts
    assert amounts[exc.token] / sum(amounts.values()) < 1e-4


def _check_error(exc: CompositionError, value: object) -> None:
    message = str(exc)
    assert ": " in message, message  # "what is wrong: how to fix it"
    assert len(message.split(": ", 1)[1]) > 10, message
    assert exc.token is not None
    shown = repr(value) if isinstance(value, str) else str(value)
    assert (exc.token in message or repr(exc.token) in message or shown in message
            or repr(shown) in message), (message, exc.token)


@settings(max_examples=500, deadline=None)
@given(bad=bad_formulas())
def test_bad_formulas_get_a_clear_error(bad: tuple[str, str]) -> None:
    text, token = bad
    try:
        parsed = parse_composition(text)
    except CompositionError as exc:
        _check_error(exc, text)
        if token.strip():
            assert token in str(exc) or repr(token) in str(exc), (str(exc), token)
    else:
        raise AssertionError(f"{text!r} was accepted as {parsed.key}")


bad_values = st.one_of(
    st.none(), st.integers(), st.floats(), st.binary(max_size=10), st.lists(st.sampled_from(SYMBOLS), max_size=3),
    st.dictionaries(st.sampled_from(SYMBOLS + NOT_ELEMENTS), st.one_of(
        st.floats(max_value=0), st.just(float("nan")), st.just(float("inf")), st.text(max_size=5),
        st.none(), st.lists(st.integers(), max_size=2)), min_size=0, max_size=4),
    st.dictionaries(st.sampled_from(NOT_ELEMENTS), st.floats(0.1, 10), min_size=1, max_size=3),
)


@settings(max_examples=500, deadline=None)
@given(value=bad_values)
def test_bad_values_and_mappings_get_a_clear_error(value: object) -> None:
    if isinstance(value, dict) and value and all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                                 and math.isfinite(v) and v > 0 for v in value.values()) \
            and not set(value) & set(NOT_ELEMENTS):
        return  # not bad (cannot happen with the strategies above; kept as a guard)
    try:
        parsed = parse_composition(value)  # type: ignore[arg-type]
    except CompositionError as exc:
        _check_error(exc, value if not isinstance(value, dict) else str(dict(value)))
    else:
        raise AssertionError(f"{value!r} was accepted as {parsed.key}")


@settings(max_examples=500, deadline=None)
@given(text=st.one_of(
    st.lists(st.sampled_from(FORMULA_CHARS + EXOTIC), max_size=40).map("".join),
    st.tuples(valid_formulas, st.integers(0, 60),
              st.lists(st.sampled_from(FORMULA_CHARS + EXOTIC), min_size=1, max_size=4).map("".join)).map(
        lambda t: _insert(*t)),
))
def test_any_text_is_parsed_or_refused_clearly(text: str) -> None:
    """Mutated and random formula text: either a clean error or a sound composition."""
    try:
        parsed = parse_composition(text)
    except CompositionError as exc:
        _check_error(exc, text)
        return
    assert isinstance(parsed, ParsedComposition)
    values = list(parsed.fractions.values())
    assert values and all(math.isfinite(v) and 0 < v <= 1 for v in values)
    assert math.isclose(sum(values), 1.0, rel_tol=1e-9)
    assert list(parsed.fractions) == sorted(parsed.fractions)
    # the key names the same alloy to the key's precision (1e-4), and parsing it again
    # gives the key back (labels entered under a suggestion's key reach that alloy)
    again = parse_composition(parsed.key)
    assert again.key == parsed.key
    assert set(again.fractions) <= set(parsed.fractions)
    tolerance = 1e-4 * len(parsed.fractions)  # each rounding is 5e-5 at most; renormalizing adds them
    assert all(abs(again.fractions.get(el, 0.0) - f) <= tolerance for el, f in parsed.fractions.items())


@settings(max_examples=500, deadline=None)
@given(amounts=st.dictionaries(
    st.sampled_from(["Al", "Co", "Cr", "Cu", "Fe", "Hf", "Mn", "Mo", "Nb", "Ni", "Ta", "Ti", "V", "W", "Zr"]),
    st.one_of(st.integers(1, 90), st.floats(0.001, 5.0)), min_size=1, max_size=12))
def test_a_key_parses_back_to_itself(amounts: dict[str, float]) -> None:
    """The fixed-point property, on compositions of up to 12 elements in ratios and at.%.
    An element whose share rounds to zero in the key is refused, naming it (issue 28)."""
    try:
        key = parse_composition(amounts).key
    except CompositionError as exc:
        _check_vanished(exc, amounts)
        return
    assert parse_composition(key).key == key
    assert parse_composition(parse_composition(key)).key == key


# Amounts as a spreadsheet writes them: integers and decimals with up to 4 places.
decimal_amounts = st.one_of(st.integers(1, 99).map(str), st.tuples(st.integers(0, 99), st.integers(1, 9999)).map(
    lambda t: f"{t[0]}.{t[1]:04d}".rstrip("0")))
compositions = st.lists(st.tuples(st.sampled_from(SYMBOLS), decimal_amounts), min_size=1, max_size=8,
                        unique_by=lambda p: p[0])


@settings(max_examples=500, deadline=None)
@given(parts=compositions, separator=st.sampled_from(["", " ", "-"]))
def test_decimal_comma_and_point_give_the_same_alloy(parts: list[tuple[str, str]], separator: str) -> None:
    """Issue 17: Al0,5CoCrFeNi was read as Al5 + CoCrFeNi. A comma between digits is a
    decimal separator, so both spellings name one alloy, the one the amounts say."""
    point = separator.join(sym + amount for sym, amount in parts)
    comma = point.replace(".", ",")
    expected = {sym: float(amount) for sym, amount in parts}
    if min(expected.values()) / sum(expected.values()) < 5e-5:  # refused alike, naming the element
        for text in (point, comma):
            with pytest.raises(CompositionError) as info:
                parse_composition(text)
            _check_vanished(info.value, expected)
        return
    assert parse_composition(comma).key == parse_composition(point).key
    assert parse_composition(comma).key == parse_composition(expected).key


@settings(max_examples=300, deadline=None)
@given(parts=compositions, zero=st.sampled_from(SYMBOLS), zero_text=st.sampled_from(["0", "0.0", "0,0", "00", ".0"]),
       unit=st.sampled_from(["", " at.%", "at%", " (at.%)", " at. %", " mol%"]), subscripts=st.booleans())
def test_zero_amounts_units_and_subscripts_keep_the_alloy(parts: list[tuple[str, str]], zero: str, zero_text: str,
                                                         unit: str, subscripts: bool) -> None:
    """An element at zero is absent, an at.% unit changes nothing, subscripts are digits."""
    plain = "".join(sym + amount for sym, amount in parts)
    written = "".join(sym + (amount.translate(SUBSCRIPT) if subscripts and "." not in amount else amount)
                      for sym, amount in parts)
    if zero not in {sym for sym, _ in parts}:
        written = zero + zero_text + written
    expected = {sym: float(amount) for sym, amount in parts}
    if min(expected.values()) / sum(expected.values()) < 5e-5:  # an element the key rounds away
        with pytest.raises(CompositionError) as info:
            parse_composition(written + unit)
        _check_vanished(info.value, expected)
        return
    assert parse_composition(written + unit).key == parse_composition(plain).key
