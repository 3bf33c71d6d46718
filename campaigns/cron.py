"""Five-field cron expressions (minute hour day-of-month month day-of-week).

Checked here with the standard library so that validating a spec never imports Prefect
(about 3 s). Prefect's own parser accepts a superset (``@daily``, seconds); we accept
the classic form that every cron documentation describes, which Prefect also accepts.
"""

from __future__ import annotations

import re

_FIELDS = (
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day of month", 1, 31, {}),
    ("month", 1, 12, {m: i + 1 for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"))}),
    ("day of week", 0, 7, {d: i for i, d in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))}),
)
_ITEM = re.compile(r"^(\*|[a-z0-9]+(?:-[a-z0-9]+)?)(?:/(\d+))?$")


def cron_problem(expression: str) -> str | None:
    """None if ``expression`` is a valid five-field cron expression, else what is wrong."""
    if not isinstance(expression, str):
        return f"give the schedule as a string, e.g. \"0 2 * * *\" (got {expression!r})"
    fields = expression.split()
    if len(fields) != 5:
        return (f"{expression!r} has {len(fields)} field(s): give five (minute hour "
                "day-of-month month day-of-week), e.g. \"0 2 * * *\" for 02:00 daily")
    for text, (name, low, high, names) in zip(fields, _FIELDS):
        for item in text.lower().split(","):
            match = _ITEM.match(item)
            if not match:
                return f"{name} field {text!r} is not a cron field: use *, N, N-M, */K or lists of them"
            span, step = match.groups()
            if step is not None and int(step) == 0:
                return f"{name} field {text!r} has step 0: use a step of at least 1"
            if span == "*":
                continue
            for part in span.split("-"):
                value = names.get(part, int(part) if part.isdigit() else None)
                if value is None or not low <= value <= high:
                    return f"{name} value {part!r} in {text!r} is outside {low}-{high}"
    return None
