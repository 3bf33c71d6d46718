"""What the OpenAPI document says about the JSON API, taken from what the server enforces.

- The error body every failure has (:class:`ErrorBody`: ``detail`` and, for invalid values,
  ``problems``), and per operation the status codes it may answer (:func:`errors`).
- The closed vocabularies of label fields as enums, generated from the store's own
  (:mod:`alloyloop.db.vocab`, :mod:`alloyloop.db.status`): the schema lists exactly what the
  API accepts, in the store's spelling (the CLI and CSV import also take aliases such as
  ``exp`` or ``single-phase``; the API, read by programs, takes the canonical values only).
- The numeric bounds and text lengths of :mod:`alloyloop.db.labels` and :mod:`alloyloop.db.vocab`, which the server checks
  (imported from the store, not retyped).

Rules a JSON Schema cannot state (a composition's elements and amounts, a method that fits
the source, one solid solution for a single-phase label …) are named in the operation's
422 description; the server answers 422 with the problem and its fix.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, Field, Strict

from alloyloop.db.vocab import Method, Phase, ProcessingKind, Source
from alloyloop.featurize.outcomes import Outcome
from alloyloop.db.labels import MAX_LENGTH
from alloyloop.db.vocab import TEMPERATURE_C, TIME_H
from alloyloop.web.services import WEB_STATUSES

StatusChoice = StrEnum("StatusChoice", {s.name: s.value for s in WEB_STATUSES})  # type: ignore[misc]
"""The status moves people make through the API (``labelled`` comes with a label, ``stale``
from the loop)."""

_PHASE = "|".join(re.escape(p.value) for p in Phase)
PHASES_TEXT = rf"^(?:{_PHASE})(?:\+(?:{_PHASE}))*$"
"""Phases as one text, ``FCC+BCC``: the enum's values joined by ``+``."""

Temperature = Annotated[float, Strict(), Field(gt=TEMPERATURE_C[0], le=TEMPERATURE_C[1], allow_inf_nan=False,
                                                 description="°C, annealed samples only")]
Hours = Annotated[float, Strict(), Field(gt=TIME_H[0], le=TIME_H[1], allow_inf_nan=False,
                                         description="hours, annealed samples only")]


Composition = Annotated[str, Strict(), Field(max_length=MAX_LENGTH["composition"], examples=["Al0.5CoCrFeNi"])]
EvidenceUri = Annotated[str, Strict(), Field(max_length=MAX_LENGTH["evidence_uri"],
                                             description="https://…, doi:…, or the URI returned by POST /evidence")]
Note = Annotated[str, Strict(), Field(max_length=MAX_LENGTH["note"])]
_KINDS = ", ".join(k.value for k in ProcessingKind)
ProcessingText = Annotated[str, Strict(), Field(
    max_length=MAX_LENGTH["processing"], examples=["as-cast", "annealed 1100C 24h"],
    description=f"the sample's processing: a kind ({_KINDS}), or the whole text of an anneal "
                "('annealed 1100C 24h'); an anneal's temperature and time may instead go in their own fields")]
StatusNote = Annotated[str, Strict(), Field(max_length=2000, description="required for failed: why it failed")]
PhaseList = Annotated[list[Phase], Field(max_length=20)]
PhaseText = Annotated[str, Strict(), Field(max_length=200, pattern=PHASES_TEXT)]
"""Numbers and texts are strict: ``"1100"`` or ``true`` is not read as a number, ``5`` not as a text."""


class Problem(BaseModel):
    """One refused value: the field, the value as sent (shortened), how to fix it."""

    field: str = Field(examples=["outcome"])
    value: str | None = Field(examples=["singel"])
    fix: str = Field(examples=["use one of: single, multi"])


class ErrorBody(BaseModel):
    """Every error answer: a message naming the value and the fix; for invalid values
    (422) each problem on its own (absent otherwise)."""

    detail: str
    problems: list[Problem] = Field(default_factory=list)


WHY = {
    400: "The body could not be read: not UTF-8 JSON, or a broken form or multipart upload.",
    401: "Not logged in (or the session expired): log in with POST /api/v1/session.",
    403: "The login's role may not do this (writes need lab or admin), or the X-CSRF-Token header is "
         "missing or wrong.",
    404: "No such record.",
    409: "The request clashes with the record's state (already labelled, already corrected, a status "
         "move the lifecycle does not allow, a file imported before, a label already stored).",
    413: "The request body is larger than the server's limit.",
    415: "The uploaded file's type is not accepted.",
    422: "A value is not allowed: every problem is listed with its field, value and fix.",
    429: "Too many failed logins: wait for the number of seconds in Retry-After.",
}

READ = (401, 422)
WRITE = (400, 401, 403, 413, 422)


def errors(*codes: int, why: dict[int, str] | None = None) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` of an operation: each status code with the error body and why it
    happens (``why`` adds the operation's own reasons)."""
    out: dict[int | str, dict[str, Any]] = {}
    for code in sorted(set(codes)):
        description = WHY[code] + (f" {why[code]}" if why and code in why else "")
        entry: dict[str, Any] = {"model": ErrorBody, "description": description}
        if code == 429:
            entry["headers"] = {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}}
        out[code] = entry
    return out


LABEL_RULES = ("Besides the schema, the store refuses: a composition it cannot read (unknown element, "
               "an amount that is zero, negative or rounds to nothing), a method the source cannot use "
               "(experiments name an experimental method), more than one phase or a phase other than "
               "FCC, BCC or HCP for a single-phase label, anneal values without processing 'annealed', "
               "an evidence URI that is not https://, doi: or an uploaded file.")
