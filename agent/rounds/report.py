"""A round's report: written to the round folder, linked from the round once.

A rerun finds the linked report and writes nothing; a crash between writing the files and
linking them is finished by writing them again and linking them.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from alloyloop.agent.campaign_ops import REPORT_KIND, round_report_path, summarize_round
from alloyloop.agent.faults import kill_point
from alloyloop.agent.report import round_report
from alloyloop.agent.report.calphad_agreement import calphad_vs_experiment
from alloyloop.agent.report.round_report import read_importance
from alloyloop.agent.report.xrd_patterns import round_xrd_labels
from alloyloop.agent.rounds.fit import Fitted
from alloyloop.agent.rounds.start import RoundStart
from alloyloop.agent.rounds.suggest import batch_notes
from alloyloop.agent.training_data import RoundData
from alloyloop.db.campaigns import add_report, rounds
from alloyloop.db.records import ModelVersionRecord, SuggestionRecord
from alloyloop.db.session import SessionFactory
from alloyloop.db.status import RoundStatus

REPORT_DIR = "report"


def previous_importance(sessions: SessionFactory, campaign: str, index: int
                        ) -> dict[str, float] | None:
    """Mean |SHAP| per feature of the newest completed round before ``index`` that has a report."""
    with sessions() as session:
        earlier = [r for r in rounds(session, campaign)
                   if r.index < index and r.status == RoundStatus.COMPLETED.value]
        for r in reversed(earlier):
            path = round_report_path(session, r.id)
            if path is not None:
                return read_importance(Path(path).parent)
    return None


def _info(start: RoundStart, version: ModelVersionRecord, fitted: Fitted, home: str | None
          ) -> dict[str, object]:
    rnd, warm = start.round, fitted.warm
    return {"campaign": start.spec.name, "round": rnd.index, "seed": rnd.seed,
            "data hash": rnd.data_hash, "model version": f"#{version.id} {version.name}",
            "checkpoint": version.checkpoint_path, "checkpoint sha256 (meta.json)": version.sha256,
            "warm start": f"{'yes' if warm.used else 'no'}: {warm.reason}",
            "notes": batch_notes(start.folder(home))}


def write_report(sessions: SessionFactory, start: RoundStart, fitted: Fitted, data: RoundData,
                 suggestions: list[SuggestionRecord], version: ModelVersionRecord,
                 home: str | None) -> str:
    """Write the round's report files and link them from the round (once)."""
    spec, rnd = start.spec, start.round
    with sessions() as session:
        linked = round_report_path(session, rnd.id)
    if linked is not None and Path(linked).is_file():
        return linked
    with sessions() as session:
        agreement = calphad_vs_experiment(session, spec.model.palette)
        earlier = [asdict(summarize_round(session, r, target=spec.goal.target)) for r in rounds(session, spec.name)
                   if r.index < rnd.index]
        xrd_labels = round_xrd_labels(session, spec.name, rnd.index)
    files = round_report.write_round_report(
        fitted.model, data, suggestions, start.folder(home) / REPORT_DIR,
        info=_info(start, version, fitted, home),
        previous_importance=previous_importance(sessions, spec.name, rnd.index),
        shap_rows=spec.report.shap_rows, shap_background=spec.report.shap_background,
        seed=rnd.seed, agreement=agreement, objectives=spec.goal.objectives,
        target=spec.goal.target, design_palette=spec.space.palette,
        processing=data.processing_counts(), design_route=spec.model.processing,
        earlier_rounds=earlier, xrd_labels=xrd_labels)
    kill_point("report")  # crash tests: report files written, not linked
    if linked is None:
        with sessions() as session:
            add_report(session, rnd.id, files.html, kind=REPORT_KIND)
    return str(files.html)
