"""The 3D view's figure, from made-up lifted people (no model)."""

import numpy as np
import pytest

from pose.body.landmarks import CONNECTIONS, LANDMARK_COLORS, Landmark
from pose.body.skeleton import JOINT_COLORS, Joint
from pose.pose3d.blazepose import Crop, Person3D
from pose.pose3d.plot import figure_3d, figure_from_json, scene_offsets


def person(hip_x_pixels: float, pixels_per_metre: float = 200.0) -> Person3D:
    rng = np.random.default_rng(int(hip_x_pixels))
    metres = rng.normal(scale=0.4, size=(33, 3))
    metres[[Landmark.LEFT_HIP, Landmark.RIGHT_HIP]] = (0.1, 0.0, 0.0), (-0.1, 0.0, 0.0)
    metres[Landmark.NOSE] = (0.0, -0.7, 0.0)  # the head above the hips (y down)
    landmarks = np.column_stack([metres, np.full(33, 0.9)])
    pixels = metres[:, :2] * pixels_per_metre + (hip_x_pixels, 300.0)
    image = np.column_stack([pixels, np.full(33, 0.9)])
    return Person3D(landmarks, image, 1.0, Crop((hip_x_pixels, 300.0), 400.0, 0.0))


def test_figure_has_each_person_coloured_as_in_2d_and_up_is_up():
    figure = figure_3d([person(100), None, person(500)])
    markers = [trace for trace in figure.data if trace.mode == "markers"]
    lines = [trace for trace in figure.data if trace.mode == "lines"]
    assert [trace.name for trace in markers] == ["person 1", "person 3"]  # None skipped
    assert len(markers[0].x) == 33
    right_shoulder = "#{:02x}{:02x}{:02x}".format(*JOINT_COLORS[Joint.R_SHOULDER])
    assert markers[0].marker.color[Landmark.RIGHT_SHOULDER] == right_shoulder
    assert {trace.line.color for trace in lines} == {
        "#{:02x}{:02x}{:02x}".format(*LANDMARK_COLORS[end]) for _, end in CONNECTIONS
    }
    # Every connection of both people drawn: two points and a break each.
    assert sum(len(trace.x) for trace in lines) == 2 * 3 * len(CONNECTIONS)
    # The head is up in the plot (z), though the model's y points down.
    nose, hip = markers[0].z[Landmark.NOSE], markers[0].z[Landmark.LEFT_HIP]
    assert nose > hip
    # Each person's number above their head, as in 2D.
    (tags,) = [trace for trace in figure.data if trace.mode == "text"]
    assert list(tags.text) == ["1", "3"]
    assert tags.z[0] > max(markers[0].z)


def test_the_view_starts_with_every_figure_whole():
    figure = figure_3d([person(100), person(900, pixels_per_metre=100)])
    scene = figure.layout.scene
    ratio = [scene.aspectratio.x, scene.aspectratio.y, scene.aspectratio.z]
    assert scene.aspectmode == "manual" and max(ratio) == pytest.approx(1.0)
    drawn = [trace for trace in figure.data if trace.mode in ("markers", "text")]
    for axis, values in (("x", "x"), ("y", "y"), ("z", "z")):
        low, high = getattr(scene, f"{axis}axis").range
        points = [v for trace in drawn for v in getattr(trace, values)]
        # Everything inside the box, with room to spare at both ends.
        assert low < min(points) and max(points) < high
    # The camera stands outside a box of that shape: farther than its farthest corner
    # (half the diagonal of a box whose longest side is 1).
    eye = np.array([scene.camera.eye.x, scene.camera.eye.y, scene.camera.eye.z])
    assert np.linalg.norm(eye) > 2 * np.linalg.norm(ratio) / 2


def pair(body: Person3D) -> tuple:
    return body.landmarks[:, :2], body.image_landmarks[:, :2], body.crop.centre[0]


def test_people_stand_apart_as_in_the_photo():
    near, far = person(100, pixels_per_metre=200), person(500, pixels_per_metre=100)
    offsets = scene_offsets([pair(near), pair(far)])
    assert offsets[:, 1:] == pytest.approx(np.zeros((2, 2)))
    # 100 px at 200 px/m is 0.5 m; 500 px at 100 px/m is 5 m: 4.5 m apart, centred.
    assert offsets[1, 0] - offsets[0, 0] == pytest.approx(4.5, rel=0.1)
    assert offsets[:, 0].sum() == pytest.approx(0.0, abs=1e-9)
    assert scene_offsets([]).shape == (0, 3)


def test_the_view_can_be_drawn_from_the_json_download():
    bodies = [person(100), person(500, pixels_per_metre=100)]
    people = []
    for body in bodies:
        keypoints = np.zeros((18, 3))
        keypoints[:, :2] = body.pixels.keypoints[:, :2]
        keypoints[:, 2] = 0.8
        entry = {"score": 1.0, "keypoints": keypoints.tolist()}
        entry.update(body.to_dict())
        people.append(entry)
    people.append({"score": 0.1, "keypoints": [[None, None, 0.0]] * 18, "landmarks3d": None})
    from_json = figure_from_json({"people": people, "width": 640, "height": 480})
    direct = figure_3d(bodies)
    markers = [[t for t in figure.data if t.mode == "markers"] for figure in (from_json, direct)]
    assert [t.name for t in markers[0]] == ["person 1", "person 2"]
    for a, b in zip(*markers, strict=True):
        # The same landmarks; placed a little differently (joints, not landmarks, set the scale).
        assert np.allclose(np.diff(a.x), np.diff(b.x), atol=1e-3)
        assert np.allclose(a.z, b.z, atol=1e-3)
    assert figure_from_json({"people": people[2:]}) is None
