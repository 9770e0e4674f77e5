import numpy as np
import pytest

from pose.body.skeleton import Joint
from pose.photo.decode import cell_to_pixel, decode_single


def gaussian_heatmaps(peaks: dict[int, tuple[float, float, float]], shape=(32, 40)) -> np.ndarray:
    """(h, w, 19) heatmaps with one Gaussian per joint: {joint: (col, row, height)}."""
    rows, cols = np.mgrid[0 : shape[0], 0 : shape[1]].astype(np.float32)
    maps = np.zeros((*shape, 19), dtype=np.float32)
    for joint, (col, row, height) in peaks.items():
        maps[:, :, joint] = height * np.exp(-((cols - col) ** 2 + (rows - row) ** 2) / (2 * 1.5**2))
    return maps


def test_peaks_are_found_at_subpixel_positions():
    peaks = {Joint.NECK: (10.3, 8.0, 0.9), Joint.R_HIP: (20.0, 20.6, 0.7)}
    [person] = decode_single(gaussian_heatmaps(peaks), scale=(8.0, 8.0), threshold=0.1)
    for joint, (col, row, height) in peaks.items():
        x, y, score = person[joint]
        expected = cell_to_pixel(np.float32(col), np.float32(row), (8.0, 8.0))
        assert np.allclose((x, y), expected, atol=0.8), (joint, x, y, expected)
        assert score == pytest.approx(height, abs=0.05)
    assert person.num_visible == 2


def test_joints_below_threshold_are_missing():
    peaks = {Joint.NOSE: (5, 5, 0.9), Joint.NECK: (6, 9, 0.8), Joint.L_WRIST: (30, 20, 0.05)}
    [person] = decode_single(gaussian_heatmaps(peaks), scale=(4.0, 4.0), threshold=0.1)
    assert person[Joint.L_WRIST][2] == 0
    assert person["nose"][2] > 0.8
    assert person.score == pytest.approx((0.9 + 0.8) / 2, abs=0.05)


def test_nobody_gives_no_pose():
    assert decode_single(np.zeros((16, 16, 19), np.float32), (8.0, 8.0)) == []
    one_joint = gaussian_heatmaps({Joint.NOSE: (5, 5, 0.9)})
    assert decode_single(one_joint, (8.0, 8.0)) == []


def test_anisotropic_scale_maps_cells_to_pixels():
    [person] = decode_single(
        gaussian_heatmaps({Joint.NOSE: (4, 2, 1.0), Joint.NECK: (4, 6, 1.0)}), scale=(10.0, 5.0)
    )
    assert np.allclose(person[Joint.NOSE][:2], (45.0, 12.5), atol=0.5)
