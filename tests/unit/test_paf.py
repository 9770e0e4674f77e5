"""Multi-person decode on synthetic heatmap and part-affinity fields."""

import numpy as np
import pytest
from scipy import ndimage

from pose.body.skeleton import LIMBS, MIRROR, NUM_JOINTS, PAF_CHANNELS, Joint
from pose.photo.decode import cell_to_pixel
from pose.photo.paf import (
    DecodeParams,
    _local_max,
    decode_multi,
    find_peaks,
    match_limbs,
    score_limb_batch,
    score_limbs,
    unflip_maps,
)

SHAPE = (48, 64)

# A standing person, (col, row) in heatmap cells relative to the neck.
BODY = {
    Joint.NOSE: (0, -3),
    Joint.NECK: (0, 0),
    Joint.R_SHOULDER: (-3, 0),
    Joint.R_ELBOW: (-4, 5),
    Joint.R_WRIST: (-4, 10),
    Joint.L_SHOULDER: (3, 0),
    Joint.L_ELBOW: (4, 5),
    Joint.L_WRIST: (4, 10),
    Joint.R_HIP: (-2, 11),
    Joint.R_KNEE: (-2, 18),
    Joint.R_ANKLE: (-2, 25),
    Joint.L_HIP: (2, 11),
    Joint.L_KNEE: (2, 18),
    Joint.L_ANKLE: (2, 25),
    Joint.R_EYE: (-1, -4),
    Joint.L_EYE: (1, -4),
    Joint.R_EAR: (-2, -3),
    Joint.L_EAR: (2, -3),
}


def person_at(col: float, row: float, joints=tuple(Joint)) -> dict[Joint, tuple[float, float]]:
    return {joint: (col + BODY[joint][0], row + BODY[joint][1]) for joint in joints}


def synthetic_fields(people: list[dict[Joint, tuple[float, float]]], shape=SHAPE):
    """(heatmaps (h, w, 19), pafs (h, w, 38)) drawn the way the network was trained:
    a Gaussian per joint, and a unit vector along each limb within one cell of it."""
    rows, cols = np.mgrid[0 : shape[0], 0 : shape[1]].astype(np.float32)
    heatmaps = np.zeros((*shape, 19), np.float32)
    pafs = np.zeros((*shape, 38), np.float32)
    for person in people:
        for joint, (col, row) in person.items():
            bump = np.exp(-((cols - col) ** 2 + (rows - row) ** 2) / (2 * 1.0**2))
            heatmaps[:, :, joint] = np.maximum(heatmaps[:, :, joint], 0.9 * bump)
        for (joint_a, joint_b), (ch_x, ch_y) in zip(LIMBS, PAF_CHANNELS, strict=True):
            if joint_a not in person or joint_b not in person:
                continue
            a, b = np.array(person[joint_a]), np.array(person[joint_b])
            length = np.linalg.norm(b - a)
            unit = (b - a) / length
            rel_x, rel_y = cols - a[0], rows - a[1]
            along = rel_x * unit[0] + rel_y * unit[1]
            across = np.abs(rel_x * unit[1] - rel_y * unit[0])
            on = (along >= -0.5) & (along <= length + 0.5) & (across <= 1.0)
            pafs[on, ch_x], pafs[on, ch_y] = unit[0], unit[1]
    return heatmaps, pafs


def assert_matches(pose, person, scale):
    for joint, (col, row) in person.items():
        expected = cell_to_pixel(np.float32(col), np.float32(row), scale)
        assert pose[joint][2] > 0.5, joint
        assert np.allclose(pose[joint][:2], expected, atol=1.0), (joint, pose[joint], expected)


