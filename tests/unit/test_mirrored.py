"""The landmark model's mirrored reading turned back and averaged (pure NumPy)."""

import numpy as np

from pose.body.landmarks import Landmark
from pose.pose3d.mirrored import average_readings, unmirror

L = Landmark


def reading(seed: int) -> tuple[np.ndarray, float, np.ndarray]:
    """Random model outputs: screen (39, 5) in a 256-pixel crop, presence, world (39, 3)."""
    rng = np.random.default_rng(seed)
    screen = np.column_stack([rng.uniform(0, 256, (39, 3)), rng.normal(0, 2, (39, 2))])
    return screen, 0.9, rng.normal(0, 0.3, (39, 3))


def test_left_and_right_swap_back_and_x_turns_back():
    screen, _, world = reading(0)
    back, world_back = unmirror(screen, world, 256)
    # What the mirrored crop calls the left shoulder is the person's right one.
    assert np.allclose(back[L.RIGHT_SHOULDER, 0], 256 - screen[L.LEFT_SHOULDER, 0])
    assert np.allclose(back[L.LEFT_ANKLE, 1], screen[L.RIGHT_ANKLE, 1])
    assert np.allclose(back[L.MOUTH_RIGHT, 3:], screen[L.MOUTH_LEFT, 3:])
    assert np.allclose(back[L.NOSE, 0], 256 - screen[L.NOSE, 0])
    assert np.allclose(back[33:, 0], 256 - screen[33:, 0])  # crop points are not swapped
    assert np.allclose(world_back[L.LEFT_HIP], world[L.RIGHT_HIP] * [-1, 1, 1])
    again, _ = unmirror(back, world_back, 256)
    assert np.allclose(again, screen)


def test_a_reading_averaged_with_its_exact_mirror_is_itself():
    screen, presence, world = reading(1)
    mirrored_screen, mirrored_world = unmirror(screen, world, 256)  # unmirror is its inverse
    mean = average_readings((screen, presence, world), (mirrored_screen, 0.7, mirrored_world), 256)
    assert np.allclose(mean[0], screen) and np.allclose(mean[2], world)
    assert np.isclose(mean[1], 0.8)


def test_the_more_visible_reading_weighs_more():
    screen, presence, world = reading(2)
    other = screen.copy()
    other[:, 0] += 10  # the mirrored reading puts every point 10 px further right...
    other[:, 3] = -8  # ...and calls them hidden
    flipped, flipped_world = unmirror(other, world, 256)
    mean, _, _ = average_readings(
        (screen, presence, world), (flipped, presence, flipped_world), 256
    )
    shift = mean[:, 0] - screen[:, 0]
    assert np.all(shift >= 0) and np.all(shift < 5)
