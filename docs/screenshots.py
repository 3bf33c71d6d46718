"""Screenshots of the lab web app's main pages for docs/web.md (Chromium, 1280×800).

Run from the repository root (needs Debian's chromium and the dev extras):

    OMP_NUM_THREADS=1 python docs/screenshots.py [--out docs/images] [--only labels audit …]

Builds a throwaway SQLite store with a campaign of three rounds (suggestions made through
the store's services, with strategies, intervals and nearest known alloys; the third
round's model is a small DVAE fitted on synthetic alloys, for the dashboard's latent
map), labels with evidence files, corrections and an import; serves the app with
uvicorn on a free port; logs in as a lab user and saves one PNG per page.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import socket
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

PAGES = {
    "campaigns": "/campaigns",
    "dashboard": "/campaigns/demo-lab",
    "suggestions": "/campaigns/demo-lab/suggestions",
    "weighing": "/campaigns/demo-lab/weighing?mass=20&id=1&id=2",
    "labels": "/labels",
    "label-history": "/labels?composition=Al0.3CoCrFeNi",
    "label-form": "/labels/new",
    "xrd-upload": "/labels/xrd",
    "audit": "/audit",
    "conflicts": "/labels/conflicts",
    "api-docs": "/api/docs",
}
PASSWORD = "screenshot password"
SUGGESTED = [("Al0.3CoCrFeNi", "botorch", 0.91, "Al0.25CoCrFeNi"), ("Al5Co20Cr20Fe25Ni30", "botorch", 0.84, "CoCrFeNi"),
             ("Co25Cr15Fe20Mn20Ni20", "screen", 0.88, "CoCrFeMnNi"), ("Al10Co25Cr20Fe20Ni25", "random", 0.41, "Al0.5CoCrFeNi"),
             ("Al0.1CoCrFeMnNi", "screen", 0.93, "CoCrFeMnNi"), ("Al15Co20Cr25Fe20Ni20", "random", 0.22, "AlCoCrFeNi")]


def seed(url: str, data_dir: Path, home: Path) -> None:
    """The showcase store: accounts, a campaign with two rounds, labels, evidence, an import."""
    from alloyloop.agent.campaign_ops import REPORT_KIND, create_from_spec
    from alloyloop.campaigns.bundled import load_example
    from alloyloop.db.audit import add_label_audited, supersede_label_audited, transition_audited
    from alloyloop.db.campaigns import SuggestionInput, add_report, add_suggestions, finish_round, start_round
    from alloyloop.db.engine import make_engine, open_session
    from alloyloop.web.auth import add_account
    from alloyloop.web.uploads import store_bytes

    engine = make_engine(url)
    with open_session(engine) as s:
        add_account(s, "lee", PASSWORD, "lab", actor="cli:admin")
        add_account(s, "ada", PASSWORD, "admin", actor="cli:admin")
        create_from_spec(s, dataclasses.replace(load_example("demo"), name="demo-lab"))
        for k, batch in enumerate((SUGGESTED[:3], SUGGESTED[3:])):
            rnd = start_round(s, "demo-lab", data_hash=str(k) * 64, seed=k)
            add_suggestions(s, rnd.id, [SuggestionInput(
                c, strategy, p_single=p, interval=(max(0.0, p - 0.15), min(1.0, p + 0.06)),
                prediction_set=["single"] if p > 0.7 else ["single", "multi"], in_domain=p > 0.3,
                acquisition=p / 3, extra={"nearest_key": near, "nearest_distance": 0.04 + 0.01 * i,
                                          "domain_score": 0.8}) for i, (c, strategy, p, near) in enumerate(batch)])
            report = home / f"round-{k}" / "report"
            report.mkdir(parents=True)
            (report / "index.html").write_text(f"<h1>Round {k} report</h1><p>SHAP, latent map, ROC …</p>", "utf-8")
            (report / "importance.json").write_text(json.dumps({"mean_abs_shap": {
                "VEC": 0.31, "δ [%]": 0.22, "ΔH_mix [kJ/mol]": 0.17, "x(Al)": 0.12, "Δχ": 0.05}}), "utf-8")
            add_report(s, rnd.id, str(report / "index.html"), kind=REPORT_KIND)
            finish_round(s, rnd.id)
        discovery_round(s, home)
        transition_audited(s, 1, "queued", actor="lee", note="arc melting on Monday")
        transition_audited(s, 4, "queued", actor="lee", note=None)
        transition_audited(s, 4, "synthesized", actor="lee", note=None)
        transition_audited(s, 4, "failed", actor="lee", note="cracked on casting")
        scan = store_bytes(data_dir / "evidence", b"# 2theta intensity\n43.4 1000\n50.5 430\n", "xy",
                           "Al0.3CoCrFeNi_1100C_24h_XRD_pattern_from_the_Bruker_D8.xy")
        first = add_label_audited(s, actor="lee", composition="Al0.3CoCrFeNi", outcome="multi", phases="FCC+BCC",
                                  source="experiment", method="XRD", processing="as-cast", entered_by="lee",
                                  evidence_uri=scan.uri, note="weak BCC peak at 44.5°")
        supersede_label_audited(s, first.id, actor="lee", outcome="single", phases="FCC", processing="annealed 1100C 24h",
                                entered_by="lee", evidence_uri=scan.uri,
                                note="after annealing the BCC peak is gone: single FCC")
        # labels of the nearest known alloys, not of the suggested ones: a label of a suggested
        # alloy closes its suggestion, and the queue's screenshot needs them open
        for i, (_, _, p, c) in enumerate(SUGGESTED * 12):
            add_label_audited(s, actor="ada", composition=c, outcome="single" if (p + i / 10) % 1 > 0.4 else "multi",
                              source="literature" if i % 3 else "experiment", method="XRD" if i % 3 == 0 else None,
                              entered_by="ada" if i % 2 else "lee",
                              evidence_uri=f"https://doi.org/10.1016/j.actamat.2026.{1000 + i}")
        # the newest entries: an SEM label and its correction (the audit log's "change" column)
        sem = add_label_audited(s, actor="lee", composition="Al0.1CoCrFeMnNi", outcome="multi", phases="FCC+BCC",
                                source="experiment", method="SEM", processing="as-cast", entered_by="lee",
                                note="dendrites with Al-rich interdendritic regions; BCC contrast at the boundaries")
        supersede_label_audited(s, sem.id, actor="lee", outcome="single", phases="FCC", processing="annealed 1100C 24h",
                                entered_by="lee", note="re-measured after homogenisation: one FCC phase, no BCC contrast")
    engine.dispose()


ROUND_3 = [  # (alloy, strategy, p(single) when suggested, label: outcome and phases; None: in the lab)
    ("Co30Cr15Fe20Mn15Ni20", "botorch", 0.95, "single", "FCC"), ("Al5Co25Cr20Fe25Ni25", "botorch", 0.9, "single", "FCC"),
    ("Co25Cr20Fe20Mn10Ni25", "botorch", 0.86, "single", "FCC"), ("Al10Co20Cr20Fe25Ni25", "botorch", 0.74, "multi", "FCC+BCC"),
    ("Al15Co20Cr20Fe20Ni25", "screen", 0.55, "multi", "FCC+B2"), ("Co20Cr25Fe25Mn10Ni20", "screen", 0.66, "single", "FCC"),
    ("Al20Co20Cr20Fe20Ni20", "random", 0.18, "multi", "BCC+B2"), ("Co35Cr20Fe15Mn15Ni15", "random", 0.62, None, None),
]


def discovery_round(s, home: Path) -> None:  # noqa: ANN001 - a store session
    """A third round for the dashboard's plots: eight suggestions with their latent
    coordinates, seven labelled, and a small DVAE (fitted on synthetic alloys in seconds)
    as the round's model, so the latent map has a checkpoint to read."""
    import numpy as np

    from alloyloop.db.audit import add_label_audited, label_suggestion_audited
    from alloyloop.db.campaigns import SuggestionInput, add_suggestions, attach_model, finish_round, register_model_version, start_round
    from alloyloop.featurize.composition import parse_composition
    from alloyloop.featurize.matrix import fraction_matrix
    from alloyloop.models.config import DVAEConfig
    from alloyloop.models.dvae import DisentangledVAE

    elements = ("Al", "Co", "Cr", "Fe", "Mn", "Ni")
    rng = np.random.default_rng(0)
    X = rng.dirichlet(np.full(len(elements), 2.0), size=300)
    model = DisentangledVAE(DVAEConfig(max_epochs=20, min_epochs=5, patience=5, classifier_hidden=(32, 32),
                                       encoder_hidden=(32,), decoder_hidden=(32,), vae_max_epochs=10,
                                       composition_prior_samples=32, control_samples=32),
                            elements=elements, seed=0).fit(X, (X[:, 0] < 0.12).astype(np.int64))
    checkpoint = model.save(home / "round-2" / "model")
    z = model.encode(fraction_matrix([parse_composition(c).fractions for c, *_ in ROUND_3], elements))
    rnd = start_round(s, "demo-lab", data_hash="2" * 64, seed=2)
    made = add_suggestions(s, rnd.id, [SuggestionInput(
        c, strategy, p_single=p, interval=(max(0.0, p - 0.12), min(1.0, p + 0.05)),
        prediction_set=["single"] if p > 0.7 else ["single", "multi"], in_domain=True, acquisition=p / 3,
        extra={"latent": [float(v) for v in z[i]], "nearest_key": "CoCrFeMnNi", "nearest_distance": 0.05})
        for i, (c, strategy, p, _, _) in enumerate(ROUND_3)])
    attach_model(s, rnd.id, register_model_version(s, "demo-lab/round-2", checkpoint, sha256="b" * 64).id)
    finish_round(s, rnd.id)
    for m, (_, _, _, outcome, phases) in zip(made, ROUND_3):
        if outcome is not None:
            label_suggestion_audited(s, m.id, actor="lee", outcome=outcome, phases=phases, source="experiment",
                                     method="XRD", entered_by="lee")
    for i in range(40):  # literature alloys of the palette around them: the latent map's background
        x = rng.dirichlet(np.full(5, 4.0)) * (1 - 0.005 * i)
        al = 0.005 * i
        fractions = {"Al": al, **{el: float(v) for el, v in zip(elements[1 + i % 2:], x[:5 - i % 2] / x[:5 - i % 2].sum() * (1 - al))}}
        add_label_audited(s, actor="ada", composition={k: v for k, v in fractions.items() if v > 0},
                          outcome="single" if al < 0.1 else "multi", phases="FCC" if al < 0.1 else "FCC+BCC",
                          source="literature", entered_by="ada", evidence_uri=f"https://doi.org/10.1016/j.jallcom.2025.{i:04d}")


