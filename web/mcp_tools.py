"""What the MCP server's tools do, over a store session and an actor (who asks).

Plain functions returning JSON-ready values, so the MCP layer (:mod:`alloyloop.web.mcp_server`)
only registers them and translates errors. A label goes through the store's one set of
rules and its audited write (:func:`alloyloop.db.audit.add_label_audited` /
:func:`~alloyloop.db.audit.label_suggestion_audited`): the same validation, audit log
entries and suggestion closing as the web app's form and API.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any


from alloyloop.agent.campaign_ops import campaign_summaries, last_completed, trigger_decision
from alloyloop.agent.report.suggestion_shap import Driver
from alloyloop.agent.report.suggestion_table import credible_set_text
from alloyloop.campaigns.errors import SpecError
from alloyloop.db.audit import add_label_audited, audit_entries, label_suggestion_audited
from alloyloop.db.campaigns import get_campaign, get_model_version, list_campaigns, list_suggestions, rounds
from alloyloop.db.errors import InvalidValue, NotFound
from alloyloop.db.labels import labels_for
from alloyloop.db.resolver import resolve_alloy
from alloyloop.db.roles import Role
from alloyloop.db.session import Session
from alloyloop.db.status import OPEN, SuggestionStatus
from alloyloop.db.suggestion_links import closed_by
from alloyloop.featurize.batch import featurize as featurize_batch
from alloyloop.web.inputs import label_fields
from alloyloop.web.services import suggestion_drivers
from alloyloop.web.uploads import check_evidence_uri

MAX_COMPOSITIONS = 1000
"""Compositions per featurize / predict call (a tool answer is read by a model)."""
HIDDEN_EXTRA = frozenset({"latent", "path"})
"""Suggestion detail that explains nothing to a reader (latent coordinates, server paths)."""


@dataclass(frozen=True)
class Actor:
    """Who calls a tool: the audit log's actor and ``entered_by``, and the role."""

    name: str
    role: Role

    def require(self, needed: Role, what: str) -> None:
        if not self.role.allows(needed):
            raise PermissionError(f"user {self.name!r} has role {self.role.value!r}; {what} needs "
                                  f"{needed.value!r} or higher: ask an admin (alloyloop user role)")


def campaigns(session: Session) -> list[dict[str, Any]]:
    """Every campaign with its status, rounds (hits, mean p(single), validation metrics),
    suggestions by status and the retrain trigger."""
    out = []
    for record in list_campaigns(session):
        statuses: dict[str, int] = {}
        for s in list_suggestions(session, campaign=record.name):
            statuses[s.status] = statuses.get(s.status, 0) + 1
        try:
            decision = trigger_decision(session, record.name)
            trigger: dict[str, Any] | None = {"fire": decision.fire, "reason": decision.reason,
                                              "new_labels": decision.new_labels}
        except SpecError as exc:
            trigger = {"error": str(exc)}
        summaries = [{k: v for k, v in vars(s).items() if k != "report"} | {"has_report": s.report is not None}
                     for s in campaign_summaries(session, record.name)]
        out.append({"name": record.name, "status": record.status, "target": record.spec.get("target", "single"),
                    "rounds": summaries, "suggestions_by_status": statuses,
                    "open_suggestions": sum(n for st, n in statuses.items() if SuggestionStatus(st) in OPEN),
                    "trigger": trigger})
    return out


def _explanation(s: Any, drivers: Sequence[Driver] = ()) -> str:  # noqa: ANN401 - a SuggestionRecord
    """Why it was suggested, in one line (what the queue page says), with its own strongest
    SHAP features when its round's report computed them."""
    x = s.extra or {}
    parts = [f"strategy {s.strategy}" + (f" (filling in for {x['filled_for']})" if x.get("filled_for") else "")]
    if s.p_single is not None:
        interval = (f" [{s.interval_low:.2f}-{s.interval_high:.2f}]"
                    if s.interval_low is not None and s.interval_high is not None else "")
        parts.append(f"p(single) {s.p_single:.2f}{interval}")
    if x.get("target") and x.get("p_target") is not None:
        parts.append(f"p({x['target']}) {x['p_target']:.2f}")
    if s.prediction_set is not None:
        parts.append(f"credible labels: {credible_set_text(s.prediction_set)}")
    if s.in_domain is not None:
        parts.append("in the model's domain" if s.in_domain else "outside the model's domain")
    if x.get("nearest_key"):
        distance = x.get("nearest_distance")
        parts.append(f"nearest known alloy {x['nearest_key']}" + (f" at {distance:.2f}" if distance is not None else ""))
    if drivers:
        parts.append(f"its strongest SHAP features (value: contribution to {drivers[0].explains}): "
                     + ", ".join(d.text for d in drivers))
    return "; ".join(parts)


