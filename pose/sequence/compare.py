"""Video against video: a person's movement in two clips, aligned in time and scored.

The poses of each clip come from the video's stream of people (:mod:`pose.video.stream`: the
same reader, model, tracking and One Euro smoothing as the Video tab; nothing is encoded on
the way); :mod:`pose.sequence` aligns and scores them; :func:`write_side_by_side` draws both
clips next to each other along the alignment, with skeletons, the joints that differ ringed,
and a similarity timeline, as browser-playable H.264 (:class:`pose.media.video_writer.VideoWriter`).
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import cv2
import numpy as np

from pose.body.types import Pose
from pose.media.images import InputError
from pose.media.video_reader import MAX_FRAMES, VideoInfo, read_video
from pose.media.video_writer import VideoWriter
from pose.network.registry import PoseModel
from pose.output.draw import draw_poses
from pose.photo.estimate import DEFAULT_THRESHOLD
from pose.sequence import (
    DEFAULT_ALIGN,
    DEFAULT_WINDOW,
    DIFFERENT_BELOW,
    PoseSequence,
    Repetitions,
    SequenceComparison,
    SequenceError,
    compare_sequences,
    find_repetitions,
    person_sequence,
    repetitions_of_someone,
)
from pose.sequence.follow import follow_person
from pose.video.stream import PeopleStream, StreamOptions

log = logging.getLogger(__name__)

# Side-by-side output: each clip scaled to this height (pixels), a strip below for the
# timeline. Small enough to encode fast and play anywhere.
PANEL_HEIGHT = 360
STRIP_HEIGHT = 40
Progress = Callable[[str, int, int | None], None]


@dataclass(frozen=True)
class ClipPoses:
    """The people found in each processed frame of a video, and the video's description."""

    info: VideoInfo
    frames: tuple[int, ...]
    people: tuple[tuple[Pose, ...], ...]
    ids: tuple[tuple[int, ...], ...] = ()  # tracking IDs per frame, when the video path tracks
    # Each person's look per frame (pose.video.appearance), for re-joining; not compared.
    looks: tuple[tuple, ...] = field(default=(), compare=False, repr=False)

    def sequence(
        self, person: int = 1, name: str | None = None, track: int | None = None
    ) -> PoseSequence:
        """One person through the clip: tracking ID ``track``, else the ``person``-th most
        prominent re-joined track (:func:`pose.sequence.follow.follow_person`). Untracked, or
        when that track covers too little of a clip made of takes (a cut that re-joining
        cannot bridge), the ``person``-th largest in each frame."""
        name = name or self.info.name
        if any(self.ids):
            try:
                fps, total = float(self.info.fps), len(self.frames)
                return follow_person(self.people, self.ids, fps, self.frames, total, name,
                                     person=person, track=track, looks=self.looks)  # fmt: skip
            except SequenceError:
                if track is not None:
                    raise
        return person_sequence(self.people, float(self.info.fps), name, person=person,
                               frames=self.frames, total=len(self.frames), ids=None)  # fmt: skip

    def readings(self, person: int = 1, name: str | None = None) -> list[PoseSequence]:
        """The ways to read "person ``person``" of a tracked clip: the followed track
        (:meth:`sequence`), then the ``person``-th largest in each frame (a clip of takes
        cut together, where no track lasts); those that can be read at all."""
        name = name or self.info.name
        found = []
        for tracked in (True, False):
            with contextlib.suppress(SequenceError):
                if tracked:
                    found.append(self.sequence(person, name))
                else:
                    fps, total = float(self.info.fps), len(self.frames)
                    found.append(person_sequence(self.people, fps, name, person=person,
                                                 frames=self.frames, total=total))  # fmt: skip
        if not found:
            return [self.sequence(person, name)]  # raises the followed reading's error
        return found


def clip_poses(
    path: str | os.PathLike,
    *,
    size: str | tuple[int, int] | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    model: PoseModel | None = None,
    max_frames: int = MAX_FRAMES,
    progress: Callable[[int, int | None], None] | None = None,
) -> ClipPoses:
    """The per-frame people of one clip, from the video's stream of people (the same reader,
    model, tracking and One Euro smoothing as the Video tab; nothing is drawn or encoded).
    ``progress(done, total)`` after each frame. Raises :class:`pose.media.images.InputError`
    for a file that is not a usable video."""
    options = StreamOptions(size=size, threshold=threshold, smooth=True, max_frames=max_frames,
                            model=model)  # fmt: skip
    with PeopleStream(path, options) as stream:
        frames = stream.all_keypoints(progress)
    if not frames:
        raise InputError(f"{stream.info.name} contains no video frames.")
    return ClipPoses(
        info=stream.info,
        frames=tuple(frame.index for frame in frames),
        people=tuple(frame.people for frame in frames),
        ids=tuple(frame.ids for frame in frames),
        looks=tuple(frame.looks for frame in frames),
    )


