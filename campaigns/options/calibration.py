"""``[calibration]``: the campaign's own-record calibration of the p(single) it records.

The p stored with each new suggestion is the model's p moved by a logit slope and offset
fitted on the campaign's own labelled suggestions (:mod:`alloyloop.agent.campaign_calibration`);
the model's raw p stays in the suggestion's ``extra["p_model"]``. ``prior_sd`` is the
prior's standard deviation of the offset (logit units), ``slope_prior_sd`` that of the
slope's logarithm: small keeps the model's p, large trusts the campaign's record. Evidence for the default: docs/benchmarks.md,
"Calibration of suggestions on the campaign's own record (2026-12-08)".
"""

from __future__ import annotations

from typing import Any

import attrs

from alloyloop.campaigns.options.checks import OptionError, flag, named, number
from alloyloop.campaigns.options.collect import converted_as_given


def _sd(what: str) -> Any:
    """A prior sd's check: in (0, 10], its refusal naming ``what`` and the way to turn the
    calibration off."""
    @named
    def check(inst: Any, attr: Any, v: Any) -> None:
        try:
            number(0.0, 10.0, open_low=True)(inst, None, v)
        except OptionError as exc:
            raise OptionError(f"{exc} ({what}, e.g. 0.5; to turn the calibration off write "
                              "enabled = false)") from None
    return check


@converted_as_given
@attrs.frozen
class CalibrationSpec:
    """Whether the recorded p(single) is calibrated on the campaign's own record, the
    offset's prior sd (logit units) and the log slope's, each in (0, 10]."""

    enabled: bool = attrs.field(default=True, validator=flag)
    prior_sd: float = attrs.field(default=0.5, validator=_sd("the offset's prior sd in logit units"))
    slope_prior_sd: float = attrs.field(default=0.5, validator=_sd("the prior sd of the logit slope's logarithm"))