def open_suggestions(session: Session, campaign: str, limit: int = 100) -> list[dict[str, Any]]:
    """A campaign's open suggestions (suggested, queued, synthesized, failed), newest round
    first, each with why it was suggested."""
    get_campaign(session, campaign)  # NotFound names the campaign
    index_of = {r.id: r.index for r in rounds(session, campaign)}
    found = [s for s in list_suggestions(session, campaign=campaign) if SuggestionStatus(s.status) in OPEN]
    found.sort(key=lambda s: (-index_of[s.round_id], s.id))
    drivers = suggestion_drivers(session, campaign)
    return [{"id": s.id, "round": index_of[s.round_id], "alloy": s.alloy_key, "status": s.status,
             "strategy": s.strategy, "p_single": s.p_single, "interval": [s.interval_low, s.interval_high],
             "conformal_set": s.prediction_set, "in_domain": s.in_domain, "acquisition": s.acquisition,
             "detail": {k: v for k, v in (s.extra or {}).items() if k not in HIDDEN_EXTRA},
             "shap_features": [vars(d) for d in drivers.get(s.id, ())],
             "explanation": _explanation(s, drivers.get(s.id, ()))} for s in found[:max(1, limit)]]


def _checked_compositions(compositions: Sequence[str]) -> list[str]:
    if not compositions or len(compositions) > MAX_COMPOSITIONS:
        raise InvalidValue("compositions", len(compositions),
                           fix=f"give 1 to {MAX_COMPOSITIONS} compositions per call")
    return list(compositions)


def featurize(compositions: Sequence[str]) -> dict[str, Any]:
    """Canonical key and physics descriptors of each composition; bad ones are listed with
    the fix, the others computed."""
    batch = featurize_batch(_checked_compositions(compositions))
    rows = []
    for line, row in batch.table.iterrows():
        values = {name: float(row[name]) for name in batch.schema.names}
        rows.append({"input": row["input"], "key": row["key"], "read_as": row["read_as"] or None,
                     "position": int(line), "descriptors": values})
    return {"rows": rows, "errors": [{"position": e.row, "input": e.value, "error": e.message}
                                     for e in batch.errors]}


def predict(session: Session, campaign: str, compositions: Sequence[str]) -> dict[str, Any]:
    """p(single), the conformal set and the domain signal of each composition, from the
    model of the campaign's newest completed round."""
    from alloyloop.featurize.composition import parse_many
    from alloyloop.featurize.matrix import fraction_matrix
    from alloyloop.models.checkpoint import CheckpointError
    from alloyloop.models.dvae import DisentangledVAE

    done = last_completed(session, campaign)
    if done is None or done.model_version_id is None:
        raise NotFound(f"campaign {campaign!r} has no completed round with a model yet: "
                       f"run one (alloyloop campaign run {campaign})")
    version = get_model_version(session, done.model_version_id)
    try:
        model = DisentangledVAE.load(Path(version.checkpoint_path))
    except (CheckpointError, OSError, ValueError, KeyError) as exc:
        raise NotFound(f"the model of round {done.index} of {campaign!r} cannot be loaded ({exc}): "
                       f"run the next round (alloyloop campaign run {campaign})") from None
    batch = parse_many(_checked_compositions(compositions), allowed=model.elements)
    errors = [{"position": e.row, "input": e.value, "error": e.message} for e in batch.errors]
    usable = batch.parsed
    rows = []
    if usable:
        detail = model.predict_detail(fraction_matrix((p.fractions for p in usable.values()), model.elements))
        for i, (position, parsed) in enumerate(usable.items()):
            rows.append({"position": position, "input": parsed.source, "key": parsed.key,
                         "p_single": float(detail.p_single[i]), "conformal_set": detail.sets[i],
                         "in_domain": bool(detail.in_domain[i]), "domain_score": float(detail.domain_score[i])})
    return {"campaign": campaign, "round": done.index, "model": version.name, "rows": rows,
            "errors": errors}


def label_history(session: Session, composition: str) -> dict[str, Any]:
    """Every label of an alloy (corrections included, oldest first), its training label
    with the reason, the suggestions each label closed and the audit trail of its labels."""
    labels = labels_for(session, composition)
    resolution = resolve_alloy(session, composition) if labels else None
    ids = [label.id for label in labels]
    trail = audit_entries(session, target_type="label", target_ids=ids, limit=500) if ids else []
    return {
        "alloy": labels[0].alloy_key if labels else None,
        "labels": [label.to_dict() | {"closed_suggestions": [
            {"campaign": c, "round": r, "suggestion": s} for c, r, s in closed_by(session, label.id)]}
            for label in labels],
        "training_label": None if resolution is None else {
            "outcome": resolution.outcome, "reason": resolution.reason, "label_id": resolution.label_id},
        "audit": [e.to_dict() for e in trail],
    }


def enter_label(session: Session, actor: Actor, evidence_dir: Path, raw: dict[str, Any], *,
                suggestion_id: int | None = None) -> dict[str, Any]:
    """Store a label (role ``lab``), for a suggestion or for a composition, through the
    web app's boundary checks and the store's audited write."""
    actor.require(Role.LAB, "entering a label")
    fields = label_fields(raw, with_composition=suggestion_id is None)
    check_evidence_uri(fields.get("evidence_uri"), evidence_dir)
    values = fields | {"source": fields.get("source") or "experiment", "entered_by": actor.name}
    if suggestion_id is not None:
        values.pop("composition", None)
        _, label = label_suggestion_audited(session, suggestion_id, actor=actor.name, **values)
    else:
        label = add_label_audited(session, actor=actor.name, **values)
    return {"label": label.to_dict(), "closed_suggestions": [
        {"campaign": c, "round": r, "suggestion": s} for c, r, s in closed_by(session, label.id)]}
