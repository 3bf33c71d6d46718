"""Issue 33: the label list, an alloy's history, the conflicts page and the audit log read at
1280×800 in Chromium: at least 12 label rows on the first screen, an alloy name on one or
two lines and never broken inside an element's amount, the audit note a readable column,
disagreeing labels shown grouped by outcome rather than as one paragraph."""

from __future__ import annotations

import re

import pytest

from alloyloop.db.audit import add_label_audited, supersede_label_audited
from alloyloop.featurize.composition import parse_composition
from alloyloop.web.alloy_display import alloy_text
from alloyloop.web.uploads import store_bytes

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery"
# at.% notations of 27 to 45 characters (4-decimal keys of five to seven elements)
ALLOYS = ("Al0.0412Co0.1903Cr0.1855Cu0.0911Fe0.2461Ni0.2458", "Al0.0737Co0.2263Cr0.2158Fe0.2421Ni0.2421",
          "Al0.0412Co0.1503Cr0.1455Cu0.0911Fe0.2061Mn0.12Ni0.2458", "Co0.1111Cr0.1111Fe0.2222Mn0.3333Ni0.2223",
          "CoCrFeMnNi", "Al0.3CoCrFeNi")
NOTE = "grain boundary precipitates seen only in the backscatter image; repeated on a second ingot next week"
SCAN = "Al4Co19Cr18Cu9Fe25Ni25_annealed_1100C_24h_XRD_pattern_from_the_diffractometer_in_room_B112.xy"


