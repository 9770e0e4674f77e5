"""A 3D view of lifted people that a user can turn: a Plotly figure (``gr.Plot`` shows it).

Coloured as the 2D drawing (:data:`pose.body.landmarks.LANDMARK_COLORS`: warm on the person's
right, cool on the left; each line in the colour of its outer end, as ``pose.output.draw`` does).
The figure's axes: x to the right and z up as in the photo, y away from the camera, so the
default view looks at people from where the camera stood.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from pose.body.landmarks import CONNECTIONS, LANDMARK_COLORS, Landmark
from pose.body.skeleton import Joint
from pose.pose3d.blazepose import Person3D

# Below this visibility a landmark's place is the model's guess: drawn, but listed as hidden.
SEEN = 0.5


def _hex(colour: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*colour)


def scene_offsets(pairs: Sequence[tuple[np.ndarray, np.ndarray, float]]) -> np.ndarray:
    """(N, 3) metres to add to each person so they stand side by side as in the photo.

    ``pairs``: per person, the same points in metres (K, 2) and in image pixels (K, 2), and
    the hips' x in pixels. Each person's hip x is divided by their own pixels per metre
    (fitted on those points), relative to the people's mean. Hips stay at one height, and
    depth is not known between people: those stay 0.
    """
    offsets = np.zeros((len(pairs), 3))
    if not pairs:
        return offsets
    places = []
    for metres, pixels, hips_x in pairs:
        metres = np.asarray(metres, dtype=np.float64)
        pixels = np.asarray(pixels, dtype=np.float64)
        spread = np.linalg.norm(metres - metres.mean(axis=0), axis=1).mean()
        pixel_spread = np.linalg.norm(pixels - pixels.mean(axis=0), axis=1).mean()
        per_metre = pixel_spread / spread if spread > 1e-6 else 1.0
        places.append(hips_x / max(per_metre, 1e-6))
    places = np.asarray(places)
    offsets[:, 0] = places - places.mean()
    return offsets


def figure_3d(bodies: Sequence[Person3D | None], labels: Sequence[str] | None = None):
    """A ``plotly.graph_objects.Figure`` of every lifted person (None entries are skipped;
    ``labels`` name them in the hover text, default "person 1", ...)."""
    labels = list(labels) if labels else [f"person {i}" for i in range(1, len(bodies) + 1)]
    shown = [(label, body) for label, body in zip(labels, bodies, strict=True) if body]
    hips = [Landmark.LEFT_HIP, Landmark.RIGHT_HIP]
    pairs = [(body.landmarks[:, :2], body.image_landmarks[:, :2],
              float(body.image_landmarks[hips, 0].mean())) for _, body in shown]  # fmt: skip
    return _figure([(label, body.landmarks) for label, body in shown], scene_offsets(pairs))


def figure_from_json(payload: dict):
    """The same figure from an estimate's JSON (``pose.output.export.estimate_dict`` with 3D): each
    person's ``landmarks3d``, placed by their ``joints3d`` against their 2D ``keypoints``.
    None when no person has 3D landmarks."""
    shown, pairs = [], []
    for number, person in enumerate(payload.get("people", []), start=1):
        if not person.get("landmarks3d"):
            continue
        joints = np.asarray(person["joints3d"], dtype=np.float64)
        keypoints = np.asarray(
            [[np.nan, np.nan, 0.0] if row[0] is None else row for row in person["keypoints"]],
            dtype=np.float64,
        )
        found = keypoints[:, 2] > 0
        if found.sum() < 2:
            continue
        hips = [Joint.R_HIP, Joint.L_HIP]
        hips_x = (
            float(np.nanmean(keypoints[hips, 0]))
            if found[hips].any()
            else float(np.nanmean(keypoints[found, 0]))
        )
        shown.append((f"person {number}", np.asarray(person["landmarks3d"], dtype=np.float64)))
        pairs.append((joints[found, :2], keypoints[found, :2], hips_x))
    return _figure(shown, scene_offsets(pairs)) if shown else None


def _figure(people: Sequence[tuple[str, np.ndarray]], offsets: np.ndarray):
    """Build the figure: ``people`` as (label, landmarks (33, >=3) metres), ``offsets`` (N, 3)."""
    import plotly.graph_objects as go  # only the 3D view needs Plotly

    figure = go.Figure()
    placed = [
        (label, _plot_points(landmarks, offset))
        for (label, landmarks), offset in zip(people, offsets, strict=True)
    ]
    for (label, plot), (_, landmarks) in zip(placed, people, strict=True):
        visibility = np.asarray(landmarks, dtype=np.float64)[:, 3]
        figure.add_trace(_marker_trace(go, label, plot, visibility))
    for colour, (x, y, z) in _limb_lines([plot for _, plot in placed]).items():
        figure.add_trace(
            go.Scatter3d(
                x=x,
                y=y,
                z=z,
                mode="lines",
                line={"color": colour, "width": 6},
                hoverinfo="skip",
                showlegend=False,
            )
        )
    tags = [_tag(label, plot) for label, plot in placed]
    if tags:
        figure.add_trace(_tag_trace(go, tags))
    everything = np.vstack([plot for _, plot in placed] + [np.array([p for _, p in tags])])
    figure.update_layout(**_layout(everything))
    return figure


def _plot_points(landmarks: np.ndarray, offset: np.ndarray) -> np.ndarray:
    """One person's landmarks (33, >=3) in metres, moved by ``offset`` (3,), as plot
    points (33, 3)."""
    xyz = np.asarray(landmarks, dtype=np.float64)[:, :3] + offset
    # Plot axes: x right, y away from the camera (the model's z), z up (minus its y).
    return np.column_stack([xyz[:, 0], xyz[:, 2], -xyz[:, 1]])


def _limb_lines(plots: Sequence[np.ndarray]) -> dict[str, list[list[float | None]]]:
    """Every person's limbs as one broken line per colour: colour -> [xs, ys, zs], each limb
    two points and a None (one trace per colour instead of one per limb and person)."""
    by_colour: dict[str, list[list[float | None]]] = {}
    for plot in plots:
        for start, end in CONNECTIONS:
            lines = by_colour.setdefault(_hex(LANDMARK_COLORS[end]), [[], [], []])
            for axis in range(3):
                lines[axis] += [float(plot[start, axis]), float(plot[end, axis]), None]
    return by_colour


def _marker_trace(go, label: str, plot: np.ndarray, visibility: np.ndarray):
    """One person's landmarks (``plot`` (33, 3)) as coloured markers named on hover."""
    return go.Scatter3d(
        # Plain lists: Plotly would send NumPy arrays as base64 typed arrays, which the
        # plotly.js that Gradio ships does not read (the markers did not show).
        x=plot[:, 0].tolist(),
        y=plot[:, 1].tolist(),
        z=plot[:, 2].tolist(),
        mode="markers",
        name=label,
        marker={"size": 3, "color": [_hex(c) for c in LANDMARK_COLORS]},
        text=[
            f"{label}: {mark.label}{'' if v >= SEEN else ' (hidden)'}"
            for mark, v in zip(Landmark, visibility, strict=True)
        ],
        hoverinfo="text",
        showlegend=False,
    )


