"""A campaign that designs for its lab's route (``[model] processing``): one round's steps
(the services of ``agent/rounds``, run without Prefect) on a real SQLite corpus store
and a real, tiny DVAE. The model trains on the labels' routes; every suggestion's p is
``predict_proba(x, processing=route)``; the torch views score for the route too; a route
no training label has stops the round, naming the labels of every route."""

from __future__ import annotations

import dataclasses
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

from alloyloop.agent.rounds.data import training_data
from alloyloop.agent.rounds.fit import fit_model, register_model
from alloyloop.agent.rounds.report import write_report
from alloyloop.agent.rounds.start import begin_round
from alloyloop.agent.rounds.suggest import suggest_batch
from alloyloop.agent.campaign_ops import create_from_spec
from alloyloop.agent.training_data import check_design_route
from alloyloop.campaigns.spec import parse_spec
from alloyloop.db.campaigns import list_suggestions
from alloyloop.db.session import store_session, store_sessions
from alloyloop.featurize.composition import parse_composition
from alloyloop.featurize.matrix import fraction_matrix
from alloyloop.models.dvae import DisentangledVAE
from alloyloop.models.torch_members import member_logits
from alloyloop.models.torch_scoring import TorchScorer

torch.set_num_threads(1)
PALETTE = ["Co", "Cr", "Fe", "Mn", "Ni"]


def _spec(name: str, route: str):  # noqa: ANN202
    return parse_spec({
        "name": name, "seed": 3,
        "design_space": {"units": "at.%", "palette": PALETTE, "min_elements": 3, "step": 10,
                         "bounds": {el: [0, 50] for el in PALETTE}},
        "strategies": {"screen": 2, "random": 1},
        "model": {"processing": route, "unlabelled": False,
                  "dvae": {"max_epochs": 4, "min_epochs": 1, "patience": 2,
                           "min_steps_per_epoch": 2, "vae_max_epochs": 2, "vae_patience": 1,
                           "classifier_hidden": [16], "encoder_hidden": [16],
                           "decoder_hidden": [16], "composition_prior_samples": 16,
                           "control_samples": 16, "val_fraction": 0.2}},
        "labeler": {"kind": "lab"},
        "report": {"shap_rows": 10, "shap_background": 5},
    })


def _start(sessions, spec):  # noqa: ANN001, ANN202
    with sessions() as s:
        create_from_spec(s, spec)
    start = begin_round(sessions, spec.name)
    return start, training_data(start)


def test_round_designs_for_the_spec_route(fresh_store, tmp_path: Path) -> None:  # noqa: ANN001
    url, home = fresh_store("sqlite", corpus=True), str(tmp_path / "home")
    with store_sessions(url) as sessions:
        _designs_for_the_route(sessions, url, home)


def _designs_for_the_route(sessions, url: str, home: str) -> None:  # noqa: ANN001
    start, data = _start(sessions, _spec("wrought-lab", "wrought"))
    counts = data.processing_counts(data.train)
    assert counts["wrought"] > 0 and counts["unknown"] > counts["wrought"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # few wrought labels: a warning at most
        fitted = fit_model(sessions, start, data, home)
    model, checkpoint = fitted.model, fitted.checkpoint
    assert model.config.processing_input and model.design_processing == "wrought"
    assert model.metrics["processing_counts"]["wrought"] == counts["wrought"]
    saved = DisentangledVAE.load(checkpoint)
    assert saved.design_processing == "wrought"

    suggestions = suggest_batch(sessions, start, model, data, home)
    assert len(suggestions) == 3
    x = fraction_matrix([parse_composition(s.alloy_key).fractions for s in suggestions],
                        model.elements)
    p = np.array([s.p_single for s in suggestions])
    np.testing.assert_allclose(p, model.predict_proba(x, processing="wrought"), atol=1e-9)
    np.testing.assert_allclose(saved.predict_proba(x), p, atol=1e-9)
    assert not np.allclose(model.predict_proba(x, processing="unknown"), p, atol=1e-9)

    # the torch paths of screening and botorch honour the design route as well
    np.testing.assert_allclose(TorchScorer(model).predict_proba(x), p, atol=1e-6)
    c = torch.as_tensor(x)
    with torch.no_grad():
        default, routed = member_logits(model)(c), member_logits(model, processing="wrought")(c)
        unknown = member_logits(model, processing="unknown")(c)
    torch.testing.assert_close(default, routed)
    assert not torch.allclose(default, unknown)

    with store_session(url) as s:  # stored as the batch of the round
        assert [r.id for r in list_suggestions(s, round_id=start.round.id)] == [
            r.id for r in suggestions]

    # the report states the route beside the training labels of every route
    version = register_model(sessions, start, fitted)
    page = Path(write_report(sessions, start, fitted, data, suggestions, version,
                             home)).read_text(encoding="utf-8")
    everything = data.processing_counts()
    assert (f"Designs for: <b>wrought</b> ({everything['wrought']} of {len(data.keys)} "
            "training labels)") in page
    assert f'<td>unknown</td><td class="num">{everything["unknown"]}</td>' in page
    with pytest.raises(ValueError, match="design route 'forged!' is not a processing route: "
                       "use one of as-cast"):
        DisentangledVAE(model.config, elements=model.elements, design_processing="forged!")


def test_a_route_no_training_label_has_stops_the_round(fresh_store, tmp_path: Path) -> None:  # noqa: ANN001
    url = fresh_store("sqlite", corpus=True)
    with store_sessions(url) as sessions:
        start, data = _start(sessions, _spec("additive-lab", "additive"))
        counts = data.processing_counts(data.train)
        with pytest.raises(ValueError) as err:
            fit_model(sessions, start, data, str(tmp_path / "home"))
    text = str(err.value)
    assert f"none of the {sum(counts.values())} training labels is additive" in text
    assert f"unknown {counts['unknown']}" in text and f"wrought {counts['wrought']}" in text
    assert "--processing additive" in text and "set [model] processing to a route" in text

    routes = np.full(len(data.keys), None, dtype=object)
    routes[data.train[:3]] = "additive"
    few = dataclasses.replace(data, processing=routes)
    with pytest.warns(UserWarning, match=r"only 3 of the \d+ training labels are additive"):
        assert check_design_route(few, "additive")["additive"] == 3


def test_a_design_route_needs_a_route_input() -> None:
    with pytest.raises(ValueError, match="does not take the processing route as an input"):
        DisentangledVAE(elements=("Co", "Ni"), design_processing="annealed")