def serve(url: str, data_dir: Path):  # noqa: ANN201 - (base url, server, thread)
    import uvicorn

    from alloyloop.web.app import create_app
    from alloyloop.web.settings import WebSettings

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(create_app(WebSettings(database_url=url, data_dir=data_dir)),
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    return f"http://127.0.0.1:{sock.getsockname()[1]}", server, thread


@contextmanager
def logged_in(base: str):  # noqa: ANN201 - a Playwright page, logged in as lee, 1280×800
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("chromium is not installed: apt-get install chromium")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=["--no-sandbox"])
        page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
        page.goto(f"{base}/login")
        page.fill("input[name=name]", "lee")
        page.fill("input[name=password]", PASSWORD)
        page.click("form.stack button[type=submit]")
        page.wait_for_url(f"{base}/campaigns")
        yield page
        browser.close()


def shoot(base: str, out: Path, only: list[str] | None = None) -> list[Path]:
    saved = []
    with logged_in(base) as page:
        for name, path in PAGES.items():
            if only and name not in only:
                continue
            page.goto(base + path)
            if name == "api-docs":
                page.wait_for_selector(".opblock")
            file = out / f"web-{name}.png"
            page.screenshot(path=str(file))
            saved.append(file)
        if not only or "xrd-proposal" in only:
            saved.append(shoot_xrd(page, base, out))
    return saved


