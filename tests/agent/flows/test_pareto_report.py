"""A round of a campaign with objectives and a density limit: every suggestion keeps the
limit, the report holds the Pareto section (plot and front table) and the labels per
processing route."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from alloyloop.agent.campaign_ops import create_from_spec
from alloyloop.agent.flows import run_round
from alloyloop.campaigns.spec import parse_spec
from alloyloop.db.campaigns import list_suggestions, reports, rounds
from alloyloop.db.session import store_session
from alloyloop.featurize.composition import parse_composition
from alloyloop.featurize.properties import property_matrix

PNG = b"\x89PNG\r\n\x1a\n"
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("prefect_harness")]


def test_round_report_has_the_pareto_front_and_processing_routes(sqlite_store: str, home: Path,
                                                                 spec_dict) -> None:  # noqa: ANN001
    data = spec_dict("light")
    data["objectives"] = {"density": "minimize"}
    data["design_space"]["descriptor_limits"] = {"density": {"max": 8.2}}
    spec = parse_spec(data)
    with store_session(sqlite_store) as s:
        create_from_spec(s, spec)
    run_round("light", sqlite_store, str(home))
    with store_session(sqlite_store) as s:
        rnd = rounds(s, "light")[0]
        batch = list_suggestions(s, round_id=rnd.id)
        (report,) = reports(s, rnd.id)
    assert len(batch) == spec.batch_size  # (tests/agent/test_multi_objective tests qLogNEHVI)
    # The limit holds for every strategy's suggestions (botorch, screen, nudge, fill).
    fractions = [parse_composition(sg.alloy_key).fractions for sg in batch]
    x = np.array([[f.get(el, 0.0) for el in spec.space.palette] for f in fractions])
    assert (property_matrix(x, spec.space.palette, ["density"])[:, 0] <= 8.2 + 1e-9).all()
    page = Path(report.path).read_text(encoding="utf-8")
    assert "Pareto front: p(single) and objectives" in page
    assert "ρ [g/cm³]" in page and "cost [USD/kg]" in page
    assert "Training labels by processing route" in page and "as-cast" in page
    assert (Path(report.path).parent / "pareto.png").read_bytes().startswith(PNG)
