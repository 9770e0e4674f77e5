import math

import numpy as np
import pytest

from pose.match.procrustes import fit_similarity, pa_mpjpe


def rotation_about(axis, degrees: float) -> np.ndarray:
    """Rodrigues: the proper rotation by ``degrees`` about ``axis`` (3,)."""
    axis = np.asarray(axis, dtype=np.float64)
    x, y, z = axis / np.linalg.norm(axis)
    k = np.array([[0, -z, y], [z, 0, -x], [-y, x, 0]])
    angle = math.radians(degrees)
    return np.eye(3) + math.sin(angle) * k + (1 - math.cos(angle)) * k @ k


@pytest.fixture
def points() -> np.ndarray:
    return np.random.default_rng(7).normal(size=(14, 3))


def test_recovers_a_known_similarity(points):
    rotation = rotation_about([1, 2, 0.5], 73)
    target = 2.5 * points @ rotation.T + [0.3, -1.0, 4.0]
    fit = fit_similarity(points, target)
    assert fit.scale == pytest.approx(2.5)
    assert np.allclose(fit.rotation, rotation, atol=1e-9)
    assert np.allclose(fit.translation, [0.3, -1.0, 4.0], atol=1e-9)
    assert fit.angle_degrees == pytest.approx(73)
    assert np.allclose(fit.apply(points), target, atol=1e-9)
    assert pa_mpjpe(points, target) == pytest.approx(0.0, abs=1e-9)


def test_never_mirrors(points):
    mirrored = points * [-1, 1, 1]
    fit = fit_similarity(points, mirrored)
    assert np.linalg.det(fit.rotation) == pytest.approx(1.0)
    # A reflection cannot be undone by a rotation: a real error remains.
    assert pa_mpjpe(points, mirrored) > 0.1


def test_pa_mpjpe_is_in_the_units_of_the_truth_and_ignores_scale(points):
    noisy = points + np.random.default_rng(1).normal(scale=0.01, size=points.shape)
    error = pa_mpjpe(noisy, points)
    assert 0.001 < error < 0.02
    # The prediction's own scale, place and orientation do not matter...
    moved = 7.0 * noisy @ rotation_about([0, 1, 0], 120).T + 3.0
    assert pa_mpjpe(moved, points) == pytest.approx(error, rel=1e-6)
    # ...but the truth's scale does: the error is in its units.
    assert pa_mpjpe(noisy, 1000 * points) == pytest.approx(1000 * error, rel=1e-6)


def test_weights_let_outliers_be_ignored(points):
    rotation = rotation_about([0, 0, 1], 30)
    target = points @ rotation.T
    target[0] += 50.0  # one joint far off
    weights = np.ones(len(points))
    weights[0] = 0.0
    fit = fit_similarity(points, target, weights)
    assert np.allclose(fit.rotation, rotation, atol=1e-9)
    assert not np.allclose(fit_similarity(points, target).rotation, rotation, atol=1e-3)


@pytest.mark.parametrize(
    ("source", "target", "weights", "message"),
    [
        (np.zeros((5, 3)), np.zeros((5, 2)), None, r"\(N, 3\)"),
        (np.ones((2, 3)), np.ones((2, 3)), None, "at least 3"),
        (np.ones((4, 3)), np.ones((4, 3)), None, "coincide"),
        (np.eye(3), np.eye(3), np.zeros(3), "weights"),
    ],
)
def test_bad_input_is_a_clear_error(source, target, weights, message):
    with pytest.raises(ValueError, match=message):
        fit_similarity(source, target, weights)
