"""What the video path found: the keypoints of each processed frame, and their exports.

:class:`VideoResult` is what :func:`pose.video.process.process_video` returns; it writes the
keypoints as JSON (:meth:`VideoResult.to_dict`) and CSV (:meth:`VideoResult.to_csv`).
:func:`tracked_people` and :func:`angle_series` read that JSON back.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np

from pose.body.angles import ANGLE_NAMES, joint_angle_cells, pose_angles_json
from pose.body.angles import angle_series as continuous_angles
from pose.body.skeleton import NUM_JOINTS, Joint
from pose.body.types import JOINT_NAMES, Pose
from pose.media.video_reader import VideoInfo
from pose.pose3d.blazepose import Person3D, add_to_people
from pose.video.region import Plan

# "id" (the person's tracking ID) and "angle" (:func:`pose.output.export.table_rows`) came later:
# they follow the original columns so that readers of the first seven keep working.
CSV_HEADERS = ["frame", "time", "person", "joint", "x", "y", "confidence", "id", "angle"]


@dataclass(frozen=True)
class FrameKeypoints:
    """People found in source frame ``index`` (0-based), shown at ``time`` seconds, and
    their tracking IDs (:mod:`pose.video.track`; same order as ``people``; empty when untracked);
    with ``lift3d``, ``bodies`` has each person's 3D landmarks (None: too few joints);
    ``looks``: each person's look (2, 3) or None (:mod:`pose.video.appearance`; empty when
    not taken), which re-joining uses; never exported."""

    index: int
    time: float
    people: tuple[Pose, ...]
    ids: tuple[int, ...] = ()
    bodies: tuple[Person3D | None, ...] = ()
    looks: tuple[np.ndarray | None, ...] = field(default=(), compare=False, repr=False)

    def id_of(self, number: int) -> int | None:
        """The tracking ID of ``people[number]``, or ``None`` when untracked."""
        return self.ids[number] if number < len(self.ids) else None

    def to_dict(self) -> dict:
        """``{"frame", "time", "people": [{"id", "score", "keypoints", "angles", ...}]}``;
        with 3D, each person also has ``"landmarks3d"``."""
        people = [
            {"id": self.id_of(number), **person.to_dict()}
            for number, person in enumerate(self.people)
        ]
        people = add_to_people(people, self.bodies)
        return {"frame": self.index, "time": round(self.time, 4), "people": people}


@dataclass(frozen=True)
class VideoResult:
    """An annotated video at ``output`` (at the source's ``fps`` and duration) and the
    keypoints of each processed frame."""

    output: Path
    source: VideoInfo
    every: int
    fps: Fraction
    width: int
    height: int
    frames: tuple[FrameKeypoints, ...]
    seconds: float
    # CPU seconds each pipeline stage spent ("read", "infer0", ..., "draw" while finding
    # people; "rejoin", "redraw" (read again and draw) and "encode" after): where the time
    # goes when the stages overlap (benchmarks/speed.py prints it).
    stage_cpu_seconds: dict[str, float] = field(default_factory=dict)
    backend: str = ""  # the model backend that ran ("int8", "tflite", ...)
    # Source frames that could not be decoded (damaged data); the frame before them is held.
    lost_frames: int = 0
    # Per processed frame: the windows of output cells the network ran on, None for the
    # full frame (pose.video.region); empty when the region path was off.
    windows: tuple[Plan, ...] = ()
    # The mean share of the network input's cells the network ran on per frame (1.0: every
    # frame whole).
    network_share: float = 1.0

    @property
    def audio_dropped(self) -> bool:
        return self.source.has_audio

    @property
    def processing_fps(self) -> float:
        return len(self.frames) / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict:
        """JSON-ready; ``frames`` has one entry per processed frame (``every``-th), in order."""
        return {
            "source": self.source.to_dict(),
            "output": {
                "width": self.width,
                "height": self.height,
                "fps": round(float(self.fps), 3),
                "frames": len(self.frames),
                "every": self.every,
                "audio": False,
                "model": self.backend,  # the backend that ran ("int8", "tflite", ...)
                "lost_frames": self.lost_frames,
            },
            "frames": [frame.to_dict() for frame in self.frames],
            "joints": list(JOINT_NAMES),  # names the 18 [x, y, score] of each keypoints list
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    def to_csv(self) -> str:
        """One row per found joint: frame, time, person (1-based in the frame), joint, x, y,
        confidence, id (the person's tracking ID, the same in every frame), angle (degrees at
        elbows, shoulders, hips, knees; the trunk lean on the neck row; else empty)."""
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(CSV_HEADERS)
        for frame in self.frames:
            for number, person in enumerate(frame.people, start=1):
                angles = joint_angle_cells(person)
                for joint in Joint:
                    x, y, score = person.keypoints[joint].tolist()
                    if score > 0:
                        writer.writerow(
                            [
                                frame.index,
                                round(frame.time, 4),
                                number,
                                joint.label,
                                round(x, 1),
                                round(y, 1),
                                round(score, 3),
                                frame.id_of(number - 1),
                                angles[joint],
                            ]
                        )
        return buffer.getvalue()

    def person_ids(self) -> list[int]:
        """Tracking IDs of everyone found, the most often seen first (ties: lower ID first)."""
        counts: dict[int, int] = {}
        for frame in self.frames:
            for person_id in frame.ids:
                counts[person_id] = counts.get(person_id, 0) + 1
        return sorted(counts, key=lambda person_id: (-counts[person_id], person_id))

    def track_angles(self, person_id: int) -> list[tuple[int, float, dict[str, float | None]]]:
        """(frame index, time, angles JSON) of every processed frame where the person with
        tracking ID ``person_id`` was found, in order (for plotting angles over time)."""
        rows = []
        for frame in self.frames:
            for number, person in enumerate(frame.people):
                if frame.id_of(number) == person_id:
                    rows.append((frame.index, frame.time, pose_angles_json(person)))
        return rows


def tracked_people(payload: dict) -> list[tuple[int, int]]:
    """(ID, frames seen) of everyone in a video's keypoints JSON (:meth:`VideoResult.to_dict`),
    the most often seen first (ties: lower ID first). People without an ID are skipped."""
    counts: dict[int, int] = {}
    for frame in payload.get("frames", []):
        for person in frame.get("people", []):
            if isinstance(person.get("id"), int):
                counts[person["id"]] = counts.get(person["id"], 0) + 1
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def angle_series(payload: dict, person_id: int) -> list[tuple[int, float, dict]]:
    """(frame, time, angles) of each frame of a video's keypoints JSON where the person with
    ID ``person_id`` was found, in order; angles in degrees or ``None``, continuous over
    time (:func:`pose.body.angles.angle_series`: unsure joints, foreshortened limbs and
    one-frame flips left out)."""
    rows = []
    points = []
    for frame in payload.get("frames", []):
        for person in frame.get("people", []):
            if person.get("id") == person_id:
                rows.append((frame["frame"], frame["time"], person.get("angles", {})))
                points.append(person.get("keypoints"))
                break
    try:
        keypoints = np.asarray(points, dtype=np.float64).reshape(len(points), NUM_JOINTS, 3)
    except (TypeError, ValueError):
        return rows  # a hand-made JSON without keypoints: its own angles as they are
    series = continuous_angles(keypoints, np.array([time for _, time, _ in rows]))
    return [
        (index, time, dict(zip(ANGLE_NAMES, map(_degrees, values), strict=True)))
        for (index, time, _), values in zip(rows, series, strict=True)
    ]


def _degrees(value: float) -> float | None:
    return None if np.isnan(value) else round(float(value), 1)
