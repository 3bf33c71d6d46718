"""The words for a phase outcome, one vocabulary for every file a person brings.

``alloyloop model fit`` (a ``phase`` column) and ``alloyloop label import`` (an
``outcome`` column) read the same words, so a file that works for one works for the
other. It lives at the bottom layer because both the model tables and the store use it.
"""

from __future__ import annotations

from enum import StrEnum


class Outcome(StrEnum):
    """Did the alloy form a single solid-solution phase?"""

    SINGLE = "single"
    MULTI = "multi"


OUTCOME_COLUMNS = ("outcome", "phase")
"""Names of the outcome column, in both commands (``label`` is read as well)."""

_WORDS = {
    Outcome.SINGLE: ("single", "single phase", "singlephase", "sp", "ss", "solid solution", "1", "1.0",
                     "true"),
    Outcome.MULTI: ("multi", "multi phase", "multiphase", "multiple phases", "mp", "ms", "0", "0.0", "false"),
}
OUTCOME_WORDS: dict[str, Outcome] = {w: outcome for outcome, words in _WORDS.items() for w in words}
OUTCOME_HINT = "also single-phase / multi-phase, SP / MP, SS / MS, 1 / 0, true / false; any case"


def outcome_word(value: object) -> Outcome | None:
    """The outcome a cell means (``Single-Phase``, ``SS``, ``1`` …), None if it is not one."""
    if isinstance(value, Outcome):
        return value
    if value is None:
        return None
    text = " ".join(str(value).strip().lower().replace("-", " ").replace("_", " ").split())
    return OUTCOME_WORDS.get(text)
