"""The Match tab finds each photo's people once: Compare reuses what the preview found."""

import os
import shutil

import pytest

import ui.match as match_tab
from tests.helpers.paths import COCO_DIR

PHOTOS = sorted(COCO_DIR.glob("*.jpg"))


@pytest.fixture
def counted(monkeypatch) -> list[str]:
    """Calls of the photo estimator (the real one runs), by mode."""
    calls: list[str] = []
    real = match_tab.estimate_people

    def counting(pixels, mode, *args, **kwargs):
        calls.append(mode)
        return real(pixels, mode, *args, **kwargs)

    monkeypatch.setattr(match_tab, "estimate_people", counting)
    monkeypatch.setattr(match_tab, "PEOPLE", match_tab.PeopleCache(size=2))
    return calls


def keypoints(people) -> list:
    return [person.keypoints.tolist() for person in people]


def test_the_same_file_and_mode_are_found_once(tmp_path, counted):
    photo = tmp_path / "photo.jpg"
    shutil.copy(PHOTOS[0], photo)
    _, first = match_tab.find_people(str(photo), "fast")
    _, again = match_tab.find_people(str(photo), "fast")
    assert counted == ["fast"] and first and keypoints(again) == keypoints(first)
    match_tab.find_people(str(photo), "accurate")  # another mode: found anew
    assert counted == ["fast", "accurate"]


def test_a_changed_file_is_found_anew_and_old_entries_make_room(tmp_path, counted):
    photo = tmp_path / "photo.jpg"
    shutil.copy(PHOTOS[0], photo)
    _, before = match_tab.find_people(str(photo), "fast")
    shutil.copy(PHOTOS[1], photo)
    stat = os.stat(photo)
    os.utime(photo, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    _, after = match_tab.find_people(str(photo), "fast")
    assert counted == ["fast", "fast"] and keypoints(after) != keypoints(before)
    for path in PHOTOS[2:4]:  # two more files: the cache holds two
        match_tab.find_people(str(path), "fast")
    match_tab.find_people(str(photo), "fast")
    assert counted == ["fast"] * 5
