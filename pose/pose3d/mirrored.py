"""Flip test-time augmentation for BlazePose's landmark model: one crop read as it is and
mirrored, the two readings averaged.

The model's errors on a crop and on its mirror image are partly independent (its weights
are not symmetric), so the mean of the two readings, with left and right swapped back in
the mirrored one, places a joint more precisely than either: the same reason OpenPose's
flip test helps it (docs/accuracy.md). It costs one more landmark run per person read.
Pure NumPy on the model's raw outputs; :func:`pose.pose3d.blazepose.lift_crop` calls it.
"""

from __future__ import annotations

import numpy as np

from pose.body.landmarks import Landmark

# Landmark i of a mirrored person is landmark MIRROR[i] of the person as seen: left and
# right swap, the nose stays. Outputs 33-38 (MediaPipe's crop points) are centres: kept.
_PAIRS = {name.replace("LEFT", "RIGHT"): name for name in Landmark.__members__ if "LEFT" in name}


def _mirror_index(points: int) -> np.ndarray:
    index = np.arange(points)
    for right, left in _PAIRS.items():
        index[Landmark[left]], index[Landmark[right]] = Landmark[right], Landmark[left]
    return index


def _sigmoid(values: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(values, -60.0, 60.0)))


def unmirror(screen: np.ndarray, world: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """The model's outputs on a mirrored ``size`` x ``size`` crop -> the outputs it would
    give on the crop as it is: ``screen`` (P, 5: x, y, z in crop pixels, visibility and
    presence logits) with x -> size - x, ``world`` (P, 3, metres) with x -> -x, and left
    and right landmarks swapped back in both."""
    index = _mirror_index(screen.shape[0])
    screen = np.array(screen, dtype=np.float64)[index]
    world = np.array(world, dtype=np.float64)[index]
    screen[:, 0] = size - screen[:, 0]
    world[:, 0] = -world[:, 0]
    return screen, world


def average_readings(
    plain: tuple[np.ndarray, float, np.ndarray],
    mirrored: tuple[np.ndarray, float, np.ndarray],
    size: int,
    agree: float = 0.0,
    zoom: float = 1.0,
) -> tuple[np.ndarray, float, np.ndarray]:
    """Two runs of the landmark model, each (screen (P, 5), presence, world (P, 3)), the
    second on the mirrored crop -> one run's outputs: each point's position (screen x, y, z
    and world x, y, z) the mean of the two weighted by each reading's visibility times
    presence (a point the model calls hidden in one reading counts less there), the logits
    and the presence the plain means. ``agree`` (a share of the crop's side; 0: off): each
    point's visibility is also multiplied by exp(-d² / (2 (agree size)²)), d the distance
    between the two readings, so a point the model places differently in the mirror image
    (unsure of it) weighs less where it is fused with OpenPose's joints. ``zoom``: the
    mirrored crop's side over the plain one's (same centre and turn), so two readings of
    the same person at slightly different scales differ more than a mirror image alone."""
    screen_a, presence_a, world_a = plain
    screen_b, world_b = unmirror(mirrored[0], mirrored[2], size)
    # Its crop pixels -> the plain crop's: about the common centre, times the zoom (z too:
    # the model gives it in the same units as x).
    screen_b[:, :2] = (screen_b[:, :2] - size / 2) * zoom + size / 2
    screen_b[:, 2] *= zoom
    screen_a = np.asarray(screen_a, dtype=np.float64)
    world_a = np.asarray(world_a, dtype=np.float64)
    weight_a = _sigmoid(screen_a[:, 3]) * _sigmoid(screen_a[:, 4]) + 1e-6
    weight_b = _sigmoid(screen_b[:, 3]) * _sigmoid(screen_b[:, 4]) + 1e-6
    share = (weight_a / (weight_a + weight_b))[:, None]
    screen = screen_a.copy()
    screen[:, :3] = screen_a[:, :3] * share + screen_b[:, :3] * (1 - share)
    screen[:, 3:] = (screen_a[:, 3:] + screen_b[:, 3:]) / 2
    world = world_a * share + world_b * (1 - share)
    if agree > 0:
        apart = np.linalg.norm(screen_a[:, :2] - screen_b[:, :2], axis=1)
        trust = np.exp(-(apart**2) / (2 * (agree * size) ** 2))
        visible = np.clip(_sigmoid(screen[:, 3]) * trust, 1e-9, 1 - 1e-9)
        screen[:, 3] = np.log(visible / (1 - visible))
    return screen, (presence_a + mirrored[1]) / 2, world
