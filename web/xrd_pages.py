"""Label from an XRD pattern in the web app: upload, see the proposal, accept / edit / reject.

``GET /labels/xrd`` asks for the alloy and the pattern; ``POST /labels/xrd`` stores the
pattern as evidence (content-addressed, as every upload), analyses it
(:mod:`alloyloop.agent.xrd`) and shows the proposal — phases with confidence and lattice
parameters, the peak table, the PNG with the peaks marked per phase — above a label form
filled in with it. ``POST /labels/xrd/store`` analyses the stored pattern again (the analysis
is deterministic, so the stored analysis is the one shown) and stores the label: source
``experiment``, method ``XRD``, the pattern as evidence, the analysis and the person's
decision (accepted, edited, rejected) as provenance. A rejected proposal still stores the
person's label.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from alloyloop.agent.xrd.analysis import XrdAnalysis
from alloyloop.agent.xrd.pattern import Pattern, Radiation
from alloyloop.agent.xrd.plot import pattern_png
from alloyloop.agent.xrd.readers import PatternFileError, read_pattern_bytes
from alloyloop.agent.xrd_labels import METHOD, SOURCE, analysed, decided, label_fields
from alloyloop.db.alloys import parse_alloy
from alloyloop.db.errors import InvalidValue, StoreError
from alloyloop.db.vocab import Outcome, Phase, ProcessingKind
from alloyloop.web import services
from alloyloop.web.errors import PayloadTooLarge, UnsupportedUpload, problems_of
from alloyloop.web.inputs import clean_text
from alloyloop.web.pages import Form, LabRole, Settings, Store, Writer
from alloyloop.web.templating import render
from alloyloop.web.uploads import EVIDENCE_TYPES, has_file, save_upload, stored_path

router = APIRouter(include_in_schema=False)
PATTERN_TYPES = {ext: rule for ext, rule in EVIDENCE_TYPES.items() if ext in ("xy", "xye", "csv", "txt", "dat", "xrdml", "ras", "uxd", "chi")}
DECISIONS = ("accept", "edit", "reject")


@dataclass(frozen=True)
class Upload:
    """The stored pattern: its evidence file name (``<sha256>.<ext>``) and the client's name."""

    stored: str
    name: str


FIELD_NAMES = {"composition": "Composition", "file": "Pattern file", "pattern": "Pattern file",
               "wavelength": "Wavelength", "decision": "Decision"}


def _problem(field: str, exc: Exception) -> list[dict[str, Any]]:
    """A refused upload as the form's problem list, under the form's own field names."""
    if isinstance(exc, StoreError):
        return [p | {"field": FIELD_NAMES.get(p["field"], p["field"])}
                for p in problems_of(exc)] or [{"field": field, "value": None, "fix": str(exc)}]
    detail = getattr(exc, "detail", None) or str(exc)
    return [{"field": field, "value": None, "fix": detail}]


def _upload_page(request: Request, values: dict[str, Any], errors: list[dict[str, Any]] | None = None,
                 status_code: int = 200) -> Response:
    return render(request, "xrd_upload.html", {
        "values": values, "errors": errors or [], "accept": ",".join(f".{e}" for e in PATTERN_TYPES)},
        status_code=status_code)


def _proposal_page(request: Request, *, pattern: Pattern, analysis: XrdAnalysis, upload: Upload,
                   values: dict[str, Any], errors: list[dict[str, Any]] | None = None,
                   status_code: int = 200) -> Response:
    png = base64.b64encode(pattern_png(pattern, analysis)).decode("ascii")
    return render(request, "xrd_label.html", {
        "analysis": analysis, "upload": upload, "values": values, "errors": errors or [],
        "plot": f"data:image/png;base64,{png}", "outcomes": [o.value for o in Outcome],
        "phases": [p.value for p in Phase], "processing_kinds": [k.value for k in ProcessingKind],
    }, status_code=status_code)


def _radiation(text: object) -> Radiation | None:
    """The radiation the form names; a wrong one is the wavelength's problem, not the file's."""
    word = clean_text("wavelength", text, 40)
    if not word:
        return None
    try:
        return Radiation.of(word, "given in the form")
    except ValueError as exc:
        raise InvalidValue("wavelength", word, fix=str(exc).split(": ", 1)[-1]) from None


