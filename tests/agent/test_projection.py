"""The 2-D latent projection of the round report and the dashboard, for a latent larger
than the plane (``latent_dim`` 8 or 16) as well as for z of size 1 or 2."""

import numpy as np

from alloyloop.agent.report.projection import project


def test_a_plane_or_a_line_is_shown_as_it_is():
    z = np.random.default_rng(0).normal(size=(10, 2))
    points, others = project(z, z[:3])
    assert np.array_equal(points, z) and np.array_equal(others, z[:3])
    line, _ = project(z[:, :1], np.zeros((0, 1)))
    assert line.shape == (10, 2) and np.array_equal(line[:, 0], z[:, 0]) and not line[:, 1].any()


def test_a_larger_latent_lands_on_its_two_widest_axes():
    rng = np.random.default_rng(0)
    # 8-D codes that vary along two oblique directions and hardly at all elsewhere
    axes = np.linalg.qr(rng.normal(size=(8, 8)))[0][:, :2]
    plane = rng.normal(size=(200, 2)) * [5.0, 2.0]
    z = 3.0 + plane @ axes.T + 0.01 * rng.normal(size=(200, 8))
    points, others = project(z, z[:5])
    assert points.shape == (200, 2)
    # distances within the plane survive the projection; the suggestions land where
    # the same codes among the labelled alloys do
    d_z = np.linalg.norm(z[:, None] - z[None], axis=-1)
    d_p = np.linalg.norm(points[:, None] - points[None], axis=-1)
    assert np.abs(d_z - d_p).max() < 0.1
    assert np.allclose(others, points[:5])
    assert points[:, 0].std() > points[:, 1].std()  # the first axis is the widest


def test_too_few_codes_for_axes_keep_their_first_two_coordinates():
    z = np.arange(16.0).reshape(2, 8)
    points, others = project(z, np.zeros((0, 8)))
    assert np.array_equal(points, z[:, :2]) and others.shape == (0, 2)
