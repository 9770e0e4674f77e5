"""Multi-person decode: heatmap peaks grouped into people with part-affinity fields (PAFs).

The network predicts, besides one heatmap per joint, a 2-D vector field per limb that points
along the limb wherever a limb is. Joint candidates come from local maxima of the heatmaps;
a candidate limb between two joints is scored by integrating its field along the segment
between them (a limb that really exists has the field aligned with the segment all along);
limbs are then matched greedily, best first, and chained into people along the skeleton tree.

All geometry happens in heatmap-cell coordinates (col, row), where cell (i, j) is at
(j, i), the same convention as :func:`pose.photo.decode.cell_to_pixel`, which converts to pixels at
the end. Pure NumPy/SciPy/OpenCV on arrays; no model needed to test it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from scipy import ndimage

from pose.body.skeleton import LIMBS, MIRROR, NUM_JOINTS, PAF_CHANNELS
from pose.body.types import Pose
from pose.photo.decode import cell_to_pixel
from pose.photo.plausible import DEFAULT_PLAUSIBLE, PlausibleParams

# The shoulder-ear limbs come last in LIMBS: they duplicate the head chain, so they may
# attach a missing ear to a person but never start a new person.
_TREE_LIMBS = len(LIMBS) - 2


@dataclass(frozen=True)
class DecodeParams:
    """Knobs of :func:`decode_multi`; the defaults were tuned with ``benchmarks/accuracy.py``.

    ``upsample``: heatmaps are enlarged this many times (bicubic) before peak finding, for
    sub-cell positions and to separate nearby peaks. ``sigma``: Gaussian smoothing of the
    heatmaps in cells before peak finding (0 = none); it removes spurious twin maxima.
    ``nms_size``: side of the non-maximum-suppression window, in (upsampled) pixels.
    ``subpixel``: refine each peak with a parabola through its neighbours (free, and as
    precise as upsampling 4x).
    ``paf_samples``: points sampled along each candidate limb. ``paf_threshold``: a sample
    counts as "on the limb" when the field's component along the limb exceeds this.
    ``paf_min_fraction``: share of samples that must be on the limb. ``min_parts``: people
    with fewer joints are dropped. ``min_mean_score``: people whose (joint + limb) score per
    joint is lower are dropped. ``max_peaks``: candidates kept per joint (strongest first);
    it bounds the decode time when the threshold is near 0 or the input is noise (the limb
    scoring is quadratic in it), and is above the number of people the input sizes resolve.
    ``plausible``: the check that splits skeletons joined from two bodies before people are
    numbered (:func:`pose.photo.plausible.check_people`); None turns it off.
    """

    upsample: int = 1
    sigma: float = 0.0
    nms_size: int = 3
    subpixel: bool = True
    paf_samples: int = 10
    paf_threshold: float = 0.05
    paf_min_fraction: float = 0.8
    min_parts: int = 4
    min_mean_score: float = 0.4
    max_peaks: int = 48
    plausible: PlausibleParams | None = DEFAULT_PLAUSIBLE


DEFAULT_PARAMS = DecodeParams()


def _mirror_tables() -> tuple[list[int], list[int], list[int]]:
    """Channel permutations that undo a horizontal flip: heatmap source per channel, PAF
    source per channel, and the PAF channels that are x components (their sign flips)."""
    heat = [int(MIRROR[joint]) for joint in range(NUM_JOINTS)] + [NUM_JOINTS]  # + background
    limb_of = {limb: index for index, limb in enumerate(LIMBS)}
    paf = list(range(2 * len(LIMBS)))
    for index, (joint_a, joint_b) in enumerate(LIMBS):
        # Every limb's mirror image is a limb in the same direction (neck->l_shoulder for
        # neck->r_shoulder); the self-mirrored ones (neck->nose) map to themselves.
        source = PAF_CHANNELS[limb_of[(MIRROR[joint_a], MIRROR[joint_b])]]
        target = PAF_CHANNELS[index]
        paf[target[0]], paf[target[1]] = source
    return heat, paf, [x for x, _ in PAF_CHANNELS]


_MIRROR_HEAT, _MIRROR_PAF, _PAF_X = _mirror_tables()


def unflip_maps(heatmaps: np.ndarray, pafs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Network output for a horizontally flipped image -> output for the original image.

    heatmaps: (h, w, 19), pafs: (h, w, 38), both of the flipped image. Flips the maps back,
    swaps left and right joints and limbs, and negates the x components of the fields.
    Averaging this with the unflipped output is test-time flip augmentation.
    """
    heat = heatmaps[:, ::-1, _MIRROR_HEAT]
    fields = pafs[:, ::-1, _MIRROR_PAF].copy()
    fields[:, :, _PAF_X] *= -1.0
    return np.ascontiguousarray(heat), fields


