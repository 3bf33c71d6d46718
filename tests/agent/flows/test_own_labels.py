"""The round tells the strategies which labelled alloys are the campaign's own (issue #32:
the failed-region rule counts only the campaign's labels, never the corpus's)."""

from __future__ import annotations

from alloyloop.agent.campaign_ops import create_from_spec
from alloyloop.agent.rounds.suggest import own_labels
from alloyloop.campaigns.spec import parse_spec
from alloyloop.db.campaigns import SuggestionInput, add_suggestions, start_round
from alloyloop.db.session import store_sessions


def test_only_the_campaigns_suggestions_are_its_own(fresh_store, spec_dict) -> None:  # noqa: ANN001
    url = fresh_store("sqlite")
    with store_sessions(url) as sessions, sessions() as s:
        create_from_spec(s, parse_spec(spec_dict("mine", "lab")))
        create_from_spec(s, parse_spec(spec_dict("other", "lab")))
        for name, keys in (("mine", ("Co50Ni50", "Cr20Fe40Ni40")), ("other", ("Fe50Ni50",))):
            r0 = start_round(s, name, data_hash="h0", seed=1)
            add_suggestions(s, r0.id, [SuggestionInput(k, "screen") for k in keys])
        keys = ("Co0.5Ni0.5", "Fe0.5Ni0.5", "Cr0.2Fe0.4Ni0.4", "Co0.25Cr0.25Fe0.25Ni0.25")
        assert list(own_labels(s, "mine", keys)) == [True, False, True, False]
        assert list(own_labels(s, "other", keys)) == [False, True, False, False]
