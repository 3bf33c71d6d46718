"""The command: per oracle x seed x strategy (and peer), one run from the same start labels,
written to ``discovery.json`` and the ``discovery`` section of docs/benchmarks.md (when the
out-dir is docs/; elsewhere ``discovery.md`` beside the json), with one plot per oracle.

Stores live in ``--store-dir`` (default ``runs/discovery``): the corpus store, one start
store per oracle and seed, one store per campaign, and ``calphad-cache.sqlite3``, the
equilibrium cache every labelling of the study reads and fills (kept across studies, so a
repeated study computes no equilibrium twice). ``--resume`` continues the campaigns found
there and keeps the finished runs of the json; without it the start and campaign stores
are made anew (the corpus store and the cache stay).
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import shlex  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

from benchmarks.calphad_loop import DVAE, QUICK_DVAE, WARM_EPOCHS  # noqa: E402
from benchmarks.discovery.oracles import ORACLES  # noqa: E402
from benchmarks.discovery.runs import PEERS, STRATEGIES  # noqa: E402
from benchmarks.report import DOCS, machine, publish, write_study  # noqa: E402

SECTION = "discovery"
ROOT = Path(__file__).resolve().parents[2]
BASE_RATE_SEED = 12345
QUICK = {"oracles": ["alcocrni"], "seeds": [0], "rounds": 1, "batch": 2, "n_start": 4,
         "strategies": ["greedy", "random"], "base_rate_n": 6}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.discovery",
                                 description=__doc__.split("\n\n")[0])
    ap.add_argument("--oracles", nargs="+", default=list(ORACLES), choices=list(ORACLES))
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--batch", type=int, default=6)
    ap.add_argument("--n-start", type=int, default=6,
                    help="seeded random lattice alloys labelled by the oracle before round 0")
    ap.add_argument("--strategies", nargs="+", default=list(STRATEGIES) + list(PEERS),
                    choices=list(STRATEGIES) + list(PEERS),
                    help="ours and peers (a peer whose package is missing is skipped, saying why)")
    ap.add_argument("--base-rate-n", type=int, default=100,
                    help="random lattice alloys labelled to measure each oracle's base rate")
    ap.add_argument("--quick", action="store_true", help="a smoke run (runs/discovery-quick/)")
    ap.add_argument("--out-dir", type=Path, default=None)
    ap.add_argument("--store-dir", type=Path, default=None)
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--merge", type=Path, nargs="+", default=None, metavar="DIR",
                    help="run nothing: join the runs of these out-dirs' discovery.json into "
                         "--out-dir's (a later run of the same oracle, strategy and seed "
                         "replaces an earlier one), then write the section")
    ap.add_argument("--report-only", action="store_true",
                    help="run nothing: write the section and plots from --out-dir's discovery.json "
                         "(a study stopped early, or one whose runs were joined by hand)")
    args = ap.parse_args(argv)
    given = set(argv if argv is not None else sys.argv[1:])
    if args.quick:  # QUICK's settings, except those given on the command line
        for k, v in QUICK.items():
            if f"--{k.replace('_', '-')}" not in given:
                setattr(args, k, v)
    for name in ("rounds", "batch", "n_start", "base_rate_n"):
        if getattr(args, name) < 1:
            ap.error(f"--{name.replace('_', '-')} {getattr(args, name)}: give at least 1")
    return args


def _command(argv: list[str] | None) -> str:
    return ("OMP_NUM_THREADS=1 python -m benchmarks.discovery "
            + shlex.join(argv if argv is not None else sys.argv[1:])).strip()


def _load() -> str:
    return " / ".join(f"{v:.2f}" for v in os.getloadavg())


def base_rate(oracle, n: int) -> dict[str, int]:
    """Hits among ``n`` seeded random lattice alloys of the oracle's space."""
    hits = oracle.label(oracle.random_alloys(n, BASE_RATE_SEED))
    return {"n": n, "labelled": sum(h is not None for h in hits), "hits": sum(bool(h) for h in hits)}


