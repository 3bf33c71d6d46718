""".eln export and import through the real CLI, on SQLite and PostgreSQL: the file opens
with ``rocrate``, holds every file it names, and its labels re-import to the same labels
(corrections, repeats and evidence files included) on a fresh store, all or nothing."""

from __future__ import annotations

import dataclasses
import json
import zipfile
from pathlib import Path, PurePosixPath

import pytest
from rocrate.rocrate import ROCrate
from sqlalchemy import func, select
from typer.testing import CliRunner

from alloyloop.agent.campaign_ops import REPORT_KIND, create_from_spec
from alloyloop.campaigns.bundled import load_example
from alloyloop.cli.app import app
from alloyloop.db.campaigns import SuggestionInput, add_report, add_suggestions, finish_round, start_round
from alloyloop.db.labels import add_label, labels_for, supersede_label
from alloyloop.db.lifecycle import get_suggestion, label_suggestion
from alloyloop.db.models import Label
from alloyloop.db.session import store_session
from alloyloop.web.eln_records import local_evidence
from alloyloop.web.uploads import store_bytes

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
CAMPAIGN = "cantor-eln"
ALLOYS = ("CoCrFeMnNi", "Al0.3CoCrFeNi", "CoCrFeNi", "Al0.5CoCrFeNi")
runner = CliRunner()


@pytest.fixture(params=BACKENDS)
def stores(request: pytest.FixtureRequest, fresh_store) -> tuple[str, str, str]:  # noqa: ANN001
    """Three fresh stores of one backend: the source and two to import into."""
    return fresh_store(request.param), fresh_store(request.param), fresh_store(request.param)


def _seed(url: str, data: Path) -> list[int]:
    """A campaign with a round, its report and three suggestions; labels of every kind:
    one with an uploaded evidence file, a corrected one, a repeat, a DOI-cited one."""
    report = data / "reports" / "round-0"
    report.mkdir(parents=True)
    (report / "index.html").write_text("<h1>round 0</h1>", encoding="utf-8")
    (report / "importance.json").write_text('{"mean_abs_shap": {"vec": 0.2}}', encoding="utf-8")
    (report / "model.pt").write_bytes(b"not packed")
    scan = store_bytes(data / "evidence", b"43.4 1000\n50.6 400\n", "xy", "scan 1.xy")
    with store_session(url) as s:
        create_from_spec(s, dataclasses.replace(load_example("cantor-fcc"), name=CAMPAIGN))
        rnd = start_round(s, CAMPAIGN, data_hash="0" * 64, seed=1)
        made = add_suggestions(s, rnd.id, [SuggestionInput(c, "screen", p_single=0.7, prediction_set=["single"],
                                                           in_domain=True, acquisition=0.1) for c in ALLOYS[:3]])
        add_report(s, rnd.id, report / "index.html", kind=REPORT_KIND)
        finish_round(s, rnd.id)
        label_suggestion(s, made[0].id, outcome="single", phases=["FCC"], source="experiment", method="XRD",
                         processing="annealed 1100C 24h", entered_by="lee", evidence_uri=scan.uri,
                         note="sharp FCC peaks\nno second phase", provenance="furnace 2")
        first = label_suggestion(s, made[1].id, outcome="single", phases=["FCC"], source="experiment",
                                 method="XRD", entered_by="lee")[1]
        supersede_label(s, first.id, outcome="multi", phases=["FCC", "BCC"], note="weak BCC peaks", entered_by="ada")
        add_label(s, composition=ALLOYS[0], outcome="single", phases=["FCC"], source="experiment", method="XRD",
                  processing="annealed 1100C 24h", evidence_uri=scan.uri, entered_by="lee", repeat=True)
        add_label(s, composition=ALLOYS[3], outcome="multi", source="literature",
                  evidence_uri="doi:10.1016/j.actamat.2013.09.037", external_id="paper-7")
    return [m.id for m in made]


def _labels(url: str) -> list[tuple]:
    """Every label as what it says (no ids, dates or server paths): evidence files by
    their content-addressed name and upload name; corrections by what they correct."""
    def evidence(uri: str | None) -> str | None:
        found = local_evidence(uri)
        return uri if found is None else f"{found[0].name}#{found[1]}"

    out = []
    with store_session(url) as s:
        for key in ALLOYS:
            history = labels_for(s, key)
            by_id = {label.id: label for label in history}
            for label in history:
                corrected = by_id[label.superseded_by].outcome if label.superseded_by else None
                out.append((label.alloy_key, label.outcome, tuple(label.phases), label.source, label.method,
                            label.processing, label.anneal_temperature_c, label.anneal_time_h, label.entered_by,
                            evidence(label.evidence_uri), label.provenance, label.note, label.external_id,
                            corrected))
    return out


def _count(session) -> int:  # noqa: ANN001
    return session.execute(select(func.count()).select_from(Label)).scalar_one()


