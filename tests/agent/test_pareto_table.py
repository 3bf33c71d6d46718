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
