"""The dashboard plots' numbers, from the store (SQLite; PostgreSQL too for the figures
of the shared data): hits per strategy against
random's expectation, the reliability of p(FCC) as stored at suggestion time, and the
newest round's latent map from its checkpoint. The data: ``discovery_round`` in
conftest.py (an FCC campaign, so every figure is about p(FCC) and FCC hits)."""

from __future__ import annotations

import numpy as np
import pytest

from alloyloop.agent.discovery import hit_curves
from alloyloop.agent.latent_points import latent_map
from alloyloop.agent.suggestion_reliability import reliability
from alloyloop.db.audit import add_label_audited
from alloyloop.db.campaigns import list_suggestions
from alloyloop.featurize.composition import parse_composition
from alloyloop.featurize.matrix import fraction_matrix
from alloyloop.models.dvae import DisentangledVAE
from alloyloop.web import services


def _curve(data, strategy: str) -> list[tuple[int, int]]:
    found = [c for c in data.curves if c.strategy == strategy]
    return [(p.n, p.hits) for p in found[0].points]


def test_hit_curves_count_fcc_hits_per_strategy_in_the_order_suggested(discovered_any) -> None:  # noqa: ANN001
    with discovered_any.lab.session() as s:
        data = hit_curves(s, discovered_any.lab.campaign)
    assert data.target == "FCC"
    assert [c.strategy for c in data.curves] == ["botorch", "random", "screen"]
    assert _curve(data, "botorch") == [(1, 1), (2, 2), (3, 2)]  # FCC, FCC, multi
    assert _curve(data, "random") == [(1, 1), (2, 1)]  # FCC, then single-phase BCC: no FCC hit
    # round 0's CoCrFeMnNi (FCC) first, then a single-phase label naming no structure
    assert _curve(data, "screen") == [(1, 1), (2, 1)]
    assert data.max_n == 3


def test_random_expectation_is_the_campaigns_random_picks_without_a_pool(discovered_any) -> None:  # noqa: ANN001
    with discovered_any.lab.session() as s:
        e = hit_curves(s, discovered_any.lab.campaign).expectation
    assert (e.source, e.hits, e.labelled, e.rate) == ("random", 1, 2, 0.5)
    assert e.expected(3) == 1.5
    assert "1 of 2" in e.basis and "single-phase FCC" in e.basis


def test_without_random_picks_the_rate_is_the_design_spaces_labelled_alloys(lab) -> None:  # noqa: ANN001
    """No labelled suggestion at all: the store's labelled alloys inside the design space
    (Al <= 15 at.%, 4-6 elements, VEC >= 7.8 …) give the rate; alloys outside do not count."""
    with lab.session() as s:
        for composition, outcome, phases in (("Co25Cr15Fe20Mn20Ni20", "single", "FCC"),
                                             ("Co30Cr15Fe20Mn15Ni20", "single", "FCC"),
                                             ("Al10Co25Cr20Fe20Ni25", "multi", "FCC+BCC"),
                                             ("Al5Co20Cr25Fe25Mn25", "single", "FCC"),  # VEC 7.2 < 7.8: outside
                                             ("AlCoCrFeNi", "single", "BCC"),       # Al 20 at.%: outside
                                             ("CuNi", "single", "FCC")):           # other elements: outside
            add_label_audited(s, actor="lee", composition=composition, outcome=outcome, phases=phases,
                              source="experiment", method="XRD", entered_by="lee")
        data = hit_curves(s, lab.campaign)
        assert data.curves == ()
        assert (data.expectation.source, data.expectation.hits, data.expectation.labelled) == ("design space", 2, 3)
        # the labels are read again once one is added (the resolved labels are kept until then)
        add_label_audited(s, actor="lee", composition="Co20Cr25Fe25Mn10Ni20", outcome="single", phases="FCC",
                          source="literature", entered_by="lee", evidence_uri="doi:10.1000/1")
        again = hit_curves(s, lab.campaign).expectation
    assert (again.hits, again.labelled) == (3, 4)


