"""Every bad input through the launched app, as an API user sends it: each gets its specific
message in the client's exception, and a good request succeeds right after."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import numpy as np
import pytest
from gradio_client import handle_file
from PIL import Image

from tests.helpers.bad_inputs import BAD_IMAGES, bad_videos, encoded, photo_array, synthetic_video
from tests.helpers.paths import COCO_DIR, VIDEO_PATH

GOOD_PHOTO = COCO_DIR / "000000040083.jpg"


def endpoints(client) -> set[str]:
    return set(client.view_api(print_info=False, return_format="dict")["named_endpoints"])


def assert_still_serving(client) -> None:
    *_, summary = client.predict(
        handle_file(str(GOOD_PHOTO)), "fast", 0.1, api_name="/estimate_image"
    )
    assert summary.startswith("Found"), summary


def assert_refused(call, message: str) -> None:
    with pytest.raises(Exception) as caught:  # gradio_client.exceptions.AppError
        call()
    assert message in str(caught.value), str(caught.value)
    assert "verbose error reporting" not in str(caught.value)


# --- Image tab --------------------------------------------------------------------------


@pytest.mark.parametrize("bad", BAD_IMAGES, ids=[bad.name for bad in BAD_IMAGES])
def test_bad_image_gets_its_message_then_app_serves(client, tmp_path, bad):
    path = bad.write(tmp_path)
    assert_refused(
        lambda: client.predict(handle_file(str(path)), "fast", 0.1, api_name="/estimate_image"),
        bad.message,
    )
    assert_still_serving(client)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ((None, "fast", 0.1), "Please upload an image first."),
        ((GOOD_PHOTO, "huge", 0.1), "not in the list of choices"),
        ((GOOD_PHOTO, "fast", 5.0), "threshold must be a number from 0 to 1; got 5.0"),
        ((GOOD_PHOTO, "fast", -1.0), "threshold must be a number from 0 to 1; got -1.0"),
    ],
    ids=["no-image", "unknown-size", "threshold-too-high", "threshold-negative"],
)
def test_bad_image_arguments(client, arguments, message):
    image, size, threshold = arguments
    payload = handle_file(str(image)) if image else None
    assert_refused(
        lambda: client.predict(payload, size, threshold, api_name="/estimate_image"), message
    )
    assert_still_serving(client)


def _cmyk(path: Path) -> None:
    Image.fromarray(np.asarray(Image.open(GOOD_PHOTO))).convert("CMYK").save(path, "JPEG")


def _sixteen_bit_grey(path: Path) -> None:
    grey = np.asarray(Image.open(GOOD_PHOTO).convert("L"), dtype=np.uint16) * 257
    Image.fromarray(grey).save(path, "PNG")


def _rgba(path: Path) -> None:
    rgba = Image.open(GOOD_PHOTO).convert("RGBA")
    rgba.putalpha(200)
    rgba.save(path, "PNG")


def _palette(path: Path) -> None:
    Image.open(GOOD_PHOTO).convert("P", palette=Image.Palette.ADAPTIVE).save(path, "PNG")


def _exif_rotated(path: Path) -> None:
    # The photo stored on its side, with the EXIF tag that tells viewers to turn it back.
    image = Image.open(GOOD_PHOTO).transpose(Image.Transpose.ROTATE_90)
    exif = image.getexif()
    exif[0x0112] = 6
    image.save(path, "JPEG", quality=95, exif=exif.tobytes())


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("cmyk.jpg", _cmyk),
        ("grey16.png", _sixteen_bit_grey),
        ("transparent.png", _rgba),
        ("palette.png", _palette),
        ("rotated.jpg", _exif_rotated),
    ],
)
def test_awkward_but_valid_images_are_converted(client, tmp_path, name, make):
    path = tmp_path / name
    make(path)
    _, _, json_path, _, summary = client.predict(
        handle_file(str(path)), "fast", 0.1, api_name="/estimate_image"
    )
    assert summary.startswith("Found"), summary
    payload = json.loads(Path(json_path).read_text())
    width, height = Image.open(GOOD_PHOTO).size
    assert (payload["width"], payload["height"]) == (width, height)  # upright, as people see it


def test_a_large_photo_is_served_in_its_own_pixels(client, tmp_path):
    """Over the 4096 px working side: downscaled for the network, keypoints mapped back."""
    factor = 8
    width, height = Image.open(GOOD_PHOTO).size
    path = tmp_path / "large.jpg"
    Image.open(GOOD_PHOTO).resize((width * factor, height * factor)).save(path, quality=85)
    _, _, json_path, _, summary = client.predict(
        handle_file(str(path)), "fast", 0.1, api_name="/estimate_image"
    )
    assert summary.startswith("Found"), summary
    payload = json.loads(Path(json_path).read_text())
    assert (payload["width"], payload["height"]) == (width * factor, height * factor)
    xs = [x for person in payload["people"] for x, _, score in person["keypoints"] if score]
    assert max(xs) > width  # in the large photo's pixels, not the network's or the original's


def test_an_image_with_nobody_is_not_an_error(client, tmp_path):
    path = tmp_path / "empty-room.png"
    path.write_bytes(encoded(np.full((240, 320, 3), 180, dtype=np.uint8), "PNG"))
    _, table, json_path, _, summary = client.predict(
        handle_file(str(path)), "fast", 0.1, api_name="/estimate_image"
    )
    assert summary.startswith("No person found")
    assert json.loads(Path(json_path).read_text())["people"] == []
    assert not table["data"] or table["data"] == [[""] * len(table["headers"])]


def test_upload_over_max_file_size_is_refused_by_the_server(app_url, tmp_path):
    """gradio_client refuses it locally; a raw upload gets HTTP 413 from the server."""
    big = tmp_path / "big.jpg"
    with big.open("wb") as handle:
        handle.write(b"\xff\xd8")
        handle.truncate(50 * 1024 * 1024 + 1024)
    with big.open("rb") as handle:
        response = httpx.post(
            app_url + "gradio_api/upload", files={"files": ("big.jpg", handle)}, timeout=60
        )
    assert response.status_code == 413, response.text[:200]
    small = httpx.post(
        app_url + "gradio_api/upload",
        files={"files": ("ok.png", encoded(photo_array(), "PNG"))},
        timeout=60,
    )
    assert small.status_code == 200


# --- Video tab --------------------------------------------------------------------------

VIDEOS = bad_videos(VIDEO_PATH)


@pytest.mark.parametrize("bad", VIDEOS, ids=[bad.name for bad in VIDEOS])
def test_bad_video_gets_its_message_then_app_serves(client, tmp_path, bad):
    if "/estimate_video" not in endpoints(client):
        pytest.skip("the app has no /estimate_video endpoint yet")
    path = bad.write(tmp_path)
    assert_refused(
        lambda: client.predict(
            handle_file(str(path)), "fast", 0.1, 1, False, api_name="/estimate_video"
        ),
        bad.message,
    )
    assert_still_serving(client)


def test_no_video_then_a_good_video(client, tmp_path):
    if "/estimate_video" not in endpoints(client):
        pytest.skip("the app has no /estimate_video endpoint yet")
    assert_refused(
        lambda: client.predict(None, "fast", 0.1, 1, False, api_name="/estimate_video"),
        "Please upload a video first.",
    )
    clip = synthetic_video(tmp_path / "short.mp4", seconds=1, fps=4)
    video, json_path, _, _ = client.predict(
        handle_file(str(clip)), "fast", 0.1, 1, False, api_name="/estimate_video"
    )
    assert Path(video["video"] if isinstance(video, dict) else video).is_file()
    assert len(json.loads(Path(json_path).read_text())["frames"]) == 4


# --- Match tab --------------------------------------------------------------------------

OTHER_PHOTO = COCO_DIR / "000000000785.jpg"
NOTES = BAD_IMAGES[0]  # notes.txt
NOBODY = "nobody.png"


def _match_file(tmp_path: Path, which: str | Path | None):
    if which is None:
        return None
    if which == NOTES.name:
        return handle_file(str(NOTES.write(tmp_path)))
    if which == NOBODY:
        path = tmp_path / NOBODY
        path.write_bytes(encoded(np.full((240, 320, 3), 180, dtype=np.uint8), "PNG"))
        return handle_file(str(path))
    return handle_file(str(which))


MATCH_ROWS = [
    ("no-second-image", GOOD_PHOTO, None, {}, "Please provide both images."),
    ("no-first-image", None, GOOD_PHOTO, {}, "Please provide both images."),
    ("second-not-an-image", GOOD_PHOTO, NOTES.name, {}, "notes.txt is not an image we can read"),
    ("nobody-in-second", GOOD_PHOTO, NOBODY, {}, "No person found in image 2"),
    ("no-such-person", GOOD_PHOTO, OTHER_PHOTO, {"person2": 9}, "person number must be 1 to"),
]


@pytest.mark.parametrize(
    ("first", "second", "options", "message"),
    [row[1:] for row in MATCH_ROWS],
    ids=[row[0] for row in MATCH_ROWS],
)
def test_bad_match_input_gets_its_message_then_app_serves(
    client, tmp_path, first, second, options, message
):
    if "/match_images" not in endpoints(client):
        pytest.skip("the app has no /match_images endpoint yet")
    one, two = _match_file(tmp_path, first), _match_file(tmp_path, second)
    assert_refused(lambda: client.predict(one, two, **options, api_name="/match_images"), message)
    assert_still_serving(client)


def test_a_good_match_right_after_the_bad_ones(client):
    if "/match_images" not in endpoints(client):
        pytest.skip("the app has no /match_images endpoint yet")
    result = client.predict(
        handle_file(str(GOOD_PHOTO)), handle_file(str(OTHER_PHOTO)), api_name="/match_images"
    )
    payload = result[-1]
    assert 0 <= payload["similarity"] <= 100


# --- Privacy ----------------------------------------------------------------------------


def test_the_server_log_names_no_upload(client, tmp_path_factory):
    """Runs after the tables above: none of the uploaded file names reached the app's log."""
    logs = list(tmp_path_factory.getbasetemp().glob("app*/app.log"))
    if not logs:
        pytest.skip("the app fixture's log is not where conftest puts it")
    text = "\n".join(log.read_text(errors="replace") for log in logs)
    assert "Running on local URL" in text  # the right file
    names = [bad.name for bad in BAD_IMAGES] + [bad.name for bad in VIDEOS]
    names += ["cmyk.jpg", "grey16.png", "transparent.png", "rotated.jpg", "empty-room.png", NOBODY]
    leaked = [name for name in names if name in text]
    assert leaked == [], leaked
