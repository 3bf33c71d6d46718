"""Fixtures of the CLI tests: a store holding a campaign with stored rounds of
suggestions and no trained model (the terminal tables read only the store)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

import pytest

from alloyloop.agent.campaign_ops import create_from_spec
from alloyloop.campaigns.bundled import load_example
from alloyloop.db.campaigns import SuggestionInput, add_suggestions, finish_round, start_round
from alloyloop.db.engine import make_engine, open_session
from alloyloop.db.lifecycle import transition


@pytest.fixture
def campaign_store(fresh_store) -> Callable[..., str]:  # noqa: ANN001
    """``campaign_store(name, rounds, queued) -> URL``: a fresh SQLite store with campaign
    ``name`` (the ``cantor-fcc`` example), one completed round per entry of ``rounds``
    (its suggestions), and the suggestions at the ``queued`` positions (counted over all
    rounds) moved to the lab by "lee"."""

    def build(name: str, rounds: Sequence[Sequence[SuggestionInput]],
              queued: Sequence[int] = ()) -> str:
        url = fresh_store("sqlite")
        engine = make_engine(url)
        try:
            with open_session(engine) as s:
                create_from_spec(s, dataclasses.replace(load_example("cantor-fcc"), name=name))
                made = []
                for k, batch in enumerate(rounds):
                    rnd = start_round(s, name, data_hash=str(k) * 64, seed=k)
                    made += add_suggestions(s, rnd.id, list(batch))
                    finish_round(s, rnd.id)
                for i in queued:
                    transition(s, made[i].id, "queued", by="lee")
        finally:
            engine.dispose()
        return url

    return build
