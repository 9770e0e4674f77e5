"""Turn network heatmaps into poses. Pure NumPy; no model needed to test it.

:func:`decode_single` is the original script's decode (one global maximum per joint, so at
most one person); it is kept as the accuracy baseline. The default, multi-person decode
with part-affinity fields is :func:`pose.photo.paf.decode_multi`.

Coordinates: heatmap cell (row i, column j) covers image pixels around
((j + 0.5) * sx, (i + 0.5) * sy), where (sx, sy) is the cell size in image pixels.
"""

from __future__ import annotations

import numpy as np

from pose.body.skeleton import NUM_JOINTS
from pose.body.types import Pose


def cell_to_pixel(col: np.ndarray, row: np.ndarray, scale: tuple[float, float]) -> np.ndarray:
    """Heatmap cell coordinates (float, any shape) -> image pixel (x, y), stacked last."""
    return np.stack([(col + 0.5) * scale[0], (row + 0.5) * scale[1]], axis=-1)


def _subpixel_offset(left: float, centre: float, right: float) -> float:
    """Vertex of the parabola through three samples, in [-0.5, 0.5] cells from the centre."""
    curvature = left - 2.0 * centre + right
    if curvature >= 0:
        return 0.0
    return float(np.clip(0.5 * (left - right) / curvature, -0.5, 0.5))


def decode_single(
    heatmaps: np.ndarray, scale: tuple[float, float], threshold: float = 0.1
) -> list[Pose]:
    """One person from the global maximum of each joint heatmap (the original script's way).

    heatmaps: float32 (h, w, >=18); scale: (sx, sy) cell size in image pixels.
    Returns ``[]`` when fewer than two joints pass ``threshold``, else one :class:`Pose`
    whose score is the mean confidence of its found joints.
    """
    height, width = heatmaps.shape[:2]
    maps = heatmaps[:, :, :NUM_JOINTS]
    flat = maps.reshape(-1, NUM_JOINTS).argmax(axis=0)
    rows, cols = np.divmod(flat, width)
    keypoints = np.zeros((NUM_JOINTS, 3), dtype=np.float32)
    for joint in range(NUM_JOINTS):
        row, col = int(rows[joint]), int(cols[joint])
        peak = float(maps[row, col, joint])
        if peak < threshold:
            continue
        dx = dy = 0.0
        if 0 < col < width - 1:
            dx = _subpixel_offset(maps[row, col - 1, joint], peak, maps[row, col + 1, joint])
        if 0 < row < height - 1:
            dy = _subpixel_offset(maps[row - 1, col, joint], peak, maps[row + 1, col, joint])
        x, y = cell_to_pixel(np.float32(col + dx), np.float32(row + dy), scale)
        keypoints[joint] = (x, y, min(peak, 1.0))
    found = keypoints[:, 2] > 0
    if found.sum() < 2:
        return []
    return [Pose(keypoints=keypoints, score=float(keypoints[found, 2].mean()))]
