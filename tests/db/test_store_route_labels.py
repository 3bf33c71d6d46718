"""The processing route of each training row: the resolved label's, with labels of
several routes (agreeing, or disagreeing by route: not a conflict)."""

from __future__ import annotations

from alloyloop.db.labels import add_label
from alloyloop.db.resolver import resolve_alloy, training_frame
from alloyloop.db.vocab import ProcessingKind
from alloyloop.models.processing import ROUTES


def _exp(session, comp: str, outcome: str, processing: str | None = None):  # noqa: ANN001, ANN202
    return add_label(session, composition=comp, outcome=outcome, source="experiment",
                     method="XRD", processing=processing)


def test_the_row_carries_the_route_of_its_label(session) -> None:  # noqa: ANN001
    _exp(session, "CoCrFeMnNi", "single", "annealed 1100C 24h")
    _exp(session, "AlCoCrFeNi", "multi", "as-cast")
    _exp(session, "NbMoTaW", "single")
    frame = training_frame(session).set_index("key")
    assert frame["processing"].to_dict() == {
        "Co0.2Cr0.2Fe0.2Mn0.2Ni0.2": "annealed", "Al0.2Co0.2Cr0.2Fe0.2Ni0.2": "as-cast",
        "Mo0.25Nb0.25Ta0.25W0.25": None}
    assert ROUTES == tuple(k.value for k in ProcessingKind)  # the model's routes are the store's


def test_agreeing_labels_take_the_newest_named_route(session) -> None:  # noqa: ANN001
    _exp(session, "CoCrFeNi", "single", "as-cast")
    _exp(session, "CoCrFeNi", "single", "wrought")
    newest = _exp(session, "CoCrFeNi", "single")  # no route: the wrought one still says
    res = resolve_alloy(session, "CoCrFeNi")
    assert (res.outcome, res.label_id, res.processing) == ("single", newest.id, "wrought")
    assert res.reason.startswith("experiment: 3 agreeing labels")


def test_labels_that_differ_by_route_are_not_a_conflict(session) -> None:  # noqa: ANN001
    cast = _exp(session, "AlCoCrFeNi", "multi", "as-cast")
    annealed = _exp(session, "AlCoCrFeNi", "single", "annealed")
    res = resolve_alloy(session, "AlCoCrFeNi")
    assert res.included and (res.outcome, res.processing, res.label_id) == (
        "single", "annealed", annealed.id)
    assert (f"labels differ by processing route (as-cast: multi (#{cast.id}); annealed: "
            f"single (#{annealed.id})), not a conflict") in res.reason
    row = training_frame(session).iloc[0]
    assert (row["outcome"], row["processing"]) == ("single", "annealed")


def test_disagreement_routes_do_not_explain_stays_a_conflict(session) -> None:  # noqa: ANN001
    _exp(session, "CoCrFeMnNi", "single", "annealed")
    _exp(session, "CoCrFeMnNi", "multi", "annealed")  # one route, two outcomes
    _exp(session, "CoFeNi", "single", "as-cast")
    _exp(session, "CoFeNi", "multi")  # the unreported one may be as-cast too
    for comp in ("CoCrFeMnNi", "CoFeNi"):
        res = resolve_alloy(session, comp)
        assert not res.included and res.reason.startswith("excluded: unresolved conflict")
    assert training_frame(session).empty
