"""What a tracked person wears: a small colour signature that tells two people apart.

Position and motion cannot say who is who when two people cross and the model sees one body
for a while; clothing can. A person's **look** is the median colour of two regions:

- the **torso**, the quad from the shoulders to the hips;
- the **upper legs**, the segments from each hip to its knee.

Each region is read from a few dozen pixels sampled on a grid inside it (its inner part, so
that arms, bags and the background at its edges weigh little), so a look costs a few tens of
microseconds a person and needs no crop. A region is read only when its joints are sure
(:data:`SURE`); a look is taken only from a person no one else overlaps
(:func:`overlapped`): two bodies in one box would mix their colours. A look is an array
``(2, 3)``: rows torso and upper legs, columns an opponent colour space (:data:`_OPPONENT`:
lightness, red-green, yellow-blue, in RGB units; a 3x3 product, where a Lab conversion per
person cost more than the rest of the look); a region not read is a row of NaN. A track
keeps a slowly updated model of its looks (:func:`blend`).

Lightness changes with the light as people walk through shade, the colour axes much less:
:func:`look_distance` weighs lightness at half.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from pose.body.skeleton import Joint

SURE = 0.3  # joint confidence above which a joint's position is trusted for sampling
REGIONS = ("torso", "upper legs")
# (u, v) sample grid inside the torso, on its inner 60 %: edges are where arms and background are.
_U, _V = (grid.reshape(-1, 1) for grid in np.meshgrid(*[np.linspace(0.2, 0.8, 5)] * 2))
# Along each thigh from the hip (the knee end is often the other leg), and across it (in
# thigh lengths either side).
_ALONG, _ACROSS = (
    grid.reshape(-1, 1) for grid in np.meshgrid(np.linspace(0.15, 0.75, 5), [-0.06, 0.0, 0.06])
)
# RGB -> (lightness, red-green, yellow-blue): rows applied to a pixel's R, G, B.
_OPPONENT = np.array([[1 / 3, 1 / 3, 1 / 3], [0.5, -0.5, 0.0], [0.25, 0.25, -0.5]])
_WEIGHTS = np.array([0.5, 1.0, 1.0])  # lightness counts half
MIN_SAMPLES = 8  # fewer pixels inside the frame than this: the region is not read


def _torso_points(people: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Samples inside each person's shoulders-hips quad: x, y (P, 25, 2) and whether the
    quad's corners are sure (P,), for people (P, 18, 3)."""
    corners = [Joint.R_SHOULDER, Joint.L_SHOULDER, Joint.R_HIP, Joint.L_HIP]
    sure = (people[:, corners, 2] >= SURE).all(axis=1)
    rs, ls, rh, lh = (people[:, None, j, :2] for j in corners)
    top = rs + _U * (ls - rs)
    bottom = rh + _U * (lh - rh)
    return top + _V * (bottom - top), sure


