"""The audit log is written in the same transaction as the change it describes."""

from __future__ import annotations

import pytest

from alloyloop.db import audit as db_audit
from alloyloop.db.audit import add_label_audited, audit_entries, transition_audited
from alloyloop.db.campaigns import SuggestionInput, add_suggestions, create_campaign, start_round
from alloyloop.db.labels import add_label, labels_for
from alloyloop.db.lifecycle import get_suggestion
from alloyloop.db.tx import run_write


def test_a_label_and_its_entry_commit_together(session, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    label = add_label_audited(session, actor="lee", composition="CoCrNi", outcome="single",
                              source="experiment", method="XRD")
    [entry] = audit_entries(session)
    assert (entry.actor, entry.action, entry.target_id) == ("lee", "label.add", label.id)
    assert entry.after["alloy"] == "Co0.3333Cr0.3333Ni0.3333" and entry.at is not None

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("the audit log is unavailable")

    monkeypatch.setattr(db_audit, "record_entry", broken)
    with pytest.raises(RuntimeError, match="unavailable"):
        add_label_audited(session, actor="lee", composition="CoCrFeNi", outcome="single",
                          source="experiment", method="XRD")
    assert labels_for(session, "CoCrFeNi") == []  # no entry, no label
    with pytest.raises(RuntimeError):
        transition_audited(session, _suggestion(session), "queued", actor="lee")
    assert get_suggestion(session, _suggestion(session)).status == "suggested"


def _suggestion(session) -> int:  # noqa: ANN001
    found = session.info.get("test_suggestion")
    if found is None:
        create_campaign(session, "audit-test")
        rnd = start_round(session, "audit-test")
        found = add_suggestions(session, rnd.id, [SuggestionInput("CoCrFeMnNi", "screen")])[0].id
        session.info["test_suggestion"] = found
    return found


def test_nested_writes_join_the_outer_transaction(session) -> None:  # noqa: ANN001
    def work() -> None:
        add_label(session, composition="CoCrNi", outcome="single", source="literature")  # nested run_write
        raise ValueError("the outer unit of work fails after the inner call")

    with pytest.raises(ValueError, match="outer unit"):
        run_write(session, work)
    assert labels_for(session, "CoCrNi") == []  # the inner call did not commit on its own
    with pytest.raises(RuntimeError, match="dry run"):
        run_write(session, lambda: run_write(session, lambda: None, commit=False))
    run_write(session, lambda: add_label(session, composition="CoCrNi", outcome="multi", source="literature"))
    assert [lb.outcome for lb in labels_for(session, "CoCrNi")] == ["multi"]