def find_peaks(
    heatmaps: np.ndarray, threshold: float, params: DecodeParams = DEFAULT_PARAMS
) -> list[np.ndarray]:
    """Local maxima of each joint heatmap.

    heatmaps: float32 (h, w, >=18); channels past 17 (background) are ignored.
    Returns 18 arrays, one per joint, each (n, 3) float32 of (col, row, score) in heatmap-cell
    coordinates, sub-cell accurate, strongest first, at most ``params.max_peaks`` long.
    ``score`` is the heatmap value there.
    """
    maps = np.ascontiguousarray(heatmaps[:, :, :NUM_JOINTS], dtype=np.float32)
    height, width = maps.shape[:2]
    factor = max(1, int(params.upsample))
    if factor > 1:
        maps = cv2.resize(maps, (width * factor, height * factor), interpolation=cv2.INTER_CUBIC)
    smooth = maps
    if params.sigma > 0:
        smooth = cv2.GaussianBlur(maps, (0, 0), params.sigma * factor)
    local_max = _local_max(smooth, params.nms_size)
    # Smoothing lowers peak heights; threshold on the unsmoothed value the user sees.
    mask = (smooth == local_max) & (maps >= threshold) & (maps > 0)
    rows, cols, joints = np.nonzero(mask)
    scores = maps[rows, cols, joints]
    # Sub-pixel refinement: vertex of the parabola through the neighbours on each axis.
    dx = dy = np.zeros(len(rows))
    if params.subpixel:
        dx = _parabola_offset(smooth, rows, cols, joints, axis=1)
        dy = _parabola_offset(smooth, rows, cols, joints, axis=0)
    # Upsampled pixel centres sit at (p + 0.5) / factor - 0.5 in cells (cv2.resize's grid).
    x = (cols + dx + 0.5) / factor - 0.5
    y = (rows + dy + 0.5) / factor - 0.5
    found = np.stack([x, y, scores], axis=1).astype(np.float32)
    order = np.lexsort((-scores, joints))
    found, joints = found[order], joints[order]
    bounds = np.searchsorted(joints, np.arange(NUM_JOINTS + 1))
    ends = np.minimum(bounds[1:], bounds[:-1] + params.max_peaks)
    return [found[bounds[j] : ends[j]] for j in range(NUM_JOINTS)]


def _local_max(maps: np.ndarray, size: int) -> np.ndarray:
    """Maximum over each ``size`` x ``size`` window, per channel: float32 (h, w, c) -> same.

    cv2.dilate is about 50x faster than scipy's maximum_filter here and gives the same
    values for odd windows (both centre them; scipy's mirrored border and OpenCV's -inf
    border never change a maximum). Even windows are centred differently, so they keep scipy.
    """
    if size % 2 == 1:
        return cv2.dilate(maps, np.ones((size, size), np.uint8)).reshape(maps.shape)
    return ndimage.maximum_filter(maps, size=(size, size, 1))


def _parabola_offset(
    maps: np.ndarray, rows: np.ndarray, cols: np.ndarray, joints: np.ndarray, axis: int
) -> np.ndarray:
    """Offset in [-0.5, 0.5] of the parabola vertex through each peak and its two neighbours."""
    size = maps.shape[axis]
    index = rows if axis == 0 else cols
    before = np.clip(index - 1, 0, size - 1)
    after = np.clip(index + 1, 0, size - 1)
    if axis == 0:
        left, right = maps[before, cols, joints], maps[after, cols, joints]
    else:
        left, right = maps[rows, before, joints], maps[rows, after, joints]
    centre = maps[rows, cols, joints]
    curvature = left - 2.0 * centre + right
    inside = (index > 0) & (index < size - 1) & (curvature < 0)
    safe = np.where(inside, curvature, -1.0)
    return np.where(inside, np.clip(0.5 * (left - right) / safe, -0.5, 0.5), 0.0)


def score_limbs(
    start: np.ndarray,
    end: np.ndarray,
    paf: np.ndarray,
    params: DecodeParams = DEFAULT_PARAMS,
) -> np.ndarray:
    """PAF line integral for every (start, end) candidate pair of one limb.

    start: (na, >=2) and end: (nb, >=2) candidates as (col, row, ...) in cells;
    paf: float32 (h, w, 2), the limb's (x, y) field. Returns float32 (na, nb): the mean
    component of the field along the segment, minus a penalty for segments longer than half
    the map height; ``-inf`` where too few samples lie on the limb (not a limb).
    The one-limb case of :func:`score_limb_batch`.
    """
    return score_limb_batch([start], [end], paf, [(0, 1)], params)[0]


