"""The report's Pareto points: dominance, signs of the objectives, the front table."""

import numpy as np

from alloyloop.agent.report.pareto import front_table, non_dominated, pareto_points

ELEMENTS = ("Al", "Cr", "Nb", "Ti", "W")


def _x(*rows):
    return np.array(rows, dtype=np.float64)


def test_non_dominated_keeps_the_front_and_ties():
    y = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5], [0.4, 0.4], [1.0, 0.0]])
    assert non_dominated(y).tolist() == [True, True, True, False, True]


def test_front_trades_p_against_density_with_cost_alongside():
    heavy_sure = [0.0, 0.0, 0.5, 0.0, 0.5]  # NbW: dense, p 0.9
    light_unsure = [0.25, 0.25, 0.0, 0.5, 0.0]  # AlCrTi2: light, p 0.6
    heavy_unsure = [0.0, 0.0, 0.0, 0.5, 0.5]  # TiW: dense and p 0.5: dominated
    pts = pareto_points(np.array([0.9, 0.6]), _x(heavy_sure, light_unsure), ["NbW", "AlCrTi2"],
                        np.array([0.5]), _x(heavy_unsure), ["TiW"], np.array([True]),
                        ELEMENTS, {"density": "minimize"})
    assert pts.names == ("density", "cost")
    assert pts.front.tolist() == [True, True, False]
    assert pts.labels == (None, None, "single")
    header, rows = front_table(pts, "single")
    assert header == ["source", "alloy", "label", "p(single)", "ρ [g/cm³]", "cost [USD/kg]"]
    assert [r[1] for r in rows] == ["NbW", "AlCrTi2"]  # best p first
    assert rows[0][4] > rows[1][4] and rows[1][5] > 0
    # Maximizing density instead: the light alloy is dominated by the heavy, surer one.
    flipped = pareto_points(np.array([0.9, 0.6]), _x(heavy_sure, light_unsure), ["NbW", "AlCrTi2"],
                            np.empty(0), np.empty((0, 5)), [], np.empty(0, bool), ELEMENTS,
                            {"density": "maximize"})
    assert flipped.front.tolist() == [True, False]


def test_front_table_keeps_every_suggestion_and_caps_the_labelled():
    rng = np.random.default_rng(0)
    x = rng.dirichlet(np.ones(5), size=60)
    p = np.linspace(0.99, 0.01, 60)  # p falls as density falls: many on the front
    x = x[np.argsort(-(x @ np.array([0.0, 0.0, 1.0, 0.0, 3.0])))]
    pts = pareto_points(p[:5], x[:5], [f"s{i}" for i in range(5)], p[5:], x[5:],
                        [f"l{i}" for i in range(55)], np.ones(55, bool), ELEMENTS,
                        {"density": "minimize"})
    _, rows = front_table(pts, "single", max_rows=8)
    on_front = [pts.keys[i] for i in np.flatnonzero(pts.front)]
    suggested = {k for k in on_front if k.startswith("s")}
    assert len(on_front) > 8 and len(rows) == max(8, len(suggested))
    assert suggested <= {r[1] for r in rows}
