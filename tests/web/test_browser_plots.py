"""The dashboard's plots in Chromium at 1280×800 (Playwright): each one drawn from the
store's data — the numbers on its marks (``data-*``) and in its data table are what the
service functions read from the store, and what the store holds — with no request
leaving the app."""

from __future__ import annotations

import pytest

from alloyloop.agent.discovery import hit_curves
from alloyloop.agent.latent_points import latent_map
from alloyloop.agent.suggestion_reliability import reliability
from alloyloop.db.campaigns import list_suggestions

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery"


@pytest.fixture
def dashboard(page, live_server, discovered):  # noqa: ANN001, ANN201
    """The FCC campaign's dashboard after its second round, logged in as lee; the
    addresses of every request the page made."""
    base = live_server.base_url
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.goto(f"{base}/login")
    page.fill("input[name=name]", "lee")
    page.fill("input[name=password]", PASSWORD)
    page.click("form.stack button[type=submit]")
    page.wait_for_url(f"{base}/campaigns")
    page.goto(f"{base}/campaigns/{discovered.lab.campaign}")
    assert all(url.startswith(base) for url in requested), [u for u in requested if not u.startswith(base)]
    return page


def _shown(page, selector: str) -> None:  # noqa: ANN001
    box = page.locator(selector).bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 200, box
    assert box["x"] >= 0 and box["x"] + box["width"] <= 1280, box


def _rows(page, table: str) -> list[list[str]]:  # noqa: ANN001
    return page.eval_on_selector_all(f"{table} tbody tr", "rows => rows.map(r => [...r.cells].map(c => c.textContent.trim()))")


def test_hit_curves_plot_the_stores_hits_per_strategy(dashboard, discovered) -> None:  # noqa: ANN001
    page = dashboard
    with discovered.lab.session() as s:
        data = hit_curves(s, discovered.lab.campaign)
    _shown(page, "#plot-hits")
    curves = page.eval_on_selector_all("#plot-hits g.curve", """gs => gs.map(g => ({
        strategy: g.dataset.strategy, labelled: +g.dataset.labelled, hits: +g.dataset.hits,
        points: [...g.querySelectorAll('circle')].map(c => [+c.dataset.n, +c.dataset.hits, +c.dataset.suggestion])}))""")
    assert curves == [{"strategy": c.strategy, "labelled": c.labelled, "hits": c.hits,
                       "points": [[p.n, p.hits, p.suggestion_id] for p in c.points]} for c in data.curves]
    # what the store holds: botorch FCC, FCC, multi; random FCC then BCC
    assert [c["points"][-1][:2] for c in curves] == [[3, 2], [2, 1], [2, 1]]
    assert float(page.get_attribute("#plot-hits line.expected", "data-rate")) == data.expectation.rate == 0.5
    assert _rows(page, "#table-hits") == [[c.strategy, str(c.labelled), str(c.hits), f"{0.5 * c.labelled:.1f}"]
                                          for c in data.curves]
    assert "1 of 2" in page.inner_text("#figure-hits figcaption")


def test_reliability_diagram_plots_the_stored_p_fcc_per_bin(dashboard, discovered) -> None:  # noqa: ANN001
    page = dashboard
    with discovered.lab.session() as s:
        data = reliability(s, discovered.lab.campaign)
    _shown(page, "#plot-reliability")
    bins = page.eval_on_selector_all("#plot-reliability g.bin", """gs => gs.map(g => [
        +g.dataset.low, +g.dataset.high, +g.dataset.count, +g.dataset.hits,
        g.dataset.meanPredicted === undefined ? null : +g.dataset.meanPredicted,
        g.dataset.observed === undefined ? null : +g.dataset.observed,
        g.querySelector('text.count') ? g.querySelector('text.count').textContent : null])""")
    assert bins == [[b.low, b.high, b.count, b.hits, b.mean_predicted, b.observed,
                     f"n={b.count}" if b.count else None] for b in data.bins]
    assert [row[2] for row in bins] == [1, 1, 1, 0, 2]  # the five labelled p(FCC) of the store
    assert _rows(page, "#table-reliability")[-1] == ["0.8–1.0", "2", "2", "0.88", "1.00"]
    assert page.inner_text("#figure-reliability h2") == "Did p(FCC) come true?"
    assert "1 stored without p(FCC); 1 whose label names no structure" in page.inner_text("#figure-reliability figcaption")


def test_latent_map_plots_the_labelled_alloys_and_this_rounds_suggestions(dashboard, discovered) -> None:  # noqa: ANN001
    page = dashboard
    with discovered.lab.session() as s:
        data = latent_map(s, discovered.lab.campaign)
        stored = {x.id: x for x in list_suggestions(s, round_id=discovered.round_id)}
    _shown(page, "#plot-latent")
    labelled = page.eval_on_selector_all("#plot-latent circle.labelled", """cs => cs.map(c => [
        c.dataset.key, c.dataset.kind, +c.dataset.z1, +c.dataset.z2])""")
    assert labelled == [[p.key, p.kind, p.z1, p.z2] for p in data.labelled]
    stars = page.eval_on_selector_all("#plot-latent polygon.suggested", """ps => ps.map(p => [
        +p.dataset.suggestion, p.dataset.key, +p.dataset.z1, +p.dataset.z2])""")
    assert sorted(s[0] for s in stars) == sorted(stored)
    for sid, key, z1, z2 in stars:  # where the store says the strategies put them
        assert key == stored[sid].alloy_key
        if "latent" in stored[sid].extra:
            assert [z1, z2] == pytest.approx(stored[sid].extra["latent"])
    assert page.inner_text("#figure-latent h2") == "Latent map, round 1"
    assert [row[0] for row in _rows(page, "#table-latent")] == [str(p.suggestion_id) for p in data.suggested]
    assert "single-phase FCC (4)" in page.inner_text("#figure-latent .legend")
