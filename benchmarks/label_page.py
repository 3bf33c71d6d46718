"""The label list of the web app on a large store: one page of 50 out of 100,000 labels.

Run from the repository root:

    OMP_NUM_THREADS=1 python -m benchmarks.label_page [--labels 100000] [--write]

Builds a migrated SQLite store in a temporary folder with ``--labels`` labels on 20,000
alloys (bulk inserts, about 10 s), one campaign whose suggestions carry 2,000 of them,
then times ``alloyloop.db.label_list.search_labels`` (the page's SQL: rows and count) and
the whole ``GET /labels`` page through the app (SQL + template), for the default view and
for filters, sorts and a deep page. Median of 15 runs after a warm-up. Target (issue #20):
≤ 200 ms for a page of 50. ``--write`` puts the table in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
from sqlalchemy import insert, select  # noqa: E402

from benchmarks.report import machine, write_section  # noqa: E402

PALETTE = ("Al", "Co", "Cr", "Cu", "Fe", "Mn", "Ni", "Ti", "V", "Mo", "Nb", "Ta", "W", "Zr", "Hf")
VIEWS = {
    "newest 50 (default)": {},
    "source=experiment, outcome=single": {"source": "experiment", "outcome": "single"},
    "method=XRD, by=lee, sorted by alloy": {"method": "XRD", "by": "lee", "sort": "alloy", "dir": "asc"},
    "date range (one month)": {"since": "2026-03-01", "until": "2026-03-31"},
    "campaign filter": {"campaign": "bench"},
    "page 1000 (offset 49,950)": {"page": "1000"},
}


def build_store(folder: Path, n_labels: int, seed: int = 0) -> str:
    from alloyloop.agent.campaign_ops import create_from_spec
    from alloyloop.campaigns.bundled import load_example
    from alloyloop.db.campaigns import SuggestionInput, add_suggestions, finish_round, start_round
    from alloyloop.db.engine import make_engine, open_session
    from alloyloop.db.migrate import upgrade
    from alloyloop.db.models import Alloy, Label, Suggestion
    from alloyloop.featurize.composition import CompositionError, parse_composition
    from alloyloop.web.auth import add_account

    url = f"sqlite:///{folder / 'bench.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    rng = np.random.default_rng(seed)
    keys: dict[str, dict[str, float]] = {}
    while len(keys) < 20_000:
        els = rng.choice(PALETTE, size=int(rng.integers(3, 7)), replace=False)
        x = rng.dirichlet(np.ones(len(els)))
        try:
            parsed = parse_composition(dict(zip(els.tolist(), x.tolist())))
        except CompositionError:  # an element below the key's resolution: draw another alloy
            continue
        keys[parsed.key] = dict(parsed.fractions)
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    with engine.begin() as conn:
        conn.execute(insert(Alloy.__table__), [
            {"key": k, "fractions": f, "elements": "-".join(f), "n_elements": len(f), "has_conflict": False,
             "created_at": now} for k, f in keys.items()])
        ids = list(conn.execute(select(Alloy.id)).scalars())
        sources = rng.choice(["experiment", "literature", "calphad"], n_labels, p=[0.5, 0.4, 0.1])
        methods = {"experiment": ["XRD", "SEM", "TEM", "EBSD"], "literature": ["unreported", "XRD"],
                   "calphad": ["CALPHAD"]}
        people = ["lee", "ada", "val", "kim", None]
        rows = []
        for i in range(n_labels):
            src = str(sources[i])
            rows.append({"alloy_id": int(ids[i % len(ids)]), "outcome": "single" if rng.random() < 0.4 else "multi",
                         "phases": ["FCC"], "source": src, "method": str(rng.choice(methods[src])),
                         "processing": None, "entered_by": people[i % 5], "evidence_uri": None,
                         "provenance": None, "note": None, "external_id": None,
                         "created_at": now + timedelta(minutes=5 * i), "superseded_by": None})
        for start in range(0, len(rows), 10_000):
            conn.execute(insert(Label.__table__), rows[start:start + 10_000])
    with open_session(engine) as s:
        add_account(s, "lee", "benchmark password", "lab", actor="benchmark")
        create_from_spec(s, dataclasses_replace(load_example("cantor-fcc"), name="bench"))
        rnd = start_round(s, "bench", data_hash="0" * 64, seed=0)
        made = add_suggestions(s, rnd.id, [SuggestionInput(k, "screen") for k in list(keys)[:2000]])
        finish_round(s, rnd.id)
        label_ids = list(s.execute(select(Label.id).order_by(Label.id).limit(2000)).scalars())
        for m, lid in zip(made, label_ids):
            s.execute(Suggestion.__table__.update().where(Suggestion.id == m.id).values(label_id=lid))
        s.commit()
    engine.dispose()
    return url


def dataclasses_replace(spec, **changes):  # noqa: ANN001, ANN201
    import dataclasses

    return dataclasses.replace(spec, **changes)


def _median_ms(fn, runs: int = 15) -> float:
    fn()  # warm-up: caches, compiled statements
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return 1000 * statistics.median(times)


def measure(url: str, data_dir: Path) -> list[tuple[str, int, float, float]]:
    from fastapi.testclient import TestClient

    from alloyloop.db.engine import make_engine, open_session
    from alloyloop.db.label_list import search_labels
    from alloyloop.web.app import create_app
    from alloyloop.web.label_search import parse_query
    from alloyloop.web.settings import WebSettings

    out = []
    engine = make_engine(url)
    app = create_app(WebSettings(database_url=url, data_dir=data_dir))
    with TestClient(app, base_url="http://127.0.0.1") as client:
        client.post("/api/v1/session", json={"name": "lee", "password": "benchmark password"})
        for name, params in VIEWS.items():
            q = parse_query(params)
            with open_session(engine) as s:
                found = search_labels(s, q)
                sql = _median_ms(lambda s=s, q=q: search_labels(s, q))
            page = _median_ms(lambda p=params: client.get("/labels", params=p).raise_for_status())
            out.append((name, found.total, sql, page))
    engine.dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=int, default=100_000)
    parser.add_argument("--write", action="store_true", help="write the table to docs/benchmarks.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        url = build_store(Path(tmp), args.labels)
        built = time.perf_counter() - t
        results = measure(url, Path(tmp) / "data")
    lines = [f"Store of {args.labels:,} labels on 20,000 alloys (SQLite, built in {built:.0f} s); "
             "median of 15 runs after a warm-up; target ≤ 200 ms per page of 50.", "",
             "| view | matching labels | SQL (rows + count) ms | whole page (GET /labels) ms |",
             "|---|---:|---:|---:|"]
    lines += [f"| {name} | {total:,} | {sql:.1f} | {page:.1f} |" for name, total, sql, page in results]
    lines += ["", f"Command: `OMP_NUM_THREADS=1 python -m benchmarks.label_page --write`. Machine: {machine()}."]
    text = "\n".join(lines)
    print(text)
    if args.write:
        write_section("label-page", "## Web: a page of the label list on 100k labels\n\n" + text)


if __name__ == "__main__":
    main()