def _unzip(eln: Path, into: Path) -> Path:
    with zipfile.ZipFile(eln) as archive:
        roots = {PurePosixPath(n).parts[0] for n in archive.namelist()}
        assert roots == {eln.stem}  # one root folder, named after the file (the .eln specification)
        archive.extractall(into)
    return into / eln.stem


def _invoke(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_a_campaign_and_a_label_selection_round_trip(stores, tmp_path: Path) -> None:  # noqa: ANN001
    source, target, other = stores
    suggestions = _seed(source, tmp_path / "source")
    eln = tmp_path / "campaign.eln"
    _invoke("campaign", "export-eln", CAMPAIGN, str(eln), "--url", source)

    root = _unzip(eln, tmp_path / "unzipped")
    crate = ROCrate(root)
    files = [e for e in crate.data_entities if "File" in e.type]
    assert files and all((root / e.id).is_file() for e in files)  # every file it names is there
    on_disk = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    assert on_disk - {"ro-crate-metadata.json"} == {e.id for e in files}  # and nothing unnamed
    assert {"rounds/round-0/index.html", "rounds/round-0/importance.json", "campaign/suggestions.csv"} <= on_disk
    assert "rounds/round-0/model.pt" not in on_disk
    rows = json.loads((root / "campaign" / "suggestions.json").read_text(encoding="utf-8"))
    assert [r["id"] for r in rows] == suggestions and rows[0]["status"] == "labelled"
    assert [e["to_status"] for e in rows[0]["history"]][-1] == "labelled"
    label_folders = [e for e in crate.get_by_type("Dataset") if e.get("additionalType") == "alloyloop:PhaseLabel"]
    assert len(label_folders) == 3  # the two answers and the correction; the repeat and the DOI label answer nothing

    _invoke("label", "import-eln", str(eln), "--url", target, "--data-dir", str(tmp_path / "target"))
    every = _labels(source)  # CoCrFeMnNi: answer + repeat; Al0.3CoCrFeNi: answer + correction; Al0.5CoCrFeNi: DOI
    assert _labels(target) == [every[0], every[2], every[3]]  # the campaign's answers, the correction included
    stored = tmp_path / "target" / "evidence"
    assert [p.suffix for p in stored.iterdir()] == [".xy"]

    everything = tmp_path / "labels.eln"
    _invoke("label", "export-eln", str(everything), "--url", source)
    _invoke("label", "import-eln", str(everything), "--url", other, "--data-dir", str(tmp_path / "other"))
    assert _labels(other) == _labels(source)
    with store_session(other) as s:
        assert len(labels_for(s, ALLOYS[0])) == 2  # the repeat came back as a repeat


def test_import_is_all_or_nothing(stores, tmp_path: Path) -> None:  # noqa: ANN001
    source, target, _ = stores
    _seed(source, tmp_path / "source")
    eln = tmp_path / "labels.eln"
    _invoke("label", "export-eln", str(eln), "-c", "CoCrFeMnNi", "-c", "Al0.5CoCrFeNi", "--url", source)

    root = _unzip(eln, tmp_path / "bad")
    records = sorted(root.glob("labels/*/label.json"))
    entry = json.loads(records[-1].read_text(encoding="utf-8"))
    records[-1].write_text(json.dumps(entry | {"outcome": "mostly single"}), encoding="utf-8")
    bad = tmp_path / "bad.eln"
    with zipfile.ZipFile(bad, "w") as archive:
        for path in sorted(root.rglob("*")):
            archive.write(path, f"bad/{path.relative_to(root).as_posix()}")
    refused = runner.invoke(app, ["label", "import-eln", str(bad), "--url", target, "--data-dir", str(tmp_path / "t")])
    assert refused.exit_code == 1
    assert f"{records[-1].parent.name}/outcome" in refused.output and "mostly single" in refused.output
    with store_session(target) as s:
        assert _count(s) == 0

    checked = _invoke("label", "import-eln", str(eln), "--dry-run", "--url", target, "--data-dir", str(tmp_path / "t"))
    assert "nothing stored" in checked
    _invoke("label", "import-eln", str(eln), "--url", target, "--data-dir", str(tmp_path / "t"))
    with store_session(target) as s:
        count = _count(s)
        assert count == 3
    again = runner.invoke(app, ["label", "import-eln", str(eln), "--url", target, "--data-dir", str(tmp_path / "t")])
    assert again.exit_code == 1 and "already has this label" in again.output
    with store_session(target) as s:
        assert _count(s) == count


def test_export_refuses_a_file_that_is_not_an_eln(stores, tmp_path: Path) -> None:  # noqa: ANN001
    source, _, _ = stores
    _seed(source, tmp_path / "source")
    wrong = runner.invoke(app, ["label", "export-eln", str(tmp_path / "labels.zip"), "--url", source])
    assert wrong.exit_code == 1 and "*.eln" in wrong.output
    with store_session(source) as s:
        assert get_suggestion(s, 1).status == "labelled"
