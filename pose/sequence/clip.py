"""One person through a clip: :class:`PoseSequence` (their keypoints in each frame where
they were found) and :func:`person_sequence`, which picks them from the people of each
frame, by rank or by tracking ID; :class:`SequenceError` for a clip that cannot be used."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from pose.body.skeleton import NUM_JOINTS
from pose.body.types import Pose
from pose.match import MIN_SHARED_JOINTS, rank_by_size
from pose.media.images import InputError

# A person must be found in at least this share of a clip's frames to be compared:
# below it the "movement" is mostly guesswork.
MIN_COVERAGE = 0.5
MIN_FRAMES = 3


class SequenceError(InputError):
    """A clip cannot be compared: nobody in it, the person missing most of the time, too
    short, or far longer than the other. A ``ValueError``: the app shows the message, the
    CLI prints it and exits with status 2."""


def check_coverage(
    found: int, total: int, name: str, min_coverage: float, who: str = "", hint: str = ""
) -> None:
    """Raise :class:`SequenceError` when the person followed through clip ``name`` was found
    in ``found`` of its ``total`` frames: fewer than ``min_coverage`` of them or than
    :data:`MIN_FRAMES`. ``who`` names the person in the message (after "The person"),
    ``hint`` ends its advice."""
    share = found / total if total else 0.0
    if share < min_coverage or found < MIN_FRAMES:
        raise SequenceError(
            f"The person{who} is found in only {found} of the {total} frames of {name} "
            f"({100 * share:.0f} %); comparing movements needs them in at least "
            f"{100 * min_coverage:.0f} % of the frames and {MIN_FRAMES} frames. Use a clip "
            f"where the person stays in view{hint}."
        )


def nobody_found(person: int, total: int, name: str) -> SequenceError:
    """The error for clip ``name``: person number ``person`` (1: the most prominent) is in
    none of its ``total`` frames."""
    who = "No person" if person == 1 else f"No person number {person}"
    return SequenceError(
        f"{who} found in any of the {total} frames of {name}. Use a clip where the "
        "person's body is clearly visible, or lower the confidence threshold."
    )


@dataclass(frozen=True)
class PoseSequence:
    """One person through a clip.

    ``keypoints`` (T, 18, 3) float32 in the clip's pixels, one row per frame where the
    person was found; ``frames`` (T,) the source frame index of each row, increasing;
    ``fps`` the clip's frame rate; ``total`` the frames in the clip (found or not);
    ``track`` the tracking ID of the person, when the clip was tracked.
    """

    keypoints: np.ndarray
    frames: np.ndarray
    fps: float
    total: int
    name: str = "the clip"
    track: int | None = None  # the tracking ID followed, if the clip was tracked

    def __post_init__(self) -> None:
        points = np.asarray(self.keypoints, dtype=np.float32)
        frames = np.asarray(self.frames, dtype=np.int64)
        if points.ndim != 3 or points.shape[1:] != (NUM_JOINTS, 3):
            raise ValueError(f"keypoints must be (T, 18, 3), got {points.shape}")
        if frames.shape != (len(points),):
            raise ValueError(f"frames must be ({len(points)},), got {frames.shape}")
        if len(frames) > 1 and np.any(np.diff(frames) <= 0):
            raise ValueError("frames must be increasing")
        if not self.fps > 0:
            raise ValueError(f"fps must be positive, not {self.fps}")
        for name, value in (("keypoints", points), ("frames", frames)):
            value.setflags(write=False)
            object.__setattr__(self, name, value)

    def __len__(self) -> int:
        return len(self.frames)

    @property
    def duration(self) -> float:
        """Seconds from the first to the last frame with the person, one frame included."""
        if not len(self.frames):
            return 0.0
        return float(self.frames[-1] - self.frames[0] + 1) / self.fps

    @property
    def coverage(self) -> float:
        """Share of the clip's frames in which the person was found."""
        return len(self.frames) / self.total if self.total else 0.0

    def segment(self, start: float | None = None, end: float | None = None) -> PoseSequence:
        """The frames shown from ``start`` to ``end`` seconds (either may be None: the
        clip's start or end). Raises :class:`SequenceError` when nothing is left."""
        times = self.frames / self.fps
        keep = np.ones(len(times), dtype=bool)
        if start is not None:
            keep &= times >= start - 1e-9
        if end is not None:
            keep &= times <= end + 1e-9
        if start is not None and end is not None and end <= start:
            raise SequenceError(f"The segment must end after it starts ({start:g}-{end:g} s).")
        if keep.sum() < MIN_FRAMES:
            raise SequenceError(
                f"The segment {start or 0:g}-{'end' if end is None else f'{end:g} s'} of "
                f"{self.name} has {int(keep.sum())} frames with the person; at least "
                f"{MIN_FRAMES} are needed."
            )
        return PoseSequence(
            self.keypoints[keep], self.frames[keep], self.fps, self.total, self.name, self.track
        )

    def summary(self) -> dict:
        return {
            "name": self.name,
            "fps": round(float(self.fps), 3),
            "frames": int(self.total),
            "frames_with_person": len(self),
            "duration": round(self.total / self.fps, 3),
            "id": self.track,
        }