def shoot_xrd(page, base: str, out: Path) -> Path:  # noqa: ANN001 - a Playwright page
    """The XRD proposal page: a simulated FCC + 20 % BCC pattern uploaded for Al0.5CoCrFeNi."""
    from alloyloop.agent.xrd.synthetic import example_pattern, write_xy

    with tempfile.TemporaryDirectory() as tmp:
        scan = Path(tmp) / "AlCoCrFeNi_as-cast.xy"
        write_xy(example_pattern(), scan)
        page.goto(f"{base}/labels/xrd")
        page.fill("input[name=composition]", "Al0.5CoCrFeNi")
        page.set_input_files("input[name=pattern]", str(scan))
        page.click("#xrd-form button[type=submit]")
        page.wait_for_selector("#proposal")
    file = out / "web-xrd-proposal.png"
    page.screenshot(path=str(file))
    return file


def migrated_seed(url: str, data_dir: Path, home: Path) -> None:
    from alloyloop.db.engine import make_engine
    from alloyloop.db.migrate import upgrade

    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    seed(url, data_dir, home)


def main(fill=migrated_seed, take=shoot) -> None:  # noqa: ANN001 - the store's filling and the shots
    """Fill a throwaway store with ``fill(url, data_dir, home)``, serve it, ``take(base, out)``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "images")
    parser.add_argument("--only", nargs="+", choices=[*PAGES, "xrd-proposal"], metavar="PAGE",
                        help="Only these pages (default: all): " + ", ".join([*PAGES, "xrd-proposal"]))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        url = f"sqlite:///{root / 'store.sqlite3'}"
        fill(url, root / "data", root / "home")
        base, server, thread = serve(url, root / "data")
        try:
            for file in take(base, args.out, args.only):
                print(file)
        finally:
            server.should_exit = True
            thread.join(timeout=15)


if __name__ == "__main__":
    main()
