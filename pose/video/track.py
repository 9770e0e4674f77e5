"""People tracking across video or webcam frames: a stable ID per person.

:class:`PoseTracker` keeps one track per person seen recently. Each frame, every track
predicts where its joints are now (its last joints moved at its measured speed), and the
frame's people are assigned to tracks by the mean distance of the joints both have, in body
heights (Hungarian assignment, :func:`scipy.optimize.linear_sum_assignment`):

1. tracks seen in the previous frame are matched first, within :attr:`TrackerParams.max_cost`;
2. people left over are then matched to tracks lost for a while (hidden behind someone,
   missed by the model), within a gate that widens with the time lost, so a person
   walking out from behind another gets their ID back;
3. anyone still left starts a new track with a new ID.

With the people's looks (:mod:`pose.video.appearance`: the colours of their torso and upper
legs), a track that could take either of two people near each other takes the one dressed
like it (:func:`look_bias`: a small cost, so it decides only between candidates near in
position, as when two people cross and part). Each track keeps a slowly updated model of its
look, from frames where no one else is near it.

Tracks unseen for :attr:`TrackerParams.max_age` seconds (1 s) end. IDs count up from 1
and are never reused within a tracker (one tracker per video or webcam session).

Pure NumPy apart from the assignment; keypoints are OpenPose-18 ``(18, 3)`` x, y, score
arrays in frame pixels.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linear_sum_assignment

from pose.body.skeleton import NUM_JOINTS, Joint
from pose.body.types import Pose
from pose.video.appearance import blend, box_of, look_distance, overlapped

# (joint, joint, typical length as a fraction of standing height): adult proportions
# (Drillis and Contini's segment table, rounded), used to guess a person's height from
# whichever limbs were found. Foreshortened limbs guess low; the median of several is used.
_BODY_RATIOS: tuple[tuple[Joint, Joint, float], ...] = (
    (Joint.NECK, Joint.R_HIP, 0.30),
    (Joint.NECK, Joint.L_HIP, 0.30),
    (Joint.R_HIP, Joint.R_KNEE, 0.245),
    (Joint.L_HIP, Joint.L_KNEE, 0.245),
    (Joint.R_KNEE, Joint.R_ANKLE, 0.246),
    (Joint.L_KNEE, Joint.L_ANKLE, 0.246),
    (Joint.R_SHOULDER, Joint.R_ELBOW, 0.186),
    (Joint.L_SHOULDER, Joint.L_ELBOW, 0.186),
    (Joint.R_ELBOW, Joint.R_WRIST, 0.146),
    (Joint.L_ELBOW, Joint.L_WRIST, 0.146),
    (Joint.NECK, Joint.R_SHOULDER, 0.129),
    (Joint.NECK, Joint.L_SHOULDER, 0.129),
    (Joint.NECK, Joint.NOSE, 0.11),
)
_RATIO_START = np.array([a for a, _, _ in _BODY_RATIOS])
_RATIO_END = np.array([b for _, b, _ in _BODY_RATIOS])
_RATIO = np.array([r for _, _, r in _BODY_RATIOS])


def limb_height(keypoints: np.ndarray) -> float | None:
    """Rough standing height in pixels of the person with ``keypoints`` (18, 3), from the
    limbs found (the median of each limb's guess); ``None`` when no limb was found."""
    found = keypoints[:, 2] > 0
    usable = found[_RATIO_START] & found[_RATIO_END]
    if not usable.any():
        return None
    lengths = np.linalg.norm(
        keypoints[_RATIO_END[usable], :2] - keypoints[_RATIO_START[usable], :2], axis=1
    )
    return max(float(np.median(lengths / _RATIO[usable])), 1.0)


def body_height(keypoints: np.ndarray) -> float:
    """:func:`limb_height`, or with no limb found three times the size of the found
    joints' box (at least 1 pixel)."""
    height = limb_height(keypoints)
    if height is not None:
        return height
    points = keypoints[keypoints[:, 2] > 0, :2]
    if len(points) == 0:
        return 1.0
    return max(3.0 * float(np.ptp(points, axis=0).max()), 1.0)


@dataclass(frozen=True)
class TrackerParams:
    """Tracker settings. Distances are in body heights (:func:`body_height`), times in s.

    ``max_cost``: how far (mean joint distance) a person may be from where a track seen in
    the previous frame predicts them. ``gate_growth``: how much further per second a lost
    track may look (people keep walking while hidden). ``max_age``: how long a lost track
    waits. ``memory``: how long a joint not seen again is remembered (moved with the
    body) for matching. ``velocity_weight``: weight of the newest speed measurement;
    ``max_speed``: cap on the predicted speed, in body heights per second.

    Looks (:mod:`pose.video.appearance`): ``look_weight``, the cost (in body heights) of a
    colour distance of ``look_far`` or more between two people one track could take;
    ``look_far``, a colour distance that tells two people apart (within one person on
    street.avi: median 2-9, between people in different clothes 12-74); ``look_rate``, how
    fast a track's look model follows; ``look_min``, looks seen before the model is trusted.
    """

    max_cost: float = 0.3
    gate_growth: float = 0.3
    new_joint_cost: float = 0.5
    max_age: float = 1.0
    memory: float = 0.5
    velocity_weight: float = 0.5
    max_speed: float = 3.0
    look_weight: float = 0.15
    look_far: float = 12.0
    look_rate: float = 0.1
    look_min: int = 3


@dataclass
class Track:
    """One person's track. ``keypoints`` (18, 3): last known joints in pixels (joints not
    seen in this frame are remembered, moved with the body, for ``memory`` s);
    ``joint_times`` (18,): when each joint was last seen; ``velocity`` (2,): px/s;
    ``look`` (2, 3): the model of the person's look (None until one is seen),
    ``looks_seen``: how many looks made it."""

    id: int
    keypoints: np.ndarray
    joint_times: np.ndarray
    velocity: np.ndarray
    height: float
    last_seen: float
    hits: int = 1
    look: np.ndarray | None = None
    looks_seen: int = 0

    def predict(self, time: float, params: TrackerParams) -> np.ndarray:
        """Predicted (18, 3) keypoints at ``time``: the known joints moved on at the
        track's speed (for at most ``max_age`` s)."""
        ahead = min(max(time - self.last_seen, 0.0), params.max_age)
        predicted = self.keypoints.copy()
        predicted[:, :2] += self.velocity * ahead
        return predicted


def match_cost(
    predicted: np.ndarray, people: np.ndarray, heights: np.ndarray, new_joint_cost: float = 0.0
) -> np.ndarray:
    """Costs (T, P) between tracks' predicted keypoints (T, 18, 3) and people (P, 18, 3).

    The mean, over the joints found on the person, of the distance to the track's joint in
    the track's body heights (T,) where the track knows that joint, and ``new_joint_cost``
    where it does not: a track that saw only someone's head must not win their whole body
    from the track that saw all of it. Infinite where a pair shares no joint.
    """
    found = people[None, :, :, 2] > 0  # (1, P, 18)
    both = (predicted[:, None, :, 2] > 0) & found  # (T, P, 18)
    distance = np.linalg.norm(predicted[:, None, :, :2] - people[None, :, :, :2], axis=-1)
    distance /= np.asarray(heights, np.float64)[:, None, None]
    shared = both.sum(axis=-1)
    new = (found & ~both).sum(axis=-1)
    total = np.where(both, distance, 0.0).sum(axis=-1) + new_joint_cost * new
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(shared > 0, total / (shared + new), np.inf)


def _assign(
    cost: np.ndarray, gates: np.ndarray, bias: np.ndarray | None = None
) -> list[tuple[int, int]]:
    """(row, column) pairs of the cheapest assignment with ``cost[row, col] <= gates[row]``;
    ``bias`` (same shape as ``cost``) is added to the cost of allowed pairs when choosing,
    not when gating."""
    if cost.size == 0:
        return []
    n, m = cost.shape
    allowed = cost <= gates[:, None]
    chosen = cost if bias is None else cost + bias
    # Every row and column may also stay unmatched (a padded "nobody" column per row at the
    # row's gate, a "nobody" row per column at 0): a plain square assignment would force a
    # track with no candidate onto someone, and bend the other pairs to make room for it.
    big = 1e6
    padded = np.full((n + m, m + n), big)
    padded[:n, :m] = np.where(allowed, chosen, big)
    padded[:n, m:][np.diag_indices(n)] = gates if bias is None else gates + bias.max(initial=0)
    padded[n:, :m][np.diag_indices(m)] = 0.0
    padded[n:, m:] = 0.0
    rows, cols = linear_sum_assignment(padded)
    return [
        (int(r), int(c))
        for r, c in zip(rows, cols, strict=True)
        if r < n and c < m and allowed[r, c]
    ]


def look_bias(
    allowed: np.ndarray,
    models: Sequence[np.ndarray | None],
    looks: Sequence[np.ndarray | None],
    params: TrackerParams,
) -> np.ndarray:
    """(T, P) cost added for the looks: for a track that could take either of two people
    or more (``allowed`` (T, P)) whose looks are all known (``looks[p]``: (2, 3) or None;
    an unknown look must not win by default), ``look_weight`` times the colour distance
    between its model (``models[t]``) and each of them, in ``look_far`` units, at most one;
    0 elsewhere. One person two tracks could take gets no help: the model then most often
    finds one body for two people, whose colours are a mix of both."""
    bias = np.zeros(allowed.shape)
    for t in np.flatnonzero(allowed.sum(axis=1) >= 2):
        people = np.flatnonzero(allowed[t])
        distance = np.array([look_distance(models[t], looks[p]) for p in people])
        if np.isfinite(distance).all():
            bias[t, people] = params.look_weight * np.minimum(distance / params.look_far, 1.0)
    return bias


@dataclass
class PoseTracker:
    """Stable IDs for the people of successive frames; one instance per video or session."""

    params: TrackerParams = field(default_factory=TrackerParams)
    _tracks: list[Track] = field(default_factory=list, repr=False)
    _next_id: int = 1
    _last_time: float | None = None

    @property
    def tracks(self) -> tuple[Track, ...]:
        """Live tracks (seen within ``max_age``), oldest ID first."""
        return tuple(self._tracks)

    def reset(self) -> None:
        """Forget every track; IDs keep counting up (they are never reused)."""
        self._tracks.clear()
        self._last_time = None

    def update(
        self,
        people: Sequence[Pose | np.ndarray],
        time: float,
        looks: Sequence[np.ndarray | None] | None = None,
    ) -> list[int]:
        """IDs for the people of the frame taken at ``time`` s, in the order given.

        ``people``: :class:`Pose` objects or (18, 3) keypoint arrays in pixels. A ``time``
        earlier than the previous frame's (a restarted clock) starts over. ``looks``: each
        person's look (2, 3) or None (:func:`pose.video.appearance.frame_looks`), same
        order; without them, tracking goes by position and motion alone.
        """
        points = [np.asarray(p.keypoints if isinstance(p, Pose) else p, np.float64) for p in people]
        for array in points:
            if array.shape != (NUM_JOINTS, 3):
                raise ValueError(f"keypoints must have shape (18, 3), got {array.shape}")
        if looks is not None and len(looks) != len(points):
            raise ValueError(f"{len(looks)} looks for {len(points)} people")
        if self._last_time is not None and time < self._last_time:
            self.reset()
        previous = self._last_time
        self._tracks = [t for t in self._tracks if time - t.last_seen <= self.params.max_age]
        predicted = [track.predict(time, self.params) for track in self._tracks]
        cost = match_cost(
            np.array(predicted).reshape(-1, NUM_JOINTS, 3),
            np.array(points).reshape(-1, NUM_JOINTS, 3),
            np.array([t.height for t in self._tracks]),
            self.params.new_joint_cost,
        )

        owner = self._match(cost, len(points), time, previous, looks)

        ids = []
        for index, array in enumerate(points):
            if index in owner:
                track = self._tracks[owner[index]]
                self._update_track(track, array, time)
            else:
                track = self._new_track(array, time)
            ids.append(track.id)
        if looks is not None:
            self._learn_looks(points, looks, ids, predicted, owner)
        self._last_time = time
        return ids

    def _match(
        self,
        cost: np.ndarray,
        people: int,
        time: float,
        previous: float | None,
        looks: Sequence[np.ndarray | None] | None,
    ) -> dict[int, int]:
        """Person index -> track index: tracks seen in the previous frame first, then lost
        ones within a gate that widens with the time lost (``cost`` (T, P))."""
        owner: dict[int, int] = {}
        recent = [i for i, t in enumerate(self._tracks) if t.last_seen == previous]
        lost = [i for i, t in enumerate(self._tracks) if t.last_seen != previous]
        for stage, widen in ((recent, False), (lost, True)):
            free = [j for j in range(people) if j not in owner]
            if not stage or not free:
                continue
            gap = np.array([time - self._tracks[i].last_seen for i in stage])
            gates = np.full(len(stage), self.params.max_cost)
            if widen:
                gates += self.params.gate_growth * gap
            part = cost[np.ix_(stage, free)]
            bias = None
            if looks is not None:
                models = [self._model(self._tracks[i]) for i in stage]
                bias = look_bias(part <= gates[:, None], models, [looks[j] for j in free],
                                 self.params)  # fmt: skip
            for row, col in _assign(part, gates, bias):
                owner[free[col]] = stage[row]
        return owner

    def _model(self, track: Track) -> np.ndarray | None:
        """A track's look model once it is trusted (``look_min`` looks), else None."""
        return track.look if track.looks_seen >= self.params.look_min else None

    def _learn_looks(self, points, looks, ids, predicted, owner) -> None:
        """Move each track's look model towards its person's look, unless a track not seen
        in this frame is predicted where the person is (someone hidden behind them would
        mix in), or the look is far from a trusted model (one odd frame: a bag swung
        round, a chimera of two people)."""
        params = self.params
        by_id = {track.id: track for track in self._tracks}
        matched = set(owner.values())
        hidden = [box_of(p) for index, p in enumerate(predicted) if index not in matched]
        hidden = [box for box in hidden if box is not None]
        for keypoints, look, number in zip(points, looks, ids, strict=True):
            box = box_of(keypoints)
            if look is None or box is None or overlapped(box, hidden):
                continue
            track = by_id[number]
            trusted = track.looks_seen >= params.look_min
            if trusted and look_distance(track.look, look) > 2 * params.look_far:
                continue
            rate = params.look_rate if trusted else 1.0 / (track.looks_seen + 1)
            track.look = blend(track.look, look, rate)
            track.looks_seen += 1

    def _new_track(self, keypoints: np.ndarray, time: float) -> Track:
        found = keypoints[:, 2] > 0
        track = Track(
            id=self._next_id,
            keypoints=keypoints.copy(),
            joint_times=np.where(found, time, -np.inf),
            velocity=np.zeros(2),
            height=body_height(keypoints),
            last_seen=time,
        )
        self._next_id += 1
        self._tracks.append(track)
        return track

    def _update_track(self, track: Track, keypoints: np.ndarray, time: float) -> None:
        params = self.params
        found = keypoints[:, 2] > 0
        known = track.keypoints[:, 2] > 0
        shared = found & known
        dt = time - track.last_seen
        shift = np.zeros(2)
        if shared.any():
            shift = (keypoints[shared, :2] - track.keypoints[shared, :2]).mean(axis=0)
            if dt > 0:
                weight = params.velocity_weight if track.hits > 1 else 1.0
                velocity = weight * shift / dt + (1.0 - weight) * track.velocity
                limit = params.max_speed * track.height
                speed = float(np.linalg.norm(velocity))
                track.velocity = velocity * (limit / speed) if speed > limit else velocity
        remembered = track.keypoints.copy()
        remembered[:, :2] += shift  # joints not seen now move with the body
        track.keypoints = np.where(found[:, None], keypoints, remembered)
        track.joint_times = np.where(found, time, track.joint_times)
        stale = time - track.joint_times > params.memory
        track.keypoints[stale, 2] = 0.0
        # The height follows the person slowly: one frame's limbs may be foreshortened.
        height = limb_height(keypoints)
        if height is not None:
            track.height = 0.7 * track.height + 0.3 * height
        track.last_seen = time
        track.hits += 1