def test_pool_base_rate_is_the_expectation_with_a_pool(lab, tmp_path) -> None:  # noqa: ANN001
    """A campaign with a [pool]: the share of FCC hits among the pool's labelled alloys
    that the design space allows (the ones its strategies may pick)."""
    from alloyloop.agent.campaign_ops import create_from_spec, spec_of
    from alloyloop.campaigns.spec import parse_spec

    pool = tmp_path / "pool.txt"
    pool.write_text("Co25Cr15Fe20Mn20Ni20\nCo30Cr15Fe20Mn15Ni20\nAl10Co25Cr20Fe20Ni25\nAl5Co20Cr25Fe25Mn25\n"
                    "Co30Cr20Fe20Mn10Ni20\n",
                    encoding="utf-8")
    with lab.session() as s:
        spec = spec_of(s, lab.campaign).to_dict() | {
            "name": "pooled", "pool": {"source": "file", "path": str(pool)},
            "strategies": {"botorch": 3, "screen": 5}}  # strategies that pick from a pool
        create_from_spec(s, parse_spec(spec))
        for composition, outcome, phases in (("Co25Cr15Fe20Mn20Ni20", "single", "FCC"),
                                             ("Co30Cr15Fe20Mn15Ni20", "single", "BCC"),
                                             ("Al10Co25Cr20Fe20Ni25", "multi", "FCC+BCC"),
                                             ("Al5Co20Cr25Fe25Mn25", "single", "FCC"),  # VEC 7.2: outside the space
                                             ("Co20Cr20Ni60", "single", "FCC")):  # not in the pool
            add_label_audited(s, actor="lee", composition=composition, outcome=outcome, phases=phases,
                              source="experiment", method="XRD", entered_by="lee")
        e = hit_curves(s, "pooled").expectation
    assert (e.source, e.hits, e.labelled) == ("pool", 1, 3)
    assert e.rate == pytest.approx(1 / 3)


def test_reliability_bins_the_stored_p_fcc_against_fcc_outcomes(discovered_any) -> None:  # noqa: ANN001
    with discovered_any.lab.session() as s:
        data = reliability(s, discovered_any.lab.campaign)
    assert data.target == "FCC"
    assert [b.low for b in data.bins] == pytest.approx([0.0, 0.2, 0.4, 0.6, 0.8])
    assert [b.high for b in data.bins] == pytest.approx([0.2, 0.4, 0.6, 0.8, 1.0])
    assert [(b.count, b.hits) for b in data.bins] == [(1, 0), (1, 0), (1, 1), (0, 0), (2, 2)]
    means = [b.mean_predicted for b in data.bins]
    assert means[3] is None and means[:3] + means[4:] == pytest.approx([0.15, 0.35, 0.45, 0.875])
    assert [b.observed for b in data.bins] == [0.0, 0.0, 1.0, None, 1.0]
    # round 0's suggestion has no stored p(FCC); Al5Co20Cr25Fe25Mn25's label names no structure
    assert (data.without_prediction, data.unknown_outcome, data.count) == (1, 1, 5)
    assert data.ece == pytest.approx((0.15 + 0.35 + 0.55 + 2 * 0.125) / 5)


def test_latent_map_encodes_the_labelled_alloys_with_the_rounds_checkpoint(discovered_any) -> None:  # noqa: ANN001
    model = DisentangledVAE.load(discovered_any.checkpoint)
    with discovered_any.lab.session() as s:
        data = latent_map(s, discovered_any.lab.campaign)
        stored = {x.id: x for x in list_suggestions(s, round_id=discovered_any.round_id)}
    assert (data.round_index, data.target, data.latent_dim, data.problem) == (1, "FCC", 2, None)
    # every labelled alloy of the store (the model's elements): the six labelled suggestions
    kinds = {p.key: p.kind for p in data.labelled}
    assert kinds == {parse_composition("CoCrFeMnNi").key: "hit", parse_composition("Co25Cr15Fe20Mn20Ni20").key: "hit",
                     parse_composition("Al5Co25Cr20Fe25Ni25").key: "hit",
                     parse_composition("Al15Co20Cr25Fe20Ni20").key: "other",
                     parse_composition("Al10Co25Cr20Fe20Ni25").key: "hit",
                     parse_composition("Al15Co15Cr15Fe15Mn20Ni20").key: "other",
                     parse_composition("Al5Co20Cr25Fe25Mn25").key: "unknown"}
    x = fraction_matrix([parse_composition(p.key).fractions for p in data.labelled], model.elements)
    assert np.array([[p.z1, p.z2] for p in data.labelled]) == pytest.approx(model.encode(x))
    # this round's seven suggestions: stored coordinates where stored, else the model's
    assert sorted(p.suggestion_id for p in data.suggested) == sorted(stored)
    for p in data.suggested:
        latent = stored[p.suggestion_id].extra.get("latent")
        expected = latent if latent is not None else model.encode(
            fraction_matrix([parse_composition(p.key).fractions], model.elements))[0]
        assert [p.z1, p.z2] == pytest.approx(list(expected))
    assert sum("latent" in x.extra for x in stored.values()) == 5


def test_latent_map_says_why_there_is_none(lab, discovered) -> None:  # noqa: ANN001
    with lab.session() as s:
        assert latent_map(s, lab.campaign).problem is None
    for file in discovered.checkpoint.iterdir():
        file.unlink()
    with lab.session() as s:
        missing = latent_map(s, lab.campaign)
    assert missing.problem.startswith("the checkpoint of round 1 is missing") and missing.labelled == ()


def test_a_campaign_without_a_model_has_no_map_and_empty_curves(lab) -> None:  # noqa: ANN001
    with lab.session() as s:
        plots = services.discovery_plots(s, lab.campaign)
    assert plots.latent.problem == "no round has trained a model yet"
    assert plots.hits.curves == () and plots.reliability.count == 0
