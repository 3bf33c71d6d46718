"""A round's training data: the store snapshot seen through the labeler's training view.

What the campaign may train on is the labeler's business (a replay oracle hides the
alloys it will reveal, and may start the campaign from a share of the labels): the round
asks :attr:`alloyloop.agent.labelers.Labeler.training_view` and knows nothing more.
Simulated labels made for other campaigns are left out by
:func:`alloyloop.agent.training_data.campaign_labels` for every campaign.
"""

from __future__ import annotations

from alloyloop.agent.labelers import build_labeler
from alloyloop.agent.pool import load_pool
from alloyloop.agent.rounds.start import RoundStart
from alloyloop.agent.training_data import RoundData, round_data


def training_data(start: RoundStart) -> RoundData:
    """The round's matrices: labelled (as the labeler's view allows), validation,
    unlabelled, pending."""
    spec, rnd = start.spec, start.round
    return round_data(start.snapshot, spec.model.palette, spec.name, seed=rnd.seed,
                      val_fraction=spec.model.config().val_fraction,
                      use_unlabelled=spec.model.unlabelled,
                      max_unlabelled=spec.model.max_unlabelled,
                      view=build_labeler(spec.labeler, spec).training_view, closed_keys=start.closed_keys,
                      data_hash=rnd.data_hash,
                      pool=load_pool(spec.pool) if spec.pool is not None else None)