def _tag_trace(go, tags: Sequence[tuple[str, tuple[float, float, float]]]):
    """Each person's number above their head, as the 2D drawing puts it."""
    return go.Scatter3d(
        x=[x for _, (x, _, _) in tags],
        y=[y for _, (_, y, _) in tags],
        z=[z for _, (_, _, z) in tags],
        mode="text",
        text=[text for text, _ in tags],
        textfont={"size": 18, "color": "#333333"},
        hoverinfo="skip",
        showlegend=False,
    )


def _layout(everything: np.ndarray) -> dict:
    """The figure's layout around ``everything`` drawn (K, 3 plot points)."""
    ranges, ratio = scene_box(everything)
    axis = {"showbackground": False, "zeroline": False, "title": {"text": ""}}
    return {
        "scene": {
            # The box around everyone (a margin added), its longest side 1: the camera below
            # then sees every figure whole from the start, heads and feet included.
            "aspectmode": "manual",
            "aspectratio": dict(zip("xyz", ratio, strict=True)),
            "xaxis": {**axis, "title": {"text": "x (m)"}, "range": ranges[0]},
            "yaxis": {**axis, "title": {"text": "depth (m)"}, "range": ranges[1]},
            "zaxis": {**axis, "title": {"text": "up (m)"}, "range": ranges[2]},
            # From where the camera stood (-y), a little above.
            "camera": {
                "eye": dict(zip("xyz", CAMERA_EYE, strict=True)),
                "up": {"x": 0, "y": 0, "z": 1},
            },
        },
        "margin": {"l": 0, "r": 0, "t": 0, "b": 0},
        "height": 480,
        "uirevision": "pose3d",  # keep the user's turn when the figure is redrawn
    }


# Where the view starts, in units of the scene box (its longest side 1): far enough that a
# box of any shape fits the view whole (a unit cube's corners are 0.87 from its centre).
CAMERA_EYE = (0.0, -2.2, 0.5)
MARGIN = 0.1  # of each side, around everything drawn


def scene_box(points: np.ndarray) -> tuple[list[list[float]], list[float]]:
    """The axis ranges ([low, high] per plot axis, metres) around ``points`` (K, 3) with a
    :data:`MARGIN`, at least 0.5 m a side, and their aspect ratio with the longest side 1."""
    low, high = np.nanmin(points, axis=0), np.nanmax(points, axis=0)
    centre = (low + high) / 2
    side = np.maximum((high - low) * (1 + 2 * MARGIN), 0.5)
    ranges = [[float(c - h / 2), float(c + h / 2)] for c, h in zip(centre, side, strict=True)]
    return ranges, [float(v) for v in side / side.max()]


def _tag(label: str, plot: np.ndarray) -> tuple[str, tuple[float, float, float]]:
    """A person's number ("person 2" -> "2") and where it goes: 0.15 m above the top of
    their head, over its middle. ``plot``: (33, 3) in plot axes."""
    text = label.rsplit(" ", 1)[-1] if label.startswith("person ") else label
    head = plot[: Landmark.RIGHT_EAR + 1]  # nose, eyes, ears
    return text, (
        float(head[:, 0].mean()),
        float(head[:, 1].mean()),
        float(plot[:, 2].max() + 0.15),
    )
