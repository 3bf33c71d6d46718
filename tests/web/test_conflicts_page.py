"""Issue 33: disagreeing labels are compared, grouped by outcome (``/labels/conflicts`` and an
alloy's history), and the audit log lists what changed, field by field; on both backends."""

from __future__ import annotations

import re

from alloyloop.db.audit import add_label_audited, supersede_label_audited
from alloyloop.featurize.composition import parse_composition
from alloyloop.web.audit_view import audit_changes


def _sides(html: str) -> dict[str, list[int]]:
    """``{outcome: [label ids]}`` of each group of a comparison table."""
    return {outcome: [int(i) for i in re.findall(r'<a href="/labels/(\d+)">#', body)]
            for outcome, body in re.findall(r'<tbody class="side" data-outcome="(\w+)">(.*?)</tbody>', html, re.S)}


def test_conflicts_and_history_group_the_labels_by_outcome(client_any, lab_any, page_login) -> None:  # noqa: ANN001
    with lab_any.session() as s:
        ids = {}
        for name, outcome, source, method in (("a", "single", "experiment", "XRD"), ("b", "multi", "experiment", "SEM"),
                                              ("c", "multi", "literature", None), ("d", "single", "experiment", "XRD")):
            ids[name] = add_label_audited(s, actor="lee", composition="Al0.7CoCrFeNi", outcome=outcome, source=source,
                                          method=method, entered_by="lee", repeat=True).id
        # an alloy whose literature label is overridden by experiment, and one that agrees
        over = [add_label_audited(s, actor="lee", composition="CoCrNi", outcome=o, source=src, method=m).id
                for o, src, m in (("single", "experiment", "XRD"), ("multi", "literature", None))]
        add_label_audited(s, actor="lee", composition="CoCrFeNi", outcome="single", source="experiment", method="XRD")
        fixed = supersede_label_audited(s, ids["d"], actor="lee", outcome="multi", note="re-read the pattern").id
    page_login(client_any, "val")  # a viewer may read it
    page = client_any.get("/labels/conflicts")
    assert page.status_code == 200
    assert "2 alloys whose current labels disagree" in page.text
    sections = page.text.split('<section class="conflict"')[1:]
    by_key = {re.search(r'title="[^"]*key ([^"]+)"', sec).group(1): sec for sec in sections}
    conflicted, overridden = parse_composition("Al0.7CoCrFeNi").key, parse_composition("CoCrNi").key
    assert set(by_key) == {conflicted, overridden}
    # newest first within a side; the superseded label #d is left out, its correction counts
    assert _sides(by_key[conflicted]) == {"multi": [fixed, ids["b"], ids["c"]], "single": [ids["a"]]}
    assert "excluded</strong> — experiment labels disagree (2 multi, 1 single)" in by_key[conflicted]
    assert _sides(by_key[overridden]) == {"single": [over[0]], "multi": [over[1]]}
    assert f"single</strong> — decided by experiment (1 single); overrides literature (#{over[1]})" in by_key[overridden]
    assert by_key[overridden].count("(overridden)") == 1

    history = client_any.get("/labels", params={"composition": "Al0.7CoCrFeNi"}).text
    resolution = re.search(r'<div id="resolution".*?</div>', history, re.S).group(0)
    sides = dict(re.findall(r'<span class="outcome">(\w+)</span> \(\d+, [\w, ]+\): ((?:<a href="#label-\d+">#\d+</a> )+)',
                            resolution))
    assert {k: [int(i) for i in re.findall(r"#(\d+)<", v)] for k, v in sides.items()} == {
        "multi": [fixed, ids["b"], ids["c"]], "single": [ids["a"]]}

    audit = client_any.get("/audit").text
    row = next(r for r in audit.split("<tr>") if "label.supersede" in r)
    assert '<span class="k">outcome</span> <del>single</del> → multi' in row
    assert '<span class="k">note</span> re-read the pattern' in row and '<td class="note">re-read the pattern</td>' in row


def test_audit_changes_name_each_field_once() -> None:
    before = {"alloy": "Co0.5Ni0.5", "outcome": "single", "phases": ["FCC"], "method": "XRD", "note": "old", "id": 4}
    after = {"alloy": "Co0.5Ni0.5", "outcome": "multi", "phases": ["FCC"], "method": "XRD", "note": None, "id": 5,
             "evidence_uri": "doi:10.1/x", "entered_by": "lee"}
    shown = [(c.name, c.old, c.new) for c in audit_changes(before, after)]
    assert shown == [("alloy", None, "Co0.5Ni0.5"), ("outcome", "single", "multi"), ("note", "old", None),
                     ("id", 4, 5), ("evidence", None, "doi:10.1/x"), ("by", None, "lee")]
    assert audit_changes(None, None) == [] and [c.changed for c in audit_changes({"a": 1}, {"a": 2})] == [True]
