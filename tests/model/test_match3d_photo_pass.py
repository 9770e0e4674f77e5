"""Match 3D compares the 3D bodies the photo pass read (pose.pose3d.people.estimate_people's
landmark run), not the chosen pair lifted a second time: in the Match tab and on the command
line."""

from __future__ import annotations

import json

import pytest

import pose.pose3d.blazepose as blazepose
import ui.match as match_tab
from pose.match import match
from pose.media.images import load_image
from pose.pose3d.people import estimate_people
from tests.helpers.cli import run_cli
from tests.helpers.paths import EVAL_DIR

H36M = EVAL_DIR / "3d" / "h36m"
WALKING = H36M / "S8_WalkDog_1.55011271_000026.jpg"
GREETING = H36M / "S7_Greeting.55011271_000396.jpg"


@pytest.fixture
def lifts(monkeypatch) -> list[int]:
    """Counts the people lifted outside the photo pass (pose.pose3d.blazepose.lift), which
    still runs."""
    calls: list[int] = []
    real = blazepose.lift

    def counted(image, people, *args, **kwargs):
        calls.append(len(people))
        return real(image, people, *args, **kwargs)

    monkeypatch.setattr(blazepose, "lift", counted)
    return calls


def test_the_match_tab_compares_the_bodies_of_the_photo_pass(monkeypatch, lifts):
    monkeypatch.setattr(match_tab, "PEOPLE", match_tab.PeopleCache())
    *_, payload = match_tab.match_images(str(WALKING), str(GREETING), "3d", False, 1, 1)
    assert payload["method"] == "3d"
    assert lifts == []  # nobody lifted again
    bodies = [estimate_people(load_image(path)).numbered()[1][0] for path in (WALKING, GREETING)]
    assert all(body is not None for body in bodies)
    expected = match(bodies[0], bodies[1], method="3d")
    assert payload["similarity"] == pytest.approx(expected.similarity, abs=0.05)
    # The fast mode reads no bodies: the chosen pair is lifted then, as before.
    *_, fast = match_tab.match_images(str(WALKING), str(GREETING), "3d", False, 1, 1, "fast")
    assert fast["method"] == "3d" and sum(lifts) == 2


def test_the_command_line_compares_the_bodies_of_the_photo_pass():
    done = run_cli("match", str(WALKING), str(GREETING), "--method", "3d", "--json")
    assert done.returncode == 0, done.stderr
    payload = json.loads(done.stdout)
    bodies = [estimate_people(load_image(path)).numbered()[1][0] for path in (WALKING, GREETING)]
    expected = match(bodies[0], bodies[1], method="3d")
    assert payload["similarity"] == pytest.approx(expected.similarity, abs=0.05)