@dataclass(frozen=True)
class VideoComparison:
    """Two clips compared: the scored alignment and, if written, the side-by-side video."""

    comparison: SequenceComparison
    output: Path | None = None

    def to_dict(self) -> dict:
        payload = self.comparison.to_dict()
        payload["output"] = None if self.output is None else str(self.output)
        return payload


def compare_videos(
    reference: str | os.PathLike,
    attempt: str | os.PathLike,
    *,
    out: str | os.PathLike | None = None,
    person1: int = 1,
    person2: int = 1,
    track1: int | None = None,
    track2: int | None = None,
    size: str | tuple[int, int] | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    method: str = DEFAULT_ALIGN,
    window: float | None = DEFAULT_WINDOW,
    model: PoseModel | None = None,
    progress: Progress | None = None,
) -> VideoComparison:
    """Compare the movement of person ``person2`` in ``attempt`` with that of ``person1``
    in ``reference`` (1 = the most prominent), or of tracking IDs ``track2`` and ``track1``
    when given (:meth:`ClipPoses.sequence`); write the side-by-side video to
    ``out`` if given. Raises :class:`pose.sequence.SequenceError` (an ``InputError``) for
    clips that cannot be compared, with a message saying why."""
    poses = []
    for label, path in (("reference", reference), ("attempt", attempt)):
        poses.append(clip_poses(path, size=size, threshold=threshold, model=model,
                                progress=_stage(progress, label)))  # fmt: skip
    names = [_label(poses[0].info.name, "reference"), _label(poses[1].info.name, "attempt")]
    result = compare_sequences(
        poses[0].sequence(person1, names[0], track1),
        poses[1].sequence(person2, names[1], track2),
        method,
        window,
        open_ends=True,  # whole clips: where one lacks the person, the other may too
    )
    if out is not None:
        write_side_by_side(reference, attempt, result, out, progress=_stage(progress, "video"))
    return VideoComparison(result, None if out is None else Path(out))


def count_reps(
    reference: str | os.PathLike,
    attempt: str | os.PathLike,
    *,
    start: float | None = None,
    end: float | None = None,
    person1: int = 1,
    person2: int = 1,
    track1: int | None = None,
    track2: int | None = None,
    size: str | tuple[int, int] | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    model: PoseModel | None = None,
    progress: Progress | None = None,
) -> Repetitions:
    """Count and score the repetitions, in ``attempt``, of the movement in ``reference``
    (from ``start`` to ``end`` seconds of it, default: all of it); the people followed as
    in :func:`compare_videos`."""
    poses = []
    for label, path in (("reference", reference), ("attempt", attempt)):
        poses.append(clip_poses(path, size=size, threshold=threshold, model=model,
                                progress=_stage(progress, label)))  # fmt: skip
    one = poses[0].sequence(person1, _label(poses[0].info.name, "reference"), track1)
    if start is not None or end is not None:
        one = one.segment(start, end)
    name = _label(poses[1].info.name, "attempt")
    if track2 is not None or not any(poses[1].ids):
        return find_repetitions(one, poses[1].sequence(person2, name, track2))
    return repetitions_of_someone(one, poses[1].readings(person2, name))


def _label(name: str, role: str) -> str:
    return f"the {role} ({name})"


def _stage(progress: Progress | None, label: str) -> Callable[[int, int | None], None] | None:
    if progress is None:
        return None
    return lambda done, total: progress(label, done, total)


# --------------------------------------------------------------------------- video


def _frames(path: str | os.PathLike) -> Iterator[tuple[int, np.ndarray]]:
    """(source index, RGB frame) of a video, each frame as the model saw it
    (:func:`pose.media.video_reader.read_video`, the stream's reader)."""
    reader = read_video(path)
    try:
        for index, _, image in reader:
            yield index, image
    finally:
        reader.close()


def _seek(frames: Iterator[tuple[int, np.ndarray]], current, target: int):
    """Advance a (index, image) iterator to source frame ``target`` (frames only move on)."""
    while current is None or current[0] < target:
        current = next(frames, None)
        if current is None:
            raise ValueError(f"the video ended before frame {target}")
    return current


def _panel(image: np.ndarray, pose: Pose, height: int, rings) -> np.ndarray:
    """The frame scaled to ``height`` with the person's skeleton, ``rings`` ringed."""
    scale = height / image.shape[0]
    width = max(2, round(image.shape[1] * scale))
    small = cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)
    keypoints = pose.keypoints.copy()
    keypoints[:, :2] *= scale
    return draw_poses(small, [replace(pose, keypoints=keypoints)], highlight=rings)