@pytest.fixture
def labelled(live_server):  # noqa: ANN001, ANN201
    """36 labels: long names, notes, evidence files and DOIs, routes, a correction. The first
    alloy's experiment labels disagree (a conflict); the second's and the last's literature
    labels that disagree are overridden by experiment."""
    lab = live_server.lab
    with lab.session() as s:
        scan = store_bytes(lab.data_dir / "evidence", b"43.4 1000\n50.5 430\n", "xy", SCAN)
        made = []
        for i in range(36):
            key = ALLOYS[i % len(ALLOYS)]
            source = "experiment" if (i // len(ALLOYS)) % 2 == 0 or i % len(ALLOYS) == 0 else "literature"
            outcome = ("single", "multi")[(i // len(ALLOYS)) % 2] if i % len(ALLOYS) in (0, 1) else "single"
            made.append(add_label_audited(
                s, actor="lee", composition=key, outcome=outcome, source=source,
                method="XRD" if source == "experiment" else None, phases="FCC" if outcome == "single" else "FCC+BCC",
                processing="annealed 1100C 24h" if i % 3 == 0 else ("as-cast" if i % 3 == 1 else None),
                entered_by="lee" if i % 2 else "ada", note=NOTE if i % 2 == 0 else None,
                evidence_uri=scan.uri if i % 4 == 0 else f"https://doi.org/10.1016/j.actamat.2026.{117000 + i}",
                repeat=True))
        supersede_label_audited(s, made[-1].id, actor="lee", outcome="multi", phases="FCC+BCC",
                                note="a second look at the pattern: a weak BCC (110) peak at 44.6 degrees")
    return live_server


def _log_in(page, base: str) -> None:  # noqa: ANN001
    page.goto(f"{base}/login")
    page.fill("input[name=name]", "lee")
    page.fill("input[name=password]", PASSWORD)
    page.click("form.stack button[type=submit]")
    page.wait_for_url(f"{base}/campaigns")


LINES = """els => els.map(el => {
  const box = el.getBoundingClientRect();
  const line = parseFloat(getComputedStyle(el).lineHeight);
  return {text: el.innerText, title: el.title, height: box.height, line: line,
          pieces: Array.from(el.querySelectorAll('.el')).map(p => p.getBoundingClientRect().height)};
})"""


def test_a_screen_of_the_label_list_holds_a_dozen_labels_and_alloys_in_two_lines(page, labelled) -> None:  # noqa: ANN001
    base = labelled.base_url
    _log_in(page, base)
    page.goto(f"{base}/labels")
    assert page.viewport_size == {"width": 1280, "height": 800}
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    bottoms = page.eval_on_selector_all("#labels tbody tr", "rows => rows.map(r => r.getBoundingClientRect().bottom)")
    assert len(bottoms) == 37
    visible = sum(b <= 800 for b in bottoms)
    assert visible >= 12, f"{visible} label rows on the first screen"
    names = page.eval_on_selector_all("#labels tbody td .alloy", LINES)
    assert len(names) == 37
    for name in names:
        lines = name["height"] / name["line"]
        assert lines <= 2.2, name  # one or two lines
        assert all(h <= name["line"] * 1.2 for h in name["pieces"]), name  # no element piece broken
        notation = name["text"].replace("\n", "")
        key = parse_composition(notation).key
        assert alloy_text(key).notation == notation and f"key {key}" in name["title"]  # the key on hover
    heights = {n["text"].replace("\n", ""): n["height"] / n["line"] for n in names}
    longest = max(heights, key=len)
    assert len(longest) >= 40 and heights[longest] > 1.5  # the long names do take their second line
    assert heights["Al0.3CoCrFeNi"] < 1.5
    # the note and the evidence are there, whole on hover
    note = page.locator("#labels tbody td.note .clip").first
    assert note.get_attribute("title") in (NOTE, "a second look at the pattern: a weak BCC (110) peak at 44.6 degrees")
    assert page.locator(f"#labels a.clip[title='{SCAN}']").count() == 9


def test_an_alloys_history_compares_its_disagreeing_labels(page, labelled) -> None:  # noqa: ANN001
    base = labelled.base_url
    _log_in(page, base)
    page.goto(f"{base}/labels?composition={ALLOYS[0]}")
    verdict = page.inner_text("#resolution")
    assert re.search(r"excluded — experiment labels disagree \((3 single, 3 multi|3 multi, 3 single)\)", verdict)
    sides = page.locator("#resolution ul.sides li").all_inner_texts()
    assert [s.split(" ")[0] for s in sides] == ["multi", "single"] or [s.split(" ")[0] for s in sides] == ["single", "multi"]
    ids = sorted(int(t.lstrip("#")) for s in sides for t in s.split(": ")[1].split())
    rows = sorted(int(r.removeprefix("label-")) for r in
                  page.eval_on_selector_all("#labels tbody tr:not(.superseded)", "rs => rs.map(r => r.id)"))
    assert ids == rows  # every current label on one side, once


def test_the_conflicts_page_groups_each_alloys_labels_by_outcome(page, labelled) -> None:  # noqa: ANN001
    base = labelled.base_url
    _log_in(page, base)
    page.goto(f"{base}/labels/conflicts")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    assert "3 alloys whose current labels disagree" in page.inner_text("#conflict-count")
    sections = page.locator("section.conflict")
    assert sections.count() == 3
    by_key = {}
    for i in range(3):
        section = sections.nth(i)
        key = section.locator("h2 .alloy").get_attribute("title").split("key ")[1]
        sides = {s.get_attribute("data-outcome"): s.locator("tr").count() for s in section.locator("tbody.side").all()}
        by_key[key] = (i, section.locator("p.verdict").inner_text(), sides)
    first, second, last = (parse_composition(a).key for a in (ALLOYS[0], ALLOYS[1], ALLOYS[-1]))
    # the experiment labels disagree: excluded
    assert re.search(r"excluded — experiment labels disagree \((3 single, 3 multi|3 multi, 3 single)\)", by_key[first][1])
    assert by_key[first][2] == {"single": 3, "multi": 3}
    # experiment decides; the literature labels that disagree are overridden
    assert by_key[second][1].startswith("Training label: single — decided by experiment (3 single); overrides literature")
    assert by_key[second][2] == {"single": 3, "multi": 3}
    overridden = sections.nth(by_key[second][0]).locator("tr.overridden td.source").all_inner_texts()
    assert overridden == ["literature/unreported (overridden)"] * 3
    # the corrected literature label now disagrees, and is overridden as well
    assert by_key[last][2] == {"single": 5, "multi": 1} and "decided by experiment (3 single)" in by_key[last][1]


def test_the_audit_log_shows_what_changed_and_a_readable_note(page, labelled) -> None:  # noqa: ANN001
    base = labelled.base_url
    _log_in(page, base)
    page.goto(f"{base}/audit")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    row = page.locator("#audit tbody tr", has_text="label.supersede").first
    change = row.locator("td.change").inner_text()
    assert "outcome single → multi" in change and "phases FCC → FCC+BCC" in change
    note = row.locator("td.note")
    box = note.bounding_box()
    line = float(note.evaluate("el => parseFloat(getComputedStyle(el).lineHeight)"))
    assert box["width"] >= 180, box  # about 25 characters or more a line, not five
    assert box["height"] <= 4 * line + 8, box
    assert note.inner_text() == "a second look at the pattern: a weak BCC (110) peak at 44.6 degrees"
