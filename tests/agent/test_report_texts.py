"""Issue 28, item 11: the round report speaks to the lab, not to the server's operator.

No server path (the checkpoint is named by its place in the campaign's folder) and no
exception class in a heading: when DeepLIFT does not apply to a model, the report says
the SHAP values were estimated by sampling, in words.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from alloyloop.agent.report import shap_values
from alloyloop.agent.report.round_report import shown_facts
from alloyloop.models.dvae import DisentangledVAE

from tests.fixtures.dvae import tiny

PALETTE = ("Co", "Cr", "Fe", "Ni")


def test_paths_are_shown_inside_the_campaign_folder(tmp_path: Path) -> None:
    campaign = tmp_path / "campaigns" / "cantor"
    checkpoint = campaign / "round-003-abcdef012345" / "model" / "dvae.pt"
    facts = shown_facts({"campaign": "cantor", "round": 3, "checkpoint": str(checkpoint),
                         "elsewhere": "/srv/secret/place/model.pt", "data hash": "ab" * 32, "notes": ["n"]},
                        campaign)
    assert facts == {"campaign": "cantor", "round": 3, "checkpoint": "round-003-abcdef012345/model/dvae.pt",
                     "elsewhere": "model.pt", "data hash": "ab" * 32}
    assert str(tmp_path) not in str(facts)


@pytest.fixture(scope="module")
def tiny_model() -> tuple[DisentangledVAE, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.dirichlet(np.ones(len(PALETTE)), size=60)
    y = (x[:, 0] > 0.25).astype(np.int64)
    return DisentangledVAE(tiny(classifier_hidden=(8,)), elements=PALETTE, seed=0).fit(x, y), x


def test_a_fallback_explainer_is_described_in_words(tiny_model, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    import shap

    model, x = tiny_model

    def deeplift_does_not_apply(*args: object, **kwargs: object) -> None:
        raise AssertionError("the additivity check failed")  # what shap raises for an uncovered layer

    monkeypatch.setattr(shap, "DeepExplainer", deeplift_does_not_apply)
    result = shap_values.explain(model, x[:4], x[10:30], seed=0)
    assert result.method == shap_values.estimated(min(20, 20))
    assert "AssertionError" not in result.method and "failed" not in result.method
    assert result.values.shape == (4, len(result.names))


def test_the_exact_explainer_says_so(tiny_model) -> None:  # noqa: ANN001
    model, x = tiny_model
    result = shap_values.explain(model, x[:4], x[10:30], seed=0)
    assert result.method in (shap_values.EXACT, shap_values.estimated(20))
    assert "Explainer" not in result.method