def score_limb_batch(
    starts: Sequence[np.ndarray],
    ends: Sequence[np.ndarray],
    pafs: np.ndarray,
    channels: Sequence[tuple[int, int]],
    params: DecodeParams = DEFAULT_PARAMS,
) -> list[np.ndarray]:
    """:func:`score_limbs` for many limbs in one pass.

    starts[k]: (na_k, >=2) and ends[k]: (nb_k, >=2), limb k's candidates as (col, row, ...)
    in cells; pafs: float32 (h, w, c); channels[k]: limb k's (x, y) channels in ``pafs``.
    Returns one float32 (na_k, nb_k) array per limb, equal (bit for bit) to
    ``score_limbs(starts[k], ends[k], pafs[:, :, channels[k]])``.
    """
    pairs = _score_pairs(starts, ends, pafs, channels, params)
    edges = np.searchsorted(pairs.limb, np.arange(len(starts) + 1)).tolist()
    return [
        pairs.scores[edges[k] : edges[k + 1]].reshape(len(starts[k]), len(ends[k]))
        for k in range(len(starts))
    ]


@dataclass(frozen=True)
class _Pairs:
    """Every candidate pair of every limb, flat, limb by limb, each limb's row-major.

    ``limb``, ``start``, ``end``: (P,) intp, the pair's limb and its start and end indices
    within that limb's candidates; ``scores``: (P,) float32 as :func:`score_limbs` gives.
    """

    limb: np.ndarray
    start: np.ndarray
    end: np.ndarray
    scores: np.ndarray


def _score_pairs(
    starts: Sequence[np.ndarray],
    ends: Sequence[np.ndarray],
    pafs: np.ndarray,
    channels: Sequence[tuple[int, int]],
    params: DecodeParams,
) -> _Pairs:
    """Score all limbs' pairs in one flat batch (see :func:`score_limb_batch`).

    A frame has 19 limbs of a few dozen pairs each: scored limb by limb, the ~20 NumPy calls
    per limb cost more than their arithmetic, so all pairs go through the calls once.
    """
    if not len(starts) == len(ends) == len(channels):
        raise ValueError(
            f"Need one start set, end set and channel pair per limb; got {len(starts)} start "
            f"sets, {len(ends)} end sets and {len(channels)} channel pairs."
        )
    count_a = np.array([len(found) for found in starts], dtype=np.intp)
    count_b = np.array([len(found) for found in ends], dtype=np.intp)
    pairs = count_a * count_b
    bounds = np.cumsum(pairs)
    total = int(bounds[-1]) if len(bounds) else 0
    limb = np.repeat(np.arange(len(pairs)), pairs)
    if total == 0:
        empty = np.zeros(0, dtype=np.intp)
        return _Pairs(limb, empty, empty, np.zeros(0, dtype=np.float32))
    rank = np.arange(total) - (bounds - pairs)[limb]  # the pair's index within its limb
    width_b = count_b[limb]
    i = rank // width_b
    j = rank - i * width_b
    a = np.concatenate([found[:, :2] for found in starts])[(np.cumsum(count_a) - count_a)[limb] + i]
    b = np.concatenate([found[:, :2] for found in ends])[(np.cumsum(count_b) - count_b)[limb] + j]
    # From here on score_limbs' original arithmetic, step for step with the same dtypes and
    # reduction axes (float64 from the interpolation weights on), so that the scores, and
    # with them the greedy matching's choices, are bit for bit those of one limb at a time.
    delta = b - a  # (P, 2)
    length = np.sqrt(np.add.reduce(delta * delta, axis=-1))  # np.linalg.norm's own formula
    unit = delta / np.maximum(length, 1e-6)[..., None]
    steps = np.linspace(0.0, 1.0, params.paf_samples, dtype=np.float32)
    points = a[:, None, :] + delta[:, None, :] * steps[:, None]  # (P, S, 2)
    chans = np.asarray(channels, dtype=np.intp)[limb][:, None, :]  # (P, 1, 2)
    field = _sample_channels(pafs, points[..., 0], points[..., 1], chans)  # (P, S, 2)
    along = (field * unit[:, None, :]).sum(axis=-1)  # (P, S)
    # Long segments are unlikely limbs; the penalty keeps far-apart people from being joined.
    penalty = np.minimum(0.5 * pafs.shape[0] / np.maximum(length, 1e-6) - 1.0, 0.0)
    score = along.mean(axis=-1) + penalty
    on_limb = (along > params.paf_threshold).mean(axis=-1)
    valid = (on_limb >= params.paf_min_fraction) & (score > 0) & (length > 1e-6)
    return _Pairs(limb, i, j, np.where(valid, score, -np.inf).astype(np.float32))