def test_two_people_assemble_into_two_complete_people():
    left, right = person_at(14, 10), person_at(44, 14)
    heatmaps, pafs = synthetic_fields([left, right])
    poses = decode_multi(heatmaps, pafs, scale=(8.0, 8.0))
    assert len(poses) == 2
    by_x = sorted(poses, key=lambda pose: pose[Joint.NECK][0])
    assert_matches(by_x[0], left, (8.0, 8.0))
    assert_matches(by_x[1], right, (8.0, 8.0))
    assert all(pose.num_visible == NUM_JOINTS for pose in poses)


def test_close_people_are_not_swapped():
    # Arms almost touching: wrists of the two people are 2 cells apart.
    left, right = person_at(20, 10), person_at(30, 10)
    heatmaps, pafs = synthetic_fields([left, right])
    poses = decode_multi(heatmaps, pafs, scale=(4.0, 4.0))
    assert len(poses) == 2
    by_x = sorted(poses, key=lambda pose: pose[Joint.NECK][0])
    assert_matches(by_x[0], left, (4.0, 4.0))
    assert_matches(by_x[1], right, (4.0, 4.0))


def test_people_are_sorted_by_score_and_partial_people_rank_lower():
    upper_body = (*tuple(Joint)[:8], Joint.R_EYE, Joint.L_EYE, Joint.R_EAR, Joint.L_EAR)
    heatmaps, pafs = synthetic_fields([person_at(14, 10, upper_body), person_at(44, 14)])
    poses = decode_multi(heatmaps, pafs, scale=(8.0, 8.0))
    assert [pose.num_visible for pose in poses] == [18, 12]
    assert poses[0].score > poses[1].score


def test_people_with_too_few_parts_are_dropped():
    head = (Joint.NOSE, Joint.NECK, Joint.R_EYE)
    heatmaps, pafs = synthetic_fields([person_at(14, 10, head), person_at(44, 14)])
    assert len(decode_multi(heatmaps, pafs, scale=(8.0, 8.0))) == 1
    lenient = DecodeParams(min_parts=3)
    assert len(decode_multi(heatmaps, pafs, scale=(8.0, 8.0), params=lenient)) == 2


def test_joints_without_a_field_between_them_are_not_joined():
    # Heatmap peaks of a whole person but no PAF at all: nobody can be assembled.
    heatmaps, _ = synthetic_fields([person_at(20, 10)])
    assert decode_multi(heatmaps, np.zeros((*SHAPE, 38), np.float32), (8.0, 8.0)) == []


def test_empty_output_gives_nobody():
    assert decode_multi(np.zeros((*SHAPE, 19), np.float32), np.zeros((*SHAPE, 38)), (8, 8)) == []


@pytest.mark.parametrize("upsample,sigma", [(1, 0.0), (2, 0.5), (4, 1.0)])
def test_peaks_are_subcell_accurate_with_any_upsampling(upsample, sigma):
    heatmaps, _ = synthetic_fields([{Joint.NOSE: (10.3, 20.6), Joint.NECK: (40.0, 7.25)}])
    peaks = find_peaks(heatmaps, 0.1, DecodeParams(upsample=upsample, sigma=sigma))
    assert [len(found) for found in peaks] == [1, 1] + [0] * 16
    assert np.allclose(peaks[Joint.NOSE][0, :2], (10.3, 20.6), atol=0.2)
    assert np.allclose(peaks[Joint.NECK][0, :2], (40.0, 7.25), atol=0.2)
    assert peaks[Joint.NOSE][0, 2] == pytest.approx(0.9 * np.exp(-(0.3**2 + 0.4**2) / 2), abs=0.1)


def test_limb_score_prefers_the_segment_along_the_field():
    person = {Joint.NECK: (10.0, 10.0), Joint.R_SHOULDER: (14.0, 10.0)}
    _, pafs = synthetic_fields([person])
    field = pafs[:, :, list(PAF_CHANNELS[0])]
    starts = np.array([[10.0, 10.0, 1.0]])
    ends = np.array([[14.0, 10.0, 1.0], [10.0, 14.0, 1.0], [6.0, 10.0, 1.0]])
    scores = score_limbs(starts, ends, field)
    assert scores[0, 0] == pytest.approx(1.0, abs=0.05)
    assert np.isneginf(scores[0, 1]) and np.isneginf(scores[0, 2])  # across, backwards


