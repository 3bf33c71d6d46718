"""Phase4 labels and processing routes on the training-data path (agent/training_data.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from alloyloop.agent.training_data import RoundData, phase4_words


def test_phase4_words_from_outcome_and_phases():
    frame = pd.DataFrame({
        "single_phase": pd.array([True, True, False, True, True], dtype="boolean"),
        "phases": [["BCC"], [], ["FCC", "BCC"], ["FCC", "L12"], ["FCC", "HCP"]],
    })
    # a single-phase label naming no (or two) structures is a partial label: "single"
    assert list(phase4_words(frame)) == ["BCC", "single", "multi", "FCC", "single"]


def test_model_labels_by_label_space():
    data = RoundData(elements=("Co", "Ni"), keys=("a", "b"), X=np.eye(2), y=np.array([1, 0]),
                     train=np.array([0]), val=np.array([1]), X_unlabelled=np.zeros((0, 2)),
                     pending_keys=(), X_pending=np.zeros((0, 2)), data_hash="h", n_hidden=0,
                     phase4=np.array(["FCC", "multi"], dtype=object))
    assert list(data.model_labels("single")) == [1, 0]
    assert list(data.model_labels("phase4")) == ["FCC", "multi"]
    assert data.processing is None