def _strip(width: int, similarity: np.ndarray, step: int) -> np.ndarray:
    """The similarity timeline as a colour strip (red 0 % -> green 100 %), cursor at ``step``."""
    strip = np.full((STRIP_HEIGHT, width, 3), 32, dtype=np.uint8)
    columns = np.minimum((np.arange(width) * len(similarity)) // width, len(similarity) - 1)
    values = np.nan_to_num(similarity[columns], nan=0.0) / 100.0
    colours = np.stack([255 * (1 - values), 200 * values, 40 * np.ones_like(values)], axis=1)
    strip[8:, :] = colours.astype(np.uint8)[None]
    cursor = round(step * width / len(similarity))
    strip[:, max(0, cursor - 1) : cursor + 2] = 255
    value = similarity[step]
    text = "similarity  --" if np.isnan(value) else f"similarity {value:3.0f} %"
    cv2.putText(
        strip, text, (6, 30), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (255, 255, 255), 2, cv2.LINE_AA
    )
    return strip


def write_side_by_side(
    reference: str | os.PathLike,
    attempt: str | os.PathLike,
    comparison: SequenceComparison,
    out: str | os.PathLike,
    height: int = PANEL_HEIGHT,
    progress: Callable[[int, int | None], None] | None = None,
) -> Path:
    """Write the two clips side by side along ``comparison``'s alignment to ``out``.

    Both clips are scaled to one height (the smaller clip's, at most ``height`` pixels).
    One output frame per aligned pair, at the reference's frame rate: where the attempt
    is slower or pauses, the reference frame holds, and the other way round. Each panel
    shows its person's skeleton; the attempt's joints scoring below
    :data:`pose.sequence.DIFFERENT_BELOW` percent are ringed. A strip below shows the
    similarity of every pair with a cursor at the current one.
    """
    ref_seq, att_seq = comparison.reference, comparison.attempt
    steps = comparison.steps
    readers = (_frames(reference), _frames(attempt))
    current: list = [None, None]
    writer = None
    try:
        for number, (i, j) in enumerate(steps):
            current[0] = _seek(readers[0], current[0], int(ref_seq.frames[i]))
            current[1] = _seek(readers[1], current[1], int(att_seq.frames[j]))
            scores = comparison.joint_scores[number]
            rings = [k for k in range(len(scores)) if scores[k] < DIFFERENT_BELOW]
            if writer is None:  # never enlarge: the smaller clip's height, at most ``height``
                height = min(height, current[0][1].shape[0], current[1][1].shape[0])
            left = _panel(current[0][1], Pose(ref_seq.keypoints[i]), height, ())
            right = _panel(current[1][1], Pose(att_seq.keypoints[j]), height, rings)
            top = np.hstack([left, right])
            frame = np.vstack([top, _strip(top.shape[1], comparison.step_similarity, number)])
            if writer is None:
                writer = VideoWriter(out, frame.shape[1], frame.shape[0], _rate(ref_seq.fps))
            writer.write(frame)
            if progress is not None:
                progress(number + 1, len(steps))
    except BaseException:
        if writer is not None:
            writer.close()
        Path(out).unlink(missing_ok=True)
        raise
    finally:
        for reader in readers:
            reader.close()
    writer.close()
    return Path(out)


def moment_images(
    reference: str | os.PathLike,
    attempt: str | os.PathLike,
    comparison: SequenceComparison,
    height: int = PANEL_HEIGHT,
) -> list[np.ndarray]:
    """Both frames of each of ``comparison.worst``, side by side, skeletons drawn and the
    attempt's differing joints ringed: RGB uint8 (height, W, 3), in the order of ``worst``.
    Each video is read once, up to its last moment."""
    moments = comparison.worst
    wanted = [
        sorted({moment.reference_frame for moment in moments}),
        sorted({moment.attempt_frame for moment in moments}),
    ]
    found: list[dict[int, np.ndarray]] = [{}, {}]
    for side, path in enumerate((reference, attempt)):
        reader = _frames(path)
        try:
            current = None
            for target in wanted[side]:
                current = _seek(reader, current, target)
                found[side][target] = current[1]
        finally:
            reader.close()
    height = min(height, *(image.shape[0] for images in found for image in images.values()))
    ref_seq, att_seq = comparison.reference, comparison.attempt
    images = []
    for moment in moments:
        i = int(np.searchsorted(ref_seq.frames, moment.reference_frame))
        j = int(np.searchsorted(att_seq.frames, moment.attempt_frame))
        left = _panel(found[0][moment.reference_frame], Pose(ref_seq.keypoints[i]), height, ())
        right = _panel(
            found[1][moment.attempt_frame],
            Pose(att_seq.keypoints[j]),
            height,
            [int(joint) for joint in moment.joints],
        )
        images.append(np.hstack([left, right]))
    return images


def _rate(fps: float):
    from fractions import Fraction

    return Fraction(fps).limit_denominator(1001)
