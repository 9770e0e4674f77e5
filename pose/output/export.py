"""Keypoints as table rows, JSON and CSV for downloads and the command line."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence

from pose.body.angles import joint_angle_cells
from pose.body.skeleton import Joint
from pose.body.types import Estimate
from pose.pose3d.blazepose import Person3D, add_to_people

TABLE_HEADERS = ["person", "joint", "x", "y", "confidence", "angle"]


def table_rows(estimate: Estimate, threshold: float = 0.0) -> list[list]:
    """One row per found joint: [person number (1-based), joint name, x, y, confidence,
    angle]. ``angle`` is the joint angle in degrees at elbows, shoulders, hips and knees and
    the trunk lean on the neck row (:mod:`pose.body.angles`); ``None`` elsewhere."""
    rows = []
    for number, person in enumerate(estimate.people, start=1):
        angles = joint_angle_cells(person)
        for joint in Joint:
            x, y, score = person.keypoints[joint].tolist()
            if score > threshold:
                rows.append(
                    [number, joint.label, round(x, 1), round(y, 1), round(score, 3), angles[joint]]
                )
    return rows


def estimate_dict(estimate: Estimate, bodies: Sequence[Person3D | None] = ()) -> dict:
    """``estimate.to_dict()``, with each person's 3D landmarks when ``bodies`` (from
    :func:`pose.pose3d.blazepose.lift`) are given."""
    payload = estimate.to_dict()
    if bodies:
        add_to_people(payload["people"], bodies)
    return payload


def to_json(estimate: Estimate, bodies: Sequence[Person3D | None] = ()) -> str:
    return json.dumps(estimate_dict(estimate, bodies), indent=2)


def to_csv(estimate: Estimate) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(TABLE_HEADERS)
    writer.writerows(table_rows(estimate))
    return buffer.getvalue()