def noisy_candidates(seed: int = 0) -> tuple[list[np.ndarray], np.ndarray]:
    """Peaks of two synthetic people plus random decoys, and noisy fields; some joints empty."""
    rng = np.random.default_rng(seed)
    heatmaps, pafs = synthetic_fields([person_at(14, 10), person_at(40, 14)])
    pafs += rng.normal(0.0, 0.1, pafs.shape).astype(np.float32)
    peaks = find_peaks(heatmaps, 0.1)
    for joint in range(NUM_JOINTS):
        decoys = rng.uniform((-2, -2, 0), (SHAPE[1] + 2, SHAPE[0] + 2, 1), (joint % 4, 3))
        peaks[joint] = np.concatenate([peaks[joint], decoys.astype(np.float32)])
    peaks[Joint.R_KNEE] = peaks[Joint.R_KNEE][:0]  # a limb with no start, one with no end
    return peaks, pafs


def reference_score_limbs(start, end, paf, params=DecodeParams()):
    """The original one-limb scoring (broadcast over (na, nb)), kept as the reference."""
    if len(start) == 0 or len(end) == 0:
        return np.full((len(start), len(end)), -np.inf, dtype=np.float32)
    a, b = start[:, None, :2], end[None, :, :2]
    delta = b - a
    length = np.linalg.norm(delta, axis=-1)
    unit = delta / np.maximum(length, 1e-6)[..., None]
    steps = np.linspace(0.0, 1.0, params.paf_samples, dtype=np.float32)
    points = a[:, :, None, :] + delta[:, :, None, :] * steps[:, None]
    height, width = paf.shape[:2]
    x = np.clip(points[..., 0], 0, width - 1)
    y = np.clip(points[..., 1], 0, height - 1)
    x0 = np.minimum(np.floor(x).astype(np.intp), width - 2)
    y0 = np.minimum(np.floor(y).astype(np.intp), height - 2)
    fx, fy = (x - x0)[..., None], (y - y0)[..., None]
    top = paf[y0, x0] * (1 - fx) + paf[y0, x0 + 1] * fx
    bottom = paf[y0 + 1, x0] * (1 - fx) + paf[y0 + 1, x0 + 1] * fx
    along = ((top * (1 - fy) + bottom * fy) * unit[:, :, None, :]).sum(axis=-1)
    penalty = np.minimum(0.5 * paf.shape[0] / np.maximum(length, 1e-6) - 1.0, 0.0)
    score = along.mean(axis=-1) + penalty
    on_limb = (along > params.paf_threshold).mean(axis=-1)
    valid = (on_limb >= params.paf_min_fraction) & (score > 0) & (length > 1e-6)
    return np.where(valid, score, -np.inf).astype(np.float32)


def test_batched_limb_scores_equal_one_limb_at_a_time():
    peaks, pafs = noisy_candidates()
    starts = [peaks[joint_a] for joint_a, _ in LIMBS]
    ends = [peaks[joint_b] for _, joint_b in LIMBS]
    batched = score_limb_batch(starts, ends, pafs, PAF_CHANNELS)
    assert len(batched) == len(LIMBS)
    found = 0
    for scores, start, end, channels in zip(batched, starts, ends, PAF_CHANNELS, strict=True):
        field = pafs[:, :, list(channels)]
        expected = reference_score_limbs(start, end, field)
        assert scores.dtype == np.float32 and scores.shape == (len(start), len(end))
        # Bit for bit: the greedy matching must see the very same numbers.
        assert np.array_equal(scores, expected)
        assert np.array_equal(score_limbs(start, end, field), expected)
        found += int(np.isfinite(scores).sum())
    assert found >= 2 * (len(LIMBS) - 2)  # both people's limbs, minus the knee's two
    assert any(scores.size == 0 for scores in batched)