def _leg_points(people: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Samples along both thighs: x, y (P, 30, 2) and whether each sample's hip and knee are
    sure (P, 30), for people (P, 18, 3)."""
    points, sure = [], []
    for hip, knee in ((Joint.R_HIP, Joint.R_KNEE), (Joint.L_HIP, Joint.L_KNEE)):
        start, end = people[:, None, hip, :2], people[:, None, knee, :2]
        along = end - start
        across = np.stack([-along[..., 1], along[..., 0]], axis=-1)
        points.append(start + _ALONG * along + _ACROSS * across)
        ok = (people[:, hip, 2] >= SURE) & (people[:, knee, 2] >= SURE)
        sure.append(np.repeat(ok[:, None], len(_ALONG), axis=1))
    return np.concatenate(points, axis=1), np.concatenate(sure, axis=1)


def _median_colours(image: np.ndarray, points: np.ndarray, sure: np.ndarray) -> np.ndarray:
    """(P, 3) median opponent colour of ``image`` (H, W, 3) uint8 RGB at each person's
    ``points`` (P, N, 2) where ``sure`` (P, N); NaN for a person with fewer than
    :data:`MIN_SAMPLES` sure samples inside the image."""
    height, width = image.shape[:2]
    xy = np.round(points).astype(np.int64)
    use = sure & (xy[..., 0] >= 0) & (xy[..., 0] < width) & (xy[..., 1] >= 0)
    use &= xy[..., 1] < height
    x, y = np.clip(xy[..., 0], 0, width - 1), np.clip(xy[..., 1], 0, height - 1)
    colours = image[y, x].astype(np.float64) @ _OPPONENT.T  # (P, N, 3)
    colours[~use] = np.nan  # sorted last: the median of each row's first ``count`` values
    ordered = np.sort(colours, axis=1)
    count = use.sum(axis=1)
    low = np.maximum(count - 1, 0) // 2
    high = count // 2 - (count == 0)
    pick = np.stack([low, np.maximum(high, 0)], axis=1)[:, :, None]  # (P, 2, 1)
    middle = np.take_along_axis(ordered, np.broadcast_to(pick, (len(points), 2, 3)), axis=1)
    out = middle.mean(axis=1)
    out[count < MIN_SAMPLES] = np.nan
    return out


def people_looks(image: np.ndarray, people: np.ndarray) -> np.ndarray:
    """(P, 2, 3) the looks of people (P, 18, 3) in ``image`` (H, W, 3) uint8 RGB: rows
    torso and upper legs; NaN for a region whose joints are not sure."""
    people = np.asarray(people, np.float64).reshape(-1, 18, 3)
    torso, torso_sure = _torso_points(people)
    legs, legs_sure = _leg_points(people)
    return np.stack(
        [
            _median_colours(image, torso, np.repeat(torso_sure[:, None], torso.shape[1], 1)),
            _median_colours(image, legs, legs_sure),
        ],
        axis=1,
    )


def look_of(image: np.ndarray, keypoints: np.ndarray) -> np.ndarray | None:
    """The look (2, 3) of the person with ``keypoints`` (18, 3) in ``image`` (H, W, 3) uint8
    RGB, or None when neither region's joints are sure."""
    look = people_looks(image, keypoints[None])[0]
    return None if np.isnan(look).all() else look


def box_of(keypoints: np.ndarray) -> np.ndarray | None:
    """(4,) x0, y0, x1, y1 of the found joints of (18, 3) keypoints, or None for none."""
    points = keypoints[keypoints[:, 2] > 0, :2]
    if len(points) == 0:
        return None
    return np.concatenate([points.min(axis=0), points.max(axis=0)])


def overlapped(box: np.ndarray, others: Sequence[np.ndarray], share: float = 0.1) -> bool:
    """Whether more than ``share`` of ``box`` (4,) lies inside any of ``others`` (each (4,)
    x0, y0, x1, y1): someone else in front of or behind this person."""
    area = max(float((box[2] - box[0]) * (box[3] - box[1])), 1.0)
    for other in others:
        w = min(box[2], other[2]) - max(box[0], other[0])
        h = min(box[3], other[3]) - max(box[1], other[1])
        if w > 0 and h > 0 and w * h > share * area:
            return True
    return False


def frame_looks(image: np.ndarray, people: Sequence[np.ndarray]) -> list[np.ndarray | None]:
    """The look (2, 3) of each of a frame's people (each (18, 3)) in ``image`` (H, W, 3)
    uint8 RGB: None for someone overlapped by another person found in the frame, or whose
    joints are unsure."""
    if not len(people):
        return []
    boxes = [box_of(np.asarray(p)) for p in people]
    looks = people_looks(image, np.array(people))
    out: list[np.ndarray | None] = []
    for k, look in enumerate(looks):
        others = [b for j, b in enumerate(boxes) if j != k and b is not None]
        alone = boxes[k] is not None and not overlapped(boxes[k], others)
        out.append(look if alone and not np.isnan(look).all() else None)
    return out


def look_distance(first: np.ndarray | None, second: np.ndarray | None) -> float:
    """Weighted colour distance of two looks (2, 3), the mean over the regions both have; NaN
    when they share none (or either is None)."""
    if first is None or second is None:
        return float("nan")
    both = ~(np.isnan(first).any(axis=1) | np.isnan(second).any(axis=1))
    if not both.any():
        return float("nan")
    difference = (first[both] - second[both]) * _WEIGHTS
    return float(np.linalg.norm(difference, axis=1).mean())


def blend(model: np.ndarray | None, look: np.ndarray, rate: float) -> np.ndarray:
    """A track's look model (2, 3) moved by ``rate`` towards a new ``look`` (2, 3), region
    by region; a region the model lacks is taken as it is, one the look lacks is kept."""
    if model is None:
        return look.copy()
    out = model.copy()
    new = np.isnan(model).any(axis=1) & ~np.isnan(look).any(axis=1)
    both = ~np.isnan(model).any(axis=1) & ~np.isnan(look).any(axis=1)
    out[new] = look[new]
    out[both] = (1.0 - rate) * model[both] + rate * look[both]
    return out


def median_look(looks: Sequence[np.ndarray | None]) -> np.ndarray | None:
    """(2, 3) the per-region median of several looks (those not None), or None."""
    stack = [look for look in looks if look is not None]
    if not stack:
        return None
    array = np.array(stack)
    out = np.full((len(REGIONS), 3), np.nan)
    for region in range(len(REGIONS)):
        rows = array[:, region]
        rows = rows[~np.isnan(rows).any(axis=1)]
        if len(rows):
            out[region] = np.median(rows, axis=0)
    return None if np.isnan(out).all() else out
