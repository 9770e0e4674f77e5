"""Shared fixtures (the eval data, the real model, a launched app) and the tier markers.

A test's tier is the folder it lives in: ``unit`` (pure, seconds), ``model`` (runs the real
graph), ``app`` (launches the app, calls it through gradio_client) and ``browser`` (drives
headless Chromium). Each folder's tests get the marker of that name, so ``-m "not browser"``
and friends select by tier; helpers shared by tests live in ``tests/helpers``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.helpers.clips import make_clip
from tests.helpers.paths import coco_ground_truth
from tests.helpers.server import launched_app

TIERS = ("unit", "model", "app", "browser")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    tests_dir = Path(__file__).parent
    for item in items:
        tier = Path(item.path).relative_to(tests_dir).parts[0]
        if tier in TIERS:
            item.add_marker(getattr(pytest.mark, tier))


@pytest.fixture(scope="session")
def coco() -> dict[str, list[dict]]:
    return coco_ground_truth()


@pytest.fixture(scope="session")
def model():
    from pose.network.registry import get_model

    return get_model()


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    """A six-frame H.264 clip of the COCO eval photos at 320x240."""
    return make_clip(tmp_path_factory.mktemp("clips") / "people.mp4")


@pytest.fixture(scope="module")
def empty_photo(tmp_path_factory) -> Path:
    """A colour gradient: an image with no person in it."""
    y, x = np.mgrid[0:240, 0:320]
    pixels = np.stack([x * 255 // 320, y * 255 // 240, np.full_like(x, 128)], axis=-1)
    path = tmp_path_factory.mktemp("match") / "empty.png"
    Image.fromarray(pixels.astype(np.uint8)).save(path)
    return path


@pytest.fixture(scope="session")
def app_url(tmp_path_factory) -> str:
    """Launch the real app (``python app.py``) on a free port; yield its URL."""
    with launched_app(tmp_path_factory.mktemp("app") / "app.log") as (url, _):
        yield url


@pytest.fixture(scope="session")
def client(app_url):
    from gradio_client import Client

    return Client(app_url, verbose=False)