def test_batched_limb_scores_without_any_pair():
    pafs = np.zeros((*SHAPE, 38), np.float32)
    none, two = np.zeros((0, 3), np.float32), np.ones((2, 3), np.float32)
    scores = score_limb_batch([none, two, none], [two, none, none], pafs, PAF_CHANNELS[:3])
    assert [s.shape for s in scores] == [(0, 2), (2, 0), (0, 0)]
    assert score_limb_batch([], [], pafs, []) == []
    assert score_limbs(none, two, pafs[:, :, :2]).shape == (0, 2)
    with pytest.raises(ValueError, match="channel pair per limb"):
        score_limb_batch([two], [two, two], pafs, PAF_CHANNELS[:1])


@pytest.mark.parametrize("size", [1, 2, 3, 4, 5])
def test_local_max_is_scipys_maximum_filter(size):
    rng = np.random.default_rng(size)
    for shape in [(40, 54, 18), (1, 5, 18), (3, 1, 18)]:
        maps = rng.random(shape, dtype=np.float32)
        maps[maps < 0.5] = 0.0
        expected = ndimage.maximum_filter(maps, size=(size, size, 1))
        assert np.array_equal(_local_max(maps, size), expected)


def test_greedy_matching_takes_best_pairs_once():
    scores = np.array([[0.9, 0.8], [0.85, -np.inf]], dtype=np.float32)
    assert match_limbs(scores) == [(0, 0, pytest.approx(0.9))]
    scores = np.array([[0.9, 0.8], [0.85, 0.1]], dtype=np.float32)
    assert match_limbs(scores) == [(0, 0, pytest.approx(0.9)), (1, 1, pytest.approx(0.1))]
    ties = np.array([[0.5, 0.5, 0.5], [0.5, 0.5, 0.7]], dtype=np.float32)
    assert match_limbs(ties) == [(1, 2, pytest.approx(0.7)), (0, 0, pytest.approx(0.5))]
    assert match_limbs(np.zeros((0, 3), np.float32)) == []
    assert match_limbs(np.full((2, 2), -np.inf, np.float32)) == []


def test_noise_and_zero_threshold_stay_bounded():
    rng = np.random.default_rng(0)
    heatmaps = rng.random((*SHAPE, 19), dtype=np.float32)
    pafs = rng.standard_normal((*SHAPE, 38), dtype=np.float32)
    peaks = find_peaks(heatmaps, 0.0, DecodeParams(max_peaks=20))
    assert all(len(found) == 20 for found in peaks)
    assert all(np.all(np.diff(found[:, 2]) <= 0) for found in peaks)  # strongest kept, first
    people = decode_multi(heatmaps, pafs, (8.0, 8.0), threshold=0.0)
    assert all(person.num_visible >= 4 for person in people)
    flat = np.zeros((*SHAPE, 19), np.float32)
    assert sum(len(found) for found in find_peaks(flat, 0.0)) == 0


def test_unflip_maps_turns_a_mirrored_person_back():
    width = SHAPE[1]
    person = person_at(20, 10)
    # The same person seen in a mirror: x mirrored, and what was the right side is the left.
    mirrored = {MIRROR[joint]: (width - 1 - col, row) for joint, (col, row) in person.items()}
    heatmaps, pafs = synthetic_fields([person])
    flipped_heat, flipped_pafs = synthetic_fields([mirrored])
    heat, fields = unflip_maps(flipped_heat, flipped_pafs)
    assert np.allclose(heat, heatmaps, atol=1e-5)
    assert np.allclose(fields, pafs, atol=1e-5)
    [pose] = decode_multi(heat, fields, (8.0, 8.0))
    assert_matches(pose, person, (8.0, 8.0))