def person_sequence(
    people: Sequence[Sequence[Pose]],
    fps: float,
    name: str = "the clip",
    person: int = 1,
    frames: Sequence[int] | None = None,
    total: int | None = None,
    min_coverage: float = MIN_COVERAGE,
    ids: Sequence[Sequence[int]] | None = None,
) -> PoseSequence:
    """The sequence of one person from the people found in each frame.

    ``people[t]`` are the people of frame ``frames[t]`` (default: t). With tracking IDs
    (``ids[t]`` for ``people[t]``, as :mod:`pose.video.track` gives them), ``person`` ranks the
    tracks by their summed size over the clip (1 = the most prominent: large and present
    longest) and the sequence follows that track; without them, ``person`` is a rank by
    size in each frame (1 = the largest there, as in the Match tab), which may jump to
    someone else when another person comes closer. A frame where the person has fewer
    than :data:`MIN_SHARED_JOINTS` joints counts as a frame without them. ``total`` is the
    clip's frame count (default: the number of frames given).
    Raises :class:`SequenceError` when the person is found in no frame, in fewer than
    ``min_coverage`` of them, or in fewer than :data:`MIN_FRAMES`.
    """
    if int(person) < 1:
        raise SequenceError(f"Person number must be 1 or more, not {person}.")
    frames = list(range(len(people))) if frames is None else [int(f) for f in frames]
    if len(frames) != len(people):
        raise ValueError("frames and people must have the same length")
    total = len(people) if total is None else int(total)
    chosen = _follow_track(people, ids, person) if ids and any(ids) else _by_rank(people, person)
    rows, kept, track = [], [], None
    for index, found in zip(frames, chosen, strict=True):
        if found is not None and found[0].num_visible >= MIN_SHARED_JOINTS:
            rows.append(found[0].keypoints)
            kept.append(index)
            track = found[1]
    if not rows:
        raise nobody_found(person, total, name)
    check_coverage(len(rows), total, name, min_coverage)
    return PoseSequence(np.stack(rows), np.array(kept), float(fps), total, name, track)


def _by_rank(people: Sequence[Sequence[Pose]], person: int) -> list[tuple[Pose, None] | None]:
    chosen: list[tuple[Pose, None] | None] = []
    for found in people:
        ranked = rank_by_size(found)
        chosen.append((ranked[person - 1], None) if len(ranked) >= person else None)
    return chosen


def _follow_track(
    people: Sequence[Sequence[Pose]], ids: Sequence[Sequence[int]], person: int
) -> list[tuple[Pose, int] | None]:
    if len(ids) != len(people):
        raise ValueError("ids and people must have the same length")
    sizes: dict[int, float] = {}
    for found, numbers in zip(people, ids, strict=True):
        for pose, number in zip(found, numbers, strict=False):
            sizes[number] = sizes.get(number, 0.0) + pose.area
    ranked = sorted(sizes, key=lambda number: (-sizes[number], number))
    if len(ranked) < person:
        return [None] * len(people)
    track = ranked[person - 1]
    chosen: list[tuple[Pose, int] | None] = []
    for found, numbers in zip(people, ids, strict=True):
        match = [pose for pose, number in zip(found, numbers, strict=False) if number == track]
        chosen.append((match[0], track) if match else None)
    return chosen
