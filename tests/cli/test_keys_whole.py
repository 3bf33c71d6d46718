"""Issue 33: in an 80-column terminal ``label list``, ``label conflicts`` and ``campaign
suggestions`` print every alloy key (or, in the suggestion list, its exact notation) whole
on one line, so it can be copied into the next command, and split no word of the store's
vocabulary ("literatu" / "re"); ``label list`` shows each label's evidence and note.
A real ``alloyloop`` process with ``COLUMNS=80``, as a terminal of that width sets it."""

from __future__ import annotations

import re

import pytest

from alloyloop.agent.label_services import add_label
from alloyloop.db.campaigns import SuggestionInput
from alloyloop.db.engine import make_engine, open_session
from alloyloop.featurize.composition import parse_composition
from alloyloop.web.alloy_display import alloy_text
from tests.fixtures.terminal import alloyloop, fits, no_word_split, whole_on_a_line

CAMPAIGN = "keys-whole-campaign"
# six-element alloys with 4-decimal keys (48 characters): too long for any table column at 80
LONG = ("Al0.0196Co0.1961Cr0.1961Fe0.1961Mn0.1961Ni0.1961", "Al0.0737Co0.2263Cr0.2158Fe0.2421Ni0.2421",
        "Co0.1111Cr0.1111Fe0.2222Mn0.3333Ni0.2223", "Al0.0412Co0.1903Cr0.1855Cu0.0911Fe0.2461Ni0.2458")
SHORT = ("CoCrFeMnNi", "Al0.3CoCrFeNi")
KEYS = [parse_composition(a).key for a in LONG + SHORT]
NOTE = "weak reflection near 44.5 degrees after annealing; the literature value disagrees"
EVIDENCE = "https://doi.org/10.1016/j.actamat.2026.117345"


def _labels(url: str) -> None:
    """Every alloy: labels of several sources, methods and routes; the long-key alloys
    disagree within one source (conflicts), one with a correction; notes and evidence."""
    engine = make_engine(url)
    try:
        with open_session(engine) as s:
            for i, key in enumerate(KEYS):
                for j, (outcome, source, method) in enumerate((("single", "literature", "unreported"),
                                                               ("multi", "literature", None),
                                                               ("single", "experiment", "XRD"),
                                                               ("multi" if i < len(LONG) else "single", "experiment", "SEM"))):
                    add_label(s, actor="test", composition=key, outcome=outcome, source=source, method=method,
                              phases="FCC" if outcome == "single" else "FCC+BCC",
                              processing="annealed 1100C 24h" if j == 2 else None,
                              entered_by=("lee", "ada")[j % 2], note=NOTE if j % 2 == 0 else None,
                              evidence_uri=EVIDENCE if j != 1 else "doi:10.1016/j.jallcom.2026.170001")
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> str:
    import dataclasses

    from alloyloop.agent.campaign_ops import create_from_spec
    from alloyloop.campaigns.bundled import load_example
    from alloyloop.db.campaigns import add_suggestions, finish_round, start_round
    from alloyloop.db.migrate import upgrade

    url = f"sqlite:///{tmp_path_factory.mktemp('keys') / 'store.sqlite3'}"
    engine = make_engine(url)
    try:
        upgrade(engine)
        with open_session(engine) as s:
            create_from_spec(s, dataclasses.replace(load_example("cantor-fcc"), name=CAMPAIGN))
            rnd = start_round(s, CAMPAIGN, data_hash="0" * 64, seed=0)
            add_suggestions(s, rnd.id, [SuggestionInput(k, ("latent_region", "botorch")[i % 2], p_single=0.81,
                                                        interval=(0.5, 0.9), prediction_set=["single", "multi"],
                                                        in_domain=True) for i, k in enumerate(KEYS)])
            finish_round(s, rnd.id)
    finally:
        engine.dispose()
    _labels(url)
    return url


def test_label_list_keeps_the_key_whole_and_shows_evidence_and_note(store: str) -> None:
    for key in KEYS:
        out = alloyloop("label", "list", key, "--url", store)
        fits(out)
        no_word_split(out)
        whole_on_a_line(out, [key, alloy_text(key).notation, EVIDENCE, "doi:10.1016/j.jallcom.2026.170001"])
        # the note, word by word in order (it is free text: it may wrap between words)
        words = re.findall(r"\S+", out)
        start = words.index("weak")
        assert words[start: start + len(NOTE.split())] == NOTE.split(), out
        assert out.count("annealed 1100 °C 24 h") == 1
        assert len(re.findall(r"^#\d+ ", out, re.MULTILINE)) == 4  # one record a label


def test_label_list_is_a_table_when_the_terminal_is_wide_enough(store: str) -> None:
    out = alloyloop("label", "list", KEYS[0], "--url", store, columns=220)
    fits(out, 220)
    header = next(line for line in out.splitlines() if line.split()[:3] == ["id", "outcome", "status"])
    assert "evidence" in header and "note" in header
    assert sum(EVIDENCE in line and "experiment/XRD" in line for line in out.splitlines()) == 1


def test_label_conflicts_shows_every_key_whole_and_which_labels_disagree(store: str) -> None:
    out = alloyloop("label", "conflicts", "--url", store)
    fits(out)
    no_word_split(out)
    # every alloy's current labels disagree (its two literature labels do): all are listed
    assert f"{len(KEYS)} alloy(s) with conflicting labels" in out
    whole_on_a_line(out, KEYS)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d", d) for d in re.findall(r"\b\d{4}-[\d-]*", out)), out  # dates whole
    blocks = {key: next(b for b in out.split("\n\n") if key in b) for key in KEYS}
    for key in map(lambda a: parse_composition(a).key, LONG):  # the experiment labels disagree: excluded
        assert re.search(r"excluded: experiment labels disagree \((1 single, 1 multi|1 multi, 1 single)\)",
                         " ".join(blocks[key].split())), blocks[key]
        assert re.search(r"single \(2, experiment, literature\): #\d+ #\d+\n", blocks[key]), blocks[key]
        assert re.search(r"multi \(2, experiment, literature\): #\d+ #\d+\n", blocks[key]), blocks[key]
    for key in map(lambda a: parse_composition(a).key, SHORT):  # experiment agrees: literature is overridden
        assert re.search(r"single: decided by experiment \(2 single\); overrides literature \(#\d+\)",
                         " ".join(blocks[key].split())), blocks[key]
        assert re.search(r"multi \(1, literature\): #\d+\n", blocks[key]), blocks[key]


def test_campaign_suggestions_keeps_each_alloy_whole(store: str) -> None:
    out = alloyloop("campaign", "suggestions", CAMPAIGN, "--url", store)
    fits(out)
    no_word_split(out)
    names = [alloy_text(k).notation for k in KEYS]
    assert max(map(len, names)) >= 40
    whole_on_a_line(out, names)
    assert all(parse_composition(n).key == k for n, k in zip(names, KEYS))  # a copied name is the stored alloy
