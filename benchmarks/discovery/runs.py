"""One run of a discovery study: a strategy of ours as a campaign, or a peer optimiser.

**Ours** run as real campaigns, one per store (a copy of the oracle and seed's start
store, :func:`benchmarks.calphad_loop.campaign_store`): a spec with the oracle's design
space, one strategy, free suggestions (no pool) and the oracle's CALPHAD labeler, driven
round by round through the plain runner (:func:`alloyloop.agent.rounds.runner.round_then_label`,
no Prefect, as :mod:`benchmarks.replay` does). The round's SHAP report is left out
(:data:`STEPS`): it costs minutes and no suggestion depends on it.

**Peers** (:mod:`benchmarks.peer_protocol`) get the design space and the start labels as
:class:`~benchmarks.peer_protocol.Observation`\\ s, propose a batch per round, and the same
cached oracle labels it; their proposals must keep the protocol (on the grid, in the
space, new), or the run stops with the reason.

Both return the run's suggestion rows (:mod:`benchmarks.discovery.metrics`) and per-round
wall and CPU seconds (CPU of this process and of the pycalphad workers it waited for).
"""

from __future__ import annotations

import importlib
import resource
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.discovery.oracles import Oracle

STRATEGIES: dict[str, dict[str, Any]] = {
    "greedy": {"screen": {"acquisition": "greedy"}},
    # the novelty rule on (off by default: unmeasured on pools of known alloys, the replay)
    "botorch": {"botorch": {"novel_margin": 0.1}},
    "rf-ei": {"rf": {"acquisition": "EI"}},
    "random": {"random": {}},
    # what a spec would default to if the latent search loses on its own: greedy screening
    # fills most of the batch, botorch spends a third of it on its spread of element systems
    # (greedy screening with the failed-region rule and probe cap botorch has by default,
    # and the novelty rule on for both, issue #32)
    "mix": {"screen": {"acquisition": "greedy", "avoid_misses": 3, "probe_count": 2,
                       "novel_margin": 0.1, "share": 2 / 3},
            "botorch": {"novel_margin": 0.1, "share": 1 / 3}},
}
PEERS: dict[str, str] = {
    "baybe": "benchmarks.peers.baybe_peer:BayBEPeer",
    "ax": "benchmarks.peers.ax_peer:AxPeer",
    "hea-bench": "benchmarks.peers.heabench_peer:HeaBenchPeer",
}


def _no_report(*_args: Any, **_kwargs: Any) -> None:
    """The round's SHAP report, left out of the study (module docstring)."""
    return None


def _steps():
    from alloyloop.agent.rounds.runner import Steps

    return Steps(report=_no_report)


class Clock:
    """Wall and CPU seconds of a block: this process's CPU plus its finished children's
    (the pycalphad workers a labelling started and stopped)."""

    def __enter__(self) -> Clock:
        self._wall = time.perf_counter()
        self._cpu = time.process_time()
        self._children = _children_cpu()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall_s = time.perf_counter() - self._wall
        self.cpu_s = time.process_time() - self._cpu + _children_cpu() - self._children


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def spec_dict(oracle: Oracle, name: str, strategy: str, seed: int, batch: int,
              dvae: Mapping[str, Any], warm_epochs: int) -> dict[str, Any]:
    """The TOML-shaped spec of one campaign of the study."""
    return {
        "name": name, "seed": seed, "batch_size": batch,
        "description": f"discovery study: {strategy} on {oracle.name}, seed {seed}",
        "design_space": oracle.design_space(),
        "strategies": strategy_counts(STRATEGIES[strategy], batch),
        "model": {"palette": list(oracle.model_palette), "seed": seed,
                  "warm_start_max_epochs": warm_epochs, "dvae": dict(dvae)},
        "labeler": oracle.labeler_spec(),
    }


def strategy_counts(entries: Mapping[str, Mapping[str, Any]], batch: int
                    ) -> dict[str, dict[str, Any]]:
    """The spec's ``[strategies]`` of one study entry: a lone strategy takes the batch; a mix
    gives each its ``share`` of it (rounded; the first takes what rounding leaves)."""
    if len(entries) == 1:
        ((kind, options),) = entries.items()
        return {kind: {"count": batch, **options}}
    counts = {kind: round(options["share"] * batch) for kind, options in entries.items()}
    first = next(iter(counts))
    counts[first] += batch - sum(counts.values())
    return {kind: {"count": counts[kind], **{k: v for k, v in options.items() if k != "share"}}
            for kind, options in entries.items() if counts[kind] > 0}


def run_campaign(oracle: Oracle, strategy: str, seed: int, *, rounds: int, batch: int,
                 start_store: Path, home: str, dvae: Mapping[str, Any], warm_epochs: int,
                 previous: Sequence[Mapping[str, Any]] = ()) -> dict[str, Any]:
    """Create (or resume) the campaign, run its missing rounds, read its suggestions back.

    ``previous``: the per-round times of rounds an earlier (resumed) run already did."""
    from alloyloop.agent.campaign_ops import create_from_spec
    from alloyloop.agent.rounds.runner import round_then_label
    from alloyloop.campaigns.spec import parse_spec
    from alloyloop.db.campaigns import list_campaigns, rounds as list_rounds
    from alloyloop.db.session import store_session, store_sessions
    from benchmarks.calphad_loop import campaign_store

    name = f"discovery-{oracle.name}-{strategy}-s{seed}"
    url = campaign_store(start_store, name)
    spec = parse_spec(spec_dict(oracle, name, strategy, seed, batch, dvae, warm_epochs))
    with store_session(url) as session:
        if name not in {c.name for c in list_campaigns(session)}:
            create_from_spec(session, spec)
        done = sum(r.status == "completed" for r in list_rounds(session, name))
    times = list(previous)[:done]
    steps = _steps()
    with store_sessions(url) as sessions:
        for index in range(done, rounds):
            with Clock() as clock:
                summary = round_then_label(sessions, name, home, steps)
            facts = summary.get("labelling", {})
            times.append({"round": index, "wall_s": clock.wall_s, "cpu_s": clock.cpu_s,
                          "equilibria": facts.get("equilibria"),
                          "cached_equilibria": facts.get("cached_equilibria")})
            print(f"  {oracle.name} {strategy} seed {seed}: round {index} "
                  f"{clock.wall_s:.0f} s wall, {clock.cpu_s:.0f} s CPU", flush=True)
    with store_session(url) as session:
        rows = campaign_rows(session, name)
    return {"oracle": oracle.name, "strategy": strategy, "seed": seed, "kind": "campaign",
            "campaign": name, "store": url, "rounds": times, "suggestions": rows}