def _sample_channels(
    field: np.ndarray, x: np.ndarray, y: np.ndarray, chans: np.ndarray
) -> np.ndarray:
    """Bilinear samples of chosen channels of a field at float cell coordinates; edges clamp.

    field: (h, w, c); x, y: (P, S) cols and rows; chans: (P, 1, k) channels per row of points.
    Returns float64 (P, S, k) (the interpolation weights are float64).
    """
    height, width, depth = field.shape
    x = np.clip(x, 0, width - 1)
    y = np.clip(y, 0, height - 1)
    x0 = np.minimum(np.floor(x).astype(np.intp), width - 2 if width > 1 else 0)
    y0 = np.minimum(np.floor(y).astype(np.intp), height - 2 if height > 1 else 0)
    fx = (x - x0)[..., None]
    fy = (y - y0)[..., None]
    # Flat indices into the field: one take per corner is cheaper than indexing with three
    # arrays. The right and lower neighbours are one cell on, unless the map is one cell wide.
    values = field.reshape(-1)
    top_left = (y0 * width + x0)[..., None] * depth + chans  # (P, S, k)
    right = depth if width > 1 else 0
    down = width * depth if height > 1 else 0
    top = values.take(top_left) * (1 - fx) + values.take(top_left + right) * fx
    bottom_left = top_left + down
    bottom = values.take(bottom_left) * (1 - fx) + values.take(bottom_left + right) * fx
    return top * (1 - fy) + bottom * fy


def match_limbs(scores: np.ndarray) -> list[tuple[int, int, float]]:
    """Greedy one-to-one matching, best score first: [(start index, end index, score)].

    scores: (na, nb), ``-inf`` for impossible pairs.
    """
    na, nb = scores.shape
    starts, ends = np.divmod(np.arange(na * nb), max(nb, 1))
    pairs = _Pairs(np.zeros(na * nb, dtype=np.intp), starts, ends, scores.reshape(-1))
    return _match_pairs(pairs, [(na, nb)])[0]


def _match_pairs(
    pairs: _Pairs, sizes: Sequence[tuple[int, int]]
) -> list[list[tuple[int, int, float]]]:
    """:func:`match_limbs` for every limb of a flat batch; sizes[k]: limb k's (na, nb).

    One sort for all limbs: by limb, then best score first, ties in row-major order.
    """
    keep = np.flatnonzero(np.isfinite(pairs.scores))
    order = keep[np.lexsort((-pairs.scores[keep], pairs.limb[keep]))]
    limbs = pairs.limb[order]
    edges = np.searchsorted(limbs, np.arange(len(sizes) + 1)).tolist()
    starts, ends = pairs.start[order].tolist(), pairs.end[order].tolist()
    values = pairs.scores[order].tolist()
    matches: list[list[tuple[int, int, float]]] = []
    for limb, (na, nb) in enumerate(sizes):
        used_start: set[int] = set()
        used_end: set[int] = set()
        found = []
        for k in range(edges[limb], edges[limb + 1]):
            i, j = starts[k], ends[k]
            if i in used_start or j in used_end:
                continue
            used_start.add(i)
            used_end.add(j)
            found.append((i, j, values[k]))
            if len(used_start) == na or len(used_end) == nb:
                break
        matches.append(found)
    return matches


