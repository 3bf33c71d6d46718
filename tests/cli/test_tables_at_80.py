"""Issue 33: every terminal table of the CLI keeps words and keys whole in 80 columns (the
three commands of the issue's acceptance are in test_keys_whole.py): no line wider than
the terminal, no cell cut to "…", every alloy key, file name, account and date of the data
whole on one line, no word of the store's vocabulary split. Each command runs as a real
``alloyloop`` process with ``COLUMNS=80``."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from alloyloop.agent.campaign_ops import create_from_spec
from alloyloop.campaigns.bundled import example_names, load_example
from alloyloop.db.campaigns import SuggestionInput, add_suggestions, finish_round, start_round
from alloyloop.db.engine import make_engine, open_session
from alloyloop.featurize.composition import parse_composition
from tests.fixtures.terminal import alloyloop, at_80, fits

# at.% notations whose canonical keys are 40-48 characters: no table column at 80 holds them
LONG = ("Al1.96Co19.61Cr19.61Fe19.61Mn19.61Ni19.6", "Al7.37Co22.63Cr21.58Fe24.21Ni24.21",
        "Co11.11Cr11.11Fe22.22Mn33.33Ni22.23", "Al4.12Co19.03Cr18.55Cu9.11Fe24.61Ni24.58")
KEYS = [parse_composition(a).key for a in LONG]
NOTE = "weak reflection near 44.5 degrees after annealing; the literature value disagrees"


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def url(fresh_store) -> str:  # noqa: ANN001
    return fresh_store("sqlite")


def test_label_import_preview_and_refusal(url: str, tmp_path: Path) -> None:
    rows = [f"{a},single,FCC,experiment,XRD,annealed 1100C 24h,{NOTE}" for a in LONG]
    rows += [f"{LONG[0]},multi,FCC+BCC,experiment,SEM,as-cast,",  # a conflict with the first row
             f"{LONG[1]},single,FCC,experiment,XRD,annealed 1100C 24h,"]  # a duplicate of the second
    csv = _write(tmp_path / "labels_from_the_lab_notebook.csv",
                 "composition,outcome,phases,source,method,processing,note\n" + "\n".join(rows) + "\n")
    dry = alloyloop("label", "import", str(csv), "--url", url, "--dry-run")
    at_80(dry, [*KEYS, *LONG, "experiment/XRD", "experiment/SEM", "annealed 1100 °C 24 h", "duplicate of row 3:"])
    assert "would be stored (dry run" in dry and "conflict" in dry
    stored = alloyloop("label", "import", str(csv), "--url", url)
    at_80(stored, [*KEYS, "#1", "#5"])
    bad = _write(tmp_path / "bad.csv", "composition,outcome,source\n"
                 f"{LONG[2]},single-phase-ish,literature\n{LONG[3]}Xx,single,literature\n")
    refused = alloyloop("label", "import", str(bad), "--url", url, code=1)
    at_80(refused, ["single-phase-ish", f"{LONG[3]}Xx", "outcome", "composition"])
    assert "2 problem(s), nothing stored" in refused


def test_label_import_calphad_preview(url: str, tmp_path: Path) -> None:
    csv = _write(tmp_path / "thermocalc_export_2026.csv", "composition,temperature,phase_fractions,database\n"
                 + "".join(f"{a},1273,FCC_A1=0.62;BCC_B2=0.38,TCHEA5\n" for a in LONG))
    out = alloyloop("label", "import-calphad", str(csv), "--url", url, "--dry-run")
    at_80(out, [*KEYS, "calphad/CALPHAD", "1273 K: FCC_A1=0.6200; BCC_B2=0.3800"])


@pytest.mark.slow
def test_label_calphad(fresh_store) -> None:  # noqa: ANN001
    """Real pycalphad equilibria (alcocrni.tdb, 1273 K) for two open suggestions with long
    keys, and one with an element the database does not cover (not labelled, a note)."""
    url = fresh_store("sqlite")
    alloys = ("Al7.37Co22.63Cr21.58Ni48.42", "Co21.13Cr19.37Ni59.5", "Al7.37Co22.63Cr21.58Fe24.21Ni24.21")
    engine = make_engine(url)
    try:
        with open_session(engine) as s:
            create_from_spec(s, dataclasses.replace(load_example("alcocrni-calphad"), name="calphad-at-80"))
            rnd = start_round(s, "calphad-at-80", data_hash="0" * 64, seed=0)
            add_suggestions(s, rnd.id, [SuggestionInput(a, "botorch", p_single=0.7) for a in alloys])
            finish_round(s, rnd.id)
    finally:
        engine.dispose()
    out = alloyloop("label", "calphad", "calphad-at-80", "--url", url, "--temperature", "1273", timeout=600)
    at_80(out, [parse_composition(a).key for a in alloys] + ["not labelled"])
    assert "labelled 2, not labelled 1" in out


def test_data_show() -> None:
    out = alloyloop("data", "show", timeout=300)
    at_80(out, ["conflict (no label)", "multi-phase", "single-phase", "peivaste", "borg2020"])


def test_featurize(tmp_path: Path) -> None:
    source = _write(tmp_path / "alloys.txt", "\n".join((*LONG, "CoCrFeMnNi")) + "\n")
    out = alloyloop("featurize", str(source))
    at_80(out, [*KEYS, *LONG, "Co0.2Cr0.2Fe0.2Mn0.2Ni0.2", "VEC [e/atom]", "ΔS_mix [J/(mol K)]"])
    assert "4 of 11 descriptors shown" in out


def test_db_info_and_user_list(fresh_store) -> None:  # noqa: ANN001
    """A store at a short path (a path longer than the terminal is one soft-wrapped line)."""
    import shutil
    import tempfile

    from alloyloop.db.accounts import create_user

    short = Path(tempfile.mkdtemp(prefix="s", dir="/tmp")) / "s.sqlite3"
    shutil.copyfile(fresh_store("sqlite").removeprefix("sqlite:///"), short)
    url = f"sqlite:///{short}"
    engine = make_engine(url)
    names = ("maria.gonzalez-rodriguez@materials-lab.example", "lee", "instrument-computer-xrd-2")
    try:
        with open_session(engine) as s:
            for name, role in zip(names, ("admin", "lab", "viewer")):
                create_user(s, name, "not-a-real-hash", role, actor="test")
    finally:
        engine.dispose()
    try:
        info = alloyloop("db", "info", "--url", url)
        users = alloyloop("user", "list", "--url", url)
    finally:
        shutil.rmtree(short.parent)
    at_80(info, [url, "alloy", "label", "app_user", "audit_log"])
    at_80(users, names)
    assert "3 account(s)" in users


def test_campaign_examples_and_status(campaign_store) -> None:  # noqa: ANN001
    examples = alloyloop("campaign", "examples")
    at_80(examples, example_names())
    assert "Al-Co-Cr-Fe-Mn-Ni" in examples
    name = "a-campaign-with-a-rather-long-descriptive-name-2026"
    store = campaign_store(name, [[SuggestionInput(a, ("latent_region", "botorch")[i % 2], p_single=0.8)
                                   for i, a in enumerate(LONG[k::2])] for k in range(2)], queued=(0, 2))
    status = alloyloop("campaign", "status", name, "--url", store)
    at_80(status, [name, "completed", "mean p(single)", "warm start", "2 suggestion(s) in the lab"])


def test_label_from_xrd_folder(url: str, tmp_path: Path) -> None:
    from alloyloop.agent.xrd.synthetic import example_pattern, write_xy

    folder = tmp_path / "patterns"
    folder.mkdir()
    files = [f"{a}_annealed_1100C_24h_sample_{i}.xy" for i, a in enumerate(LONG[:2])]
    for file in files:
        write_xy(example_pattern(), folder / file)
    out = alloyloop("label", "from-xrd", str(folder), "--url", url, "--dry-run", timeout=300)
    fits(out)
    at_80(out, files)
    assert "dry run: nothing stored" in out


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_harness")
def test_campaign_screen(campaign_store, tmp_path: Path) -> None:  # noqa: ANN001
    """A completed round whose model (a tiny DVAE over the cantor-fcc palette) screens 2,000
    lattice points on one local Dask worker, its flow on the session's Prefect test server."""
    import numpy as np
    from prefect.settings import PREFECT_API_URL

    from alloyloop.db.campaigns import attach_model, register_model_version
    from alloyloop.models.dvae import DisentangledVAE
    from tests.fixtures.dvae import random_alloys, tiny

    palette = ("Al", "Co", "Cr", "Fe", "Mn", "Ni")
    x = random_alloys(80, len(palette), 0)
    model = DisentangledVAE(tiny(), elements=palette, seed=0).fit(x, (x[:, 0] < 0.1).astype(np.int64))
    folder = model.save(tmp_path / "model")
    name = "screen-at-80"
    store = campaign_store(name, [])
    engine = make_engine(store)
    try:
        with open_session(engine) as s:
            version = register_model_version(s, "tiny", folder, sha256="0" * 64)
            rnd = start_round(s, name, data_hash="0" * 64, seed=0)
            attach_model(s, rnd.id, version.id)
            finish_round(s, rnd.id)
    finally:
        engine.dispose()
    prefect = {"PREFECT_HOME": str(tmp_path / "prefect"), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
               "PREFECT_LOGGING_LEVEL": "WARNING", "PREFECT_API_URL": PREFECT_API_URL.value()}
    out = alloyloop("campaign", "screen", name, "--url", store, "--candidates", "2000", "--top", "8",
                    "--chunk-size", "1000", env=prefect, timeout=600)
    keys = re.findall(r"\b(?:[A-Z][a-z]?\d\.\d+){3,}\b", out)
    assert len(keys) == 8, out
    at_80(out, keys)
    assert all(parse_composition(k).key == k for k in keys)