def campaign_rows(session, name: str) -> list[dict[str, Any]]:
    """The campaign's suggestions in round order: key, fractions, the stored label's hit
    (None: not labelled) and the p(single) the round's model gave."""
    from alloyloop.db.campaigns import list_suggestions, rounds
    from alloyloop.db.current_labels import suggestion_labels
    from alloyloop.featurize.composition import parse_composition

    index = {r.id: r.index for r in rounds(session, name)}
    found = sorted(list_suggestions(session, campaign=name), key=lambda s: (index[s.round_id], s.id))
    answers = suggestion_labels(session, found)
    return [{"round": index[s.round_id], "key": s.alloy_key,
             "fractions": dict(parse_composition(s.alloy_key).fractions),
             "hit": None if s.id not in answers else answers[s.id].outcome == "single",
             "p": s.p_single} for s in found]


def load_peer(name: str) -> tuple[Any | None, str | None]:
    """``(peer, None)``, or ``(None, why)`` when its module or package cannot be imported."""
    module, _, attr = PEERS[name].partition(":")
    try:
        cls = getattr(importlib.import_module(module), attr)
    except ImportError as exc:
        return None, f"{PEERS[name]} is not importable ({exc})"
    except AttributeError:
        return None, f"{module} has no {attr}"
    return cls(), None


def start_observations(oracle: Oracle, train: np.ndarray, y: np.ndarray,
                       elements: Sequence[str]):
    """The start labels a peer gets: the training alloys inside the design space's palette
    (the model palette may hold more elements), as :class:`Observation`\\ s."""
    from benchmarks.peer_protocol import Observation

    out = []
    cols = [elements.index(el) for el in oracle.palette]
    outside = [i for i, el in enumerate(elements) if el not in oracle.palette]
    for row, hit in zip(train, y):
        if outside and row[outside].sum() > 0:
            continue
        out.append(Observation({el: float(row[c]) for el, c in zip(oracle.palette, cols)
                                if row[c] > 0}, bool(hit)))
    return out


def check_proposals(oracle: Oracle, proposals: Sequence[Mapping[str, float]], seen: set[str],
                    batch: int, peer: str) -> list[dict[str, float]]:
    """The proposals as fractions, or ValueError naming the first that breaks the protocol."""
    from alloyloop.featurize.composition import canonical_key

    if len(proposals) != batch:
        raise ValueError(f"peer {peer} proposed {len(proposals)} alloys, asked for {batch}")
    out = []
    space = oracle.space
    for p in proposals:
        extra = set(p) - set(oracle.palette)
        row = np.array([[float(p.get(el, 0.0)) for el in oracle.palette]])
        if extra or abs(row.sum() - 1) > 1e-6 or not space.feasible(row)[0]:
            raise ValueError(f"peer {peer} proposed {dict(p)}: not a composition of the design "
                             f"space {oracle.design_space()} (fractions summing to 1 on the grid)")
        fractions = {el: float(v) for el, v in p.items() if v > 0}
        key = canonical_key(fractions)
        if key in seen:
            raise ValueError(f"peer {peer} proposed {key} again: proposals must be new")
        seen.add(key)
        out.append(fractions)
    return out


def run_peer(oracle: Oracle, name: str, peer: Any, seed: int, *, rounds: int, batch: int,
             start: Sequence[Any], label: Callable[[Sequence[Mapping[str, float]]], list]
             ) -> dict[str, Any]:
    """``rounds`` batches proposed by ``peer`` from the ``start`` observations on, each
    labelled by ``label`` (the cached oracle) before the next is asked for."""
    from alloyloop.featurize.composition import canonical_key
    from benchmarks.peer_protocol import Observation, StudySpace

    space = StudySpace(elements=oracle.palette, bounds=dict(oracle.bounds),
                       min_elements=oracle.min_elements, max_elements=oracle.max_elements,
                       step=oracle.step)
    observed = list(start)
    seen = {canonical_key(o.fractions) for o in observed}
    rows: list[dict[str, Any]] = []
    times = []
    for index in range(rounds):
        with Clock() as clock:
            proposals = peer.propose(space, list(observed), batch, seed * 1000 + index)
            fractions = check_proposals(oracle, proposals, seen, batch, name)
            hits = label(fractions)
        times.append({"round": index, "wall_s": clock.wall_s, "cpu_s": clock.cpu_s})
        for f, hit in zip(fractions, hits):
            rows.append({"round": index, "key": canonical_key(f), "fractions": f, "hit": hit,
                         "p": None})
            if hit is not None:
                observed.append(Observation(f, bool(hit)))
        print(f"  {oracle.name} {name} seed {seed}: round {index} {clock.wall_s:.0f} s wall",
              flush=True)
    return {"oracle": oracle.name, "strategy": name, "seed": seed, "kind": "peer",
            "rounds": times, "suggestions": rows}
