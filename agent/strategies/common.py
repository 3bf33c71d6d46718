"""Steps shared by the generative strategies: decode → repair → filter → rank."""

from __future__ import annotations

import numpy as np

from alloyloop.campaigns.design_space import DesignSpace
from alloyloop.agent.novelty import duplicates_of, first_occurrences
from alloyloop.agent.repair import repair
from alloyloop.agent.suggestion import Observations, to_model_columns, to_space_columns


def decode_to_space(model, z: np.ndarray, space: DesignSpace, elements: tuple[str, ...],
                    y: int | str = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Decode latent points with label ``y`` and repair them onto the design space.

    Returns:
        ``(x_space (n, E_space), repair_distance (n,), valid (n,))``. ``valid`` is False
        where the repaired alloy breaks a constraint or lies outside the model's domain of
        applicability (the classifier would be extrapolating there). The repair distance
        counts the decoded mass outside the palette as moved atoms too.
    """
    decoded = model.decode(z, y)
    inside = to_space_columns(decoded, space, elements)
    fixed = repair(inside, space)
    outside_mass = 1.0 - inside.sum(axis=1)
    distance = np.clip(fixed.distance * (1.0 - outside_mass) + outside_mass, 0.0, 1.0)
    valid = fixed.valid.copy()
    if valid.any():
        detail = model.predict_detail(to_model_columns(fixed.x[valid], space, elements))
        valid[np.flatnonzero(valid)] = detail.in_domain
    return fixed.x, distance, valid


def fresh_unique(x_space: np.ndarray, space: DesignSpace, obs: Observations) -> np.ndarray:
    """Indices of rows that duplicate neither a known (labelled or pending) alloy nor an
    earlier row, in input order."""
    known = duplicates_of(to_model_columns(x_space, space, obs.elements), obs.known, space.step)
    idx = np.flatnonzero(~known)
    keep = first_occurrences(x_space[idx], space.step)
    return idx[keep]