def main(argv: list[str] | None = None) -> Path:
    """Run the study; returns the json's path."""
    from benchmarks.discovery import runs, start
    from benchmarks.discovery.metrics import with_distances

    args = parse_args(argv)
    out_dir = args.out_dir or (ROOT / "runs" / "discovery-quick" if args.quick else DOCS)
    store_dir = args.store_dir or (ROOT / "runs" / ("discovery-quick" if args.quick else "discovery"))
    out_dir.mkdir(parents=True, exist_ok=True)
    if args.merge:
        from benchmarks.discovery.merge import merge

        results, meta = merge(out_dir / "discovery.json", args.merge)
        write_study(out_dir / "discovery.json", results, command=meta.pop("command"), wall=0.0,
                    **{k: v for k, v in meta.items()  # the rows' machines, not the merger's
                       if k not in ("updated", "wall_seconds_this_run")})
    if args.report_only or args.merge:
        _publish(out_dir / "discovery.json", out_dir)
        return out_dir / "discovery.json"
    store_dir.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("ALLOYLOOP_CALPHAD_CACHE", str(store_dir / "calphad-cache.sqlite3"))
    corpus = store_dir / "corpus.sqlite3"
    if not args.resume:
        for old in store_dir.glob(f"{corpus.stem}-*.sqlite3*"):  # start and campaign stores
            old.unlink()
    start.corpus_store(corpus)
    home = str(store_dir / "home")
    json_path = out_dir / "discovery.json"
    results: list[dict[str, Any]] = []
    meta: dict[str, Any] = {"training": {}, "base_rate": {}}
    if args.resume and json_path.exists():
        old = json.loads(json_path.read_text(encoding="utf-8"))
        kept = {k: v for k, v in old["meta"].items()  # write_study sets these anew
                if k not in ("machine", "updated", "wall_seconds_this_run")}
        results, meta = old["results"], {**meta, **kept}
    meta["commands"] = meta.get("commands", []) + [_command(argv)]
    meta.update(command=_command(argv), load_before=_load(), rounds=args.rounds,
                batch=args.batch, n_start=args.n_start, dvae=QUICK_DVAE if args.quick else DVAE,
                warm_epochs=2 if args.quick else WARM_EPOCHS)
    done = {(r["oracle"], r["strategy"], r["seed"]) for r in results
            if len(r["rounds"]) >= args.rounds}
    skipped: dict[str, str] = {}
    peers: dict[str, Any] = {}
    for name in [s for s in args.strategies if s in PEERS]:
        peer, why = runs.load_peer(name)
        if peer is None:
            skipped[name] = why
            print(f"skipping peer {name}: {why}", flush=True)
        else:
            peers[name] = peer
    started = time.perf_counter()

    def save() -> None:
        write_study(json_path, results, command=meta["command"],
                    wall=time.perf_counter() - started,
                    **{k: v for k, v in meta.items() if k != "command"})

    for oracle_name in args.oracles:
        oracle = ORACLES[oracle_name]
        meta["base_rate"][oracle_name] = rate = base_rate(oracle, args.base_rate_n)
        print(f"{oracle_name}: random base rate {rate['hits']} of {rate['labelled']} labelled "
              f"({rate['n']} drawn)", flush=True)
        for seed in args.seeds:
            store, alloys = start.start_store(corpus, oracle, seed, args.n_start)
            X, y, elements = start.training_alloys(store, oracle)
            meta["training"][f"{oracle_name}/{seed}"] = {
                "elements": list(elements), "n_training": len(y), "n_single": int(y.sum()),
                "start_alloys": alloys}
            for name in args.strategies:
                if (oracle_name, name, seed) in done or name in skipped:
                    continue
                previous = next((r["rounds"] for r in results if (r["oracle"], r["strategy"],
                                 r["seed"]) == (oracle_name, name, seed)), [])
                try:
                    if name in STRATEGIES:
                        run = runs.run_campaign(
                            oracle, name, seed, rounds=args.rounds, batch=args.batch,
                            start_store=store, home=home, dvae=meta["dvae"],
                            warm_epochs=meta["warm_epochs"], previous=previous)
                    else:
                        run = runs.run_peer(
                            oracle, name, peers[name], seed, rounds=args.rounds, batch=args.batch,
                            start=runs.start_observations(oracle, X, y, elements),
                            label=oracle.label)
                except ValueError as exc:  # a peer broke the protocol: say so, go on
                    if name in STRATEGIES:
                        raise
                    skipped[name] = str(exc)
                    print(f"peer {name} stopped: {exc}", flush=True)
                    continue
                run["suggestions"] = with_distances(run["suggestions"], X, elements)
                results = [r for r in results if (r["oracle"], r["strategy"], r["seed"])
                           != (oracle_name, name, seed)] + [run]
                hits = sum(bool(s["hit"]) for s in run["suggestions"])
                print(f"[{oracle_name} seed {seed}] {name:<10} hits {hits}/"
                      f"{len(run['suggestions'])}", flush=True)
                save()
    meta["load_after"] = _load()
    meta["skipped"] = skipped
    save()
    _publish(json_path, out_dir)
    return json_path


def _publish(json_path: Path, out_dir: Path) -> None:
    from benchmarks.discovery.report import render

    if not json_path.exists():
        raise SystemExit(f"{json_path} does not exist: run the study first (without --report-only)")
    data = json.loads(json_path.read_text(encoding="utf-8"))
    md = render(data["results"], data["meta"], out_dir, data["meta"].get("skipped", {}))
    publish(SECTION, md, out_dir, "discovery.md")