def _read_stored(settings, upload: Upload, wavelength: object) -> Pattern:  # noqa: ANN001
    path = stored_path(settings.evidence_dir, upload.stored, PATTERN_TYPES)
    if path is None:
        raise InvalidValue("pattern", upload.stored, fix="the uploaded pattern is gone: upload it again")
    return read_pattern_bytes(path.read_bytes(), upload.name, radiation=_radiation(wavelength))


@router.get("/labels/xrd")
def xrd_form(request: Request, login: LabRole, composition: str | None = None) -> Response:
    return _upload_page(request, {"composition": composition or ""})


@router.post("/labels/xrd")
def xrd_analyse(request: Request, settings: Settings, form: Form, login: Writer) -> Response:
    values = {"composition": form.get("composition") or "", "wavelength": form.get("wavelength") or ""}
    upload = form.get("pattern")
    try:
        alloy = parse_alloy(clean_text("composition", values["composition"], 200) or "")
        radiation = _radiation(values["wavelength"])
        if not has_file(upload):
            raise InvalidValue("file", None, fix="choose the pattern file (.xy, .csv, .txt, .xrdml, .ras, .uxd, .chi)")
        stored = save_upload(upload, settings.evidence_dir, PATTERN_TYPES, settings.max_upload_bytes)
        pattern = read_pattern_bytes(stored.path.read_bytes(), stored.original_name, radiation=radiation)
    except (StoreError, UnsupportedUpload, PayloadTooLarge) as exc:
        return _upload_page(request, values, _problem("Pattern file", exc), getattr(exc, "status_code", 422))
    except (PatternFileError, ValueError) as exc:
        return _upload_page(request, values, [{"field": "Pattern file", "value": None, "fix": str(exc)}], 422)
    _, analysis = analysed(pattern, alloy)
    proposal = {"outcome": analysis.outcome or "", "phases": list(analysis.proposed_phases),
                "composition": alloy.key, "wavelength": values["wavelength"]}
    return _proposal_page(request, pattern=pattern, analysis=analysis,
                          upload=Upload(stored.path.name, stored.original_name), values=proposal)


@router.post("/labels/xrd/store")
def xrd_store(request: Request, session: Store, settings: Settings, form: Form, login: Writer) -> Response:
    upload = Upload(str(form.get("pattern") or ""), str(form.get("pattern_name") or "pattern.xy"))
    composition = str(form.get("composition") or "")
    decision = str(form.get("decision") or "")
    values: dict[str, Any] = {
        "composition": composition, "wavelength": form.get("wavelength") or "",
        "outcome": form.get("outcome") or "", "phases": list(form.getlist("phases")),
        "processing": form.get("processing") or "", "anneal_temperature_c": form.get("anneal_temperature_c") or "",
        "anneal_time_h": form.get("anneal_time_h") or "", "note": form.get("note") or ""}
    try:
        pattern = _read_stored(settings, upload, values["wavelength"])
        _, analysis = analysed(pattern, composition)
    except (StoreError, PatternFileError, ValueError) as exc:
        return _upload_page(request, {"composition": composition}, _problem("Pattern file", exc), 422)
    try:
        if decision not in DECISIONS:
            raise InvalidValue("decision", decision, allowed=DECISIONS)
        if decision == "accept":
            if analysis.outcome is None:
                raise InvalidValue("decision", decision, fix="there is no proposal to accept: choose the outcome "
                                   "and phases and store them as your label")
            values |= {"outcome": analysis.outcome, "phases": list(analysis.proposed_phases)}
        raw = {k: values[k] for k in ("composition", "outcome", "phases", "processing", "anneal_temperature_c",
                                      "anneal_time_h", "note")}
        fields = services.checked_label(raw | {"source": SOURCE, "method": METHOD, "evidence_uri": None}, settings)
        chosen = decided(analysis, outcome=fields.get("outcome"), phases=fields.get("phases"),
                         rejected=decision == "reject")
        path = settings.evidence_dir / upload.stored
        fields |= label_fields(chosen, f"{path.resolve().as_uri()}#{quote(upload.name, safe='')}")
        label, _ = services.enter_label(session, login, settings, fields)
    except StoreError as exc:
        problems = [p | {"field": p["field"].replace("_", " ")} for p in problems_of(exc)] or [
            {"field": "label", "value": None, "fix": str(exc)}]
        return _proposal_page(request, pattern=pattern, analysis=analysis, upload=upload, values=values,
                              errors=problems, status_code=422)
    return RedirectResponse(f"/labels?composition={quote(label.alloy_key, safe='')}&done=label&id={label.id}",
                            status_code=303)
