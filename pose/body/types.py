"""Result types: a detected person and the result of estimating one image."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from pose.body.angles import pose_angles_json
from pose.body.skeleton import NUM_JOINTS, Joint

# The joint names in keypoint order: the legend of every ``keypoints`` list in JSON.
JOINT_NAMES = tuple(joint.label for joint in Joint)


@dataclass(frozen=True)
class Pose:
    """One person.

    ``keypoints`` is a float32 array of shape (18, 3): x, y in original image pixels and a
    confidence in [0, 1] per OpenPose-18 joint. A joint that was not found has score 0
    (its x, y are then meaningless and exported as null).
    """

    keypoints: np.ndarray
    score: float = 0.0

    def __post_init__(self) -> None:
        array = np.asarray(self.keypoints, dtype=np.float32)
        if array.shape != (NUM_JOINTS, 3):
            raise ValueError(f"keypoints must have shape (18, 3), got {array.shape}")
        array = array.copy()
        array.setflags(write=False)
        object.__setattr__(self, "keypoints", array)

    def __getitem__(self, joint: Joint | str) -> np.ndarray:
        """The (x, y, score) row of a joint, by enum member or name (``"l_wrist"``)."""
        if isinstance(joint, str):
            joint = Joint[joint.upper()]
        return self.keypoints[joint]

    @property
    def visible(self) -> np.ndarray:
        """Boolean mask (18,) of joints that were found."""
        return self.keypoints[:, 2] > 0

    @property
    def num_visible(self) -> int:
        return int(self.visible.sum())

    def bbox(self) -> tuple[float, float, float, float]:
        """(x0, y0, x1, y1) around the visible joints; zeros when none are visible."""
        points = self.keypoints[self.visible, :2]
        if len(points) == 0:
            return (0.0, 0.0, 0.0, 0.0)
        x0, y0 = points.min(axis=0)
        x1, y1 = points.max(axis=0)
        return (float(x0), float(y0), float(x1), float(y1))

    @property
    def area(self) -> float:
        """Area of :meth:`bbox` in pixels; used to pick the largest person."""
        x0, y0, x1, y1 = self.bbox()
        return (x1 - x0) * (y1 - y0)

    def to_dict(self) -> dict:
        """JSON-ready: ``{"score": s, "keypoints": [[x, y, score] | [None, None, 0] x 18],
        "angles": {"r_elbow": degrees | None, ...}}`` (angles: :mod:`pose.body.angles`)."""
        rows = []
        for x, y, s in self.keypoints.tolist():
            rows.append([round(x, 2), round(y, 2), round(s, 4)] if s > 0 else [None, None, 0.0])
        return {
            "score": round(float(self.score), 4),
            "keypoints": rows,
            "angles": pose_angles_json(self.keypoints),
        }


def number_people(people: Sequence[Pose]) -> list[Pose]:
    """People in the order they are numbered everywhere (person 1, 2, ...): largest first,
    by the bounding-box area of their found joints; equal areas by score.

    The one numbering of the Image and Match tabs, the API, the CLI and the JSON/CSV files:
    person 1 is the most prominent person, the one "largest only" keeps. (Videos and the
    webcam number people by their track instead.)
    """
    return sorted(people, key=lambda person: (person.area, person.score), reverse=True)


@dataclass(frozen=True)
class Estimate:
    """All people found in one image of ``width`` x ``height`` pixels, numbered
    largest first (see :func:`number_people`). ``bodies``: when the photo path read people
    with BlazePose's landmark model (:func:`pose.pose3d.people.estimate_people`), each person's 3D
    body (a ``pose.pose3d.blazepose.Person3D``, or None for a person it did not read), in the same
    order; empty otherwise."""

    people: tuple[Pose, ...]
    width: int
    height: int
    timings_ms: dict[str, float] = field(default_factory=dict, compare=False)
    bodies: tuple = field(default=(), compare=False)

    def numbered(self) -> tuple[list[Pose], list]:
        """The people in numbering order (:func:`number_people`) and each one's 3D body
        from :attr:`bodies` in the same order (None where the photo path read none)."""
        bodies = list(self.bodies) or [None] * len(self.people)
        people = self.people
        # number_people's key: the one numbering everywhere.
        order = sorted(range(len(people)), key=lambda i: (people[i].area, people[i].score),
                       reverse=True)  # fmt: skip
        return [self.people[i] for i in order], [bodies[i] for i in order]

    def to_dict(self) -> dict:
        """JSON-ready: ``people`` in numbering order (person 1 first), each with its 18
        ``[x, y, score]`` keypoints in the order that ``joints`` names."""
        return {
            "people": [person.to_dict() for person in self.people],
            "width": self.width,
            "height": self.height,
            "joints": list(JOINT_NAMES),
        }