def assemble(
    peaks: list[np.ndarray], pafs: np.ndarray, params: DecodeParams = DEFAULT_PARAMS
) -> list[tuple[np.ndarray, float]]:
    """Chain matched limbs into people.

    peaks: from :func:`find_peaks`; pafs: float32 (h, w, 38).
    Returns [(keypoints (18, 3) in cells as (col, row, score), total score)] where the total
    is the sum of the joints' heatmap scores and the limbs' PAF scores. Unfiltered.
    """
    starts = [peaks[joint_a] for joint_a, _ in LIMBS]
    ends = [peaks[joint_b] for _, joint_b in LIMBS]
    pairs = _score_pairs(starts, ends, pafs, PAF_CHANNELS, params)
    sizes = [(len(cand_a), len(cand_b)) for cand_a, cand_b in zip(starts, ends, strict=True)]
    limb_matches = _match_pairs(pairs, sizes)
    # Plain Python lists and floats below: this loop runs per match, where NumPy scalars
    # cost more than the work. float32 -> float is exact, so the totals are unchanged.
    peak_scores = [found[:, 2].tolist() for found in peaks]
    # Each person: index of the chosen peak per joint (-1 = none) and a running score.
    members: list[list[int]] = []
    totals: list[float] = []
    owner: list[dict[int, int]] = [{} for _ in range(NUM_JOINTS)]  # joint -> peak -> person

    for limb_index, ((joint_a, joint_b), matches) in enumerate(
        zip(LIMBS, limb_matches, strict=True)
    ):
        for i, j, limb_score in matches:
            person_a = owner[joint_a].get(i)
            person_b = owner[joint_b].get(j)
            if person_a is not None and person_b is not None:
                if person_a != person_b:
                    _join_people(person_a, person_b, limb_score, members, totals, owner)
            elif person_a is not None or person_b is not None:
                person = person_a if person_a is not None else person_b
                joint, peak = (joint_b, j) if person_a is not None else (joint_a, i)
                if members[person][joint] >= 0:
                    continue  # the slot is taken by a better earlier limb
                members[person][joint] = peak
                owner[joint][peak] = person
                totals[person] += peak_scores[joint][peak] + limb_score
            elif limb_index < _TREE_LIMBS:
                row = [-1] * NUM_JOINTS
                row[joint_a], row[joint_b] = i, j
                owner[joint_a][i] = owner[joint_b][j] = len(members)
                members.append(row)
                # Summed in float32, as the scores are.
                pair = np.float32(peak_scores[joint_a][i]) + np.float32(peak_scores[joint_b][j])
                totals.append(float(pair) + limb_score)

    return _chosen_peaks(members, totals, peaks)


def _join_people(
    person_a: int,
    person_b: int,
    limb_score: float,
    members: list[list[int]],
    totals: list[float],
    owner: list[dict[int, int]],
) -> None:
    """A limb links two people of :func:`assemble` (indices into ``members``): the later one
    joins the earlier (its peaks, its score and the limb's), unless both already have some
    same joint. ``members``, ``totals`` and ``owner`` (joint -> peak -> person) change in
    place; the emptied person keeps its slot (all -1, score 0)."""
    merge_into, merged = min(person_a, person_b), max(person_a, person_b)
    into, other = members[merge_into], members[merged]
    if any(mine >= 0 and theirs >= 0 for mine, theirs in zip(into, other, strict=True)):
        return  # both people already have some same joint: keep them apart
    for joint, peak in enumerate(other):
        if peak >= 0:
            into[joint] = peak
            owner[joint][peak] = merge_into
    members[merged] = [-1] * NUM_JOINTS
    totals[merge_into] += totals[merged] + limb_score
    totals[merged] = 0.0


def _chosen_peaks(
    members: list[list[int]], totals: list[float], peaks: list[np.ndarray]
) -> list[tuple[np.ndarray, float]]:
    """Each remaining person's chosen peaks as (18, 3) keypoints in cells, with their total;
    people merged into another (no joint left) are dropped."""
    people = []
    for row, total in zip(members, totals, strict=True):
        if max(row) < 0:
            continue  # merged into another person
        keypoints = np.zeros((NUM_JOINTS, 3), dtype=np.float32)
        for joint, peak in enumerate(row):
            if peak >= 0:
                keypoints[joint] = peaks[joint][peak]
        people.append((keypoints, total))
    return people


def decode_multi(
    heatmaps: np.ndarray,
    pafs: np.ndarray,
    scale: tuple[float, float],
    threshold: float = 0.1,
    params: DecodeParams = DEFAULT_PARAMS,
) -> list[Pose]:
    """Every person in one network output, best first.

    heatmaps: float32 (h, w, >=18); pafs: float32 (h, w, 38) (see ``skeleton.PAF_CHANNELS``);
    scale: (sx, sy) heatmap cell size in image pixels; threshold: minimum joint heatmap value.
    Each :class:`Pose` has keypoints in image pixels with the joint's heatmap value (clipped
    to [0, 1]) as confidence, and ``score`` = mean keypoint confidence times the share of the
    18 joints found, so complete, confident people rank first.
    """
    peaks = find_peaks(heatmaps, threshold, params)
    poses = []
    for keypoints, total in assemble(peaks, pafs, params):
        found = keypoints[:, 2] > 0
        count = int(found.sum())
        if count < params.min_parts or total / count < params.min_mean_score:
            continue
        out = np.zeros_like(keypoints)
        out[found, :2] = cell_to_pixel(keypoints[found, 0], keypoints[found, 1], scale)
        out[found, 2] = np.clip(keypoints[found, 2], 0.0, 1.0)
        score = float(out[found, 2].mean()) * count / NUM_JOINTS
        poses.append(Pose(keypoints=out, score=score))
    return sorted(poses, key=lambda person: person.score, reverse=True)
