"""A CALPHAD labeler for any campaign from the command line's options (``alloyloop label calphad``).

The database and temperatures come from the command line, else from the campaign's spec
when its labeler is ``calphad``; a ``lab`` or ``replay`` campaign can be labelled this way
too (the labels are ``calphad`` labels, which experiments outrank in training). The
labelling itself is the one path every labeler takes
(:func:`alloyloop.agent.rounds.labelling.label_open`): no Prefect, the calculations run in
worker processes with the same per-calculation time limit, and the results are stored
exactly as a round's labelling stores them.
"""

from __future__ import annotations

from collections.abc import Sequence

from alloyloop.agent.labelers.calphad import DEFAULT_TIMEOUT_S, DEFAULT_WORKERS, CalphadLabeler
from alloyloop.campaigns.options.labelers import CalphadOptions
from alloyloop.campaigns.spec import CampaignSpec
from alloyloop.campaigns.tdb import TdbFile


def labeler_for_campaign(spec: CampaignSpec, *, tdb: str | None = None,
                         temperatures: Sequence[float] = (), threshold: float | None = None,
                         timeout_s: float | None = None, workers: int | None = None) -> CalphadLabeler:
    """A calphad labeler for a campaign: the given options, else the spec's calphad options.

    Raises:
        ValueError: no database or temperature given and the spec has none (the message
            says which option to add).
        alloyloop.campaigns.tdb.TdbError: the database cannot be found.
    """
    lab = spec.labeler if isinstance(spec.labeler, CalphadOptions) else None
    ref = tdb or (lab.tdb if lab else None)
    if ref is None:
        raise ValueError(f"campaign {spec.name!r} is labelled by {spec.labeler.kind!r}, which "
                         "names no database: give --tdb FILE (or --tdb pycalphad:alcocrni.tdb)")
    temps = tuple(sorted(temperatures)) or (lab.temperatures if lab else ())
    if not temps:
        raise ValueError("no temperature: give --temperature in kelvin, e.g. --temperature 1273")
    return CalphadLabeler(
        campaign=spec.name, database=TdbFile.open(ref), temperatures=temps,
        threshold=threshold if threshold is not None else (lab.threshold if lab else 0.99),
        timeout_s=timeout_s if timeout_s is not None else (lab.timeout if lab else DEFAULT_TIMEOUT_S),
        workers=workers or (lab.workers if lab and lab.workers else DEFAULT_WORKERS))
