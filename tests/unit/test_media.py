"""pose.media.images: every bad input gets its own message; awkward but valid images are
converted.
"""

from __future__ import annotations

import ast
import importlib
import io
import logging
import os
import re
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFile

from pose.media import images as media
from pose.media.images import (
    MAX_PIXELS,
    MIN_SIDE,
    InputError,
    load_image,
    prune_old_files,
    validate_array,
    write_png_atomically,
)
from tests.helpers.bad_inputs import BAD_IMAGES, encoded, photo_array, png_bomb
from tests.helpers.paths import ROOT


@pytest.mark.parametrize("bad", BAD_IMAGES, ids=[bad.name for bad in BAD_IMAGES])
def test_bad_file_gets_its_message(bad, tmp_path, caplog):
    path = bad.write(tmp_path)
    with caplog.at_level(logging.DEBUG), pytest.raises(InputError) as caught:
        load_image(path)
    message = str(caught.value)
    assert bad.message in message
    assert message.startswith(bad.name) or message.startswith("The image")
    assert "\n" not in message and len(message) < 200
    assert not any(bad.name in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize("bad", BAD_IMAGES, ids=[bad.name for bad in BAD_IMAGES])
def test_bad_bytes_get_the_same_message(bad):
    with pytest.raises(InputError, match=re.escape(bad.message)):
        load_image(bad.make())


def test_input_error_is_a_value_error():
    assert issubclass(InputError, ValueError)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(InputError, match=r"File not found: gone\.jpg"):
        load_image(tmp_path / "gone.jpg")
    with pytest.raises(InputError, match="is a folder"):
        load_image(tmp_path)


def test_bomb_is_refused_before_any_pixel_is_decoded(tmp_path, monkeypatch):
    decoded = []
    original = ImageFile.ImageFile.load

    def spy(self):
        decoded.append(self.size)
        return original(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", spy)
    path = tmp_path / "bomb.png"
    path.write_bytes(png_bomb(8000, 8000))
    assert path.stat().st_size < 200_000  # tiny on disk, 64 MP decoded
    with pytest.raises(InputError, match="limit is 50 MP"):
        load_image(path)
    assert decoded == []
    # the spy does see decoding of an acceptable image
    load_image(encoded(photo_array(), "PNG"))
    assert decoded and set(decoded) == {(96, 64)}


def test_pixel_limit_is_the_documented_default():
    assert MAX_PIXELS == 50_000_000
    readme = (ROOT / "README.md").read_text()
    assert "50 MP" in readme


def test_truncated_images_are_never_decoded_partially():
    """Pillow's switch stays off: our code never sets it (gradio does not either)."""
    importlib.import_module("pose.cli")
    importlib.import_module("pose.photo.estimate")
    importlib.import_module("pose.video.process")

    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
    sources = [
        ROOT / "app.py",
        *(path for d in ("pose", "ui", "models") for path in ROOT.glob(f"{d}/**/*.py")),
    ]
    for path in sources:
        assert "LOAD_TRUNCATED_IMAGES" not in path.read_text() or path.name == "images.py"


def test_only_photo_formats_are_tried(tmp_path):
    # PPM is a real image format Pillow reads, but not one we accept.
    path = tmp_path / "picture.ppm"
    path.write_bytes(encoded(photo_array(), "PPM"))
    with pytest.raises(InputError, match="not an image we can read"):
        load_image(path)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "BMP", "TIFF", "GIF"])
def test_every_accepted_format_loads(fmt):
    array = photo_array(40, 30)
    image = load_image(encoded(array, fmt))
    assert image.shape == (30, 40, 3) and image.dtype == np.uint8
    if fmt in ("PNG", "BMP", "TIFF"):  # lossless
        assert np.array_equal(image, array)


def test_grayscale_becomes_three_equal_channels():
    grey = np.tile(np.arange(0, 256, 8, dtype=np.uint8), (20, 1))  # (20, 32)
    image = load_image(encoded(grey, "PNG"))
    assert image.shape == (20, 32, 3)
    assert np.array_equal(image[:, :, 0], grey) and np.array_equal(image[:, :, 2], grey)


def test_sixteen_bit_grey_keeps_its_brightness():
    sixteen = np.full((20, 20), 0x8000, dtype=np.uint16)
    sixteen[:, :10] = 0xFFFF
    with Image.open(io.BytesIO(encoded(sixteen, "PNG"))) as probe:
        assert probe.mode.startswith("I")
    image = load_image(encoded(sixteen, "PNG"))
    assert image[0, 0].tolist() == [255, 255, 255]
    assert image[0, 15].tolist() == [128, 128, 128]


def test_32_bit_and_float_images_are_stretched():
    values = np.linspace(0, 1000, 20 * 20, dtype=np.float32).reshape(20, 20)
    image = load_image(Image.fromarray(values, mode="F"))
    assert image[0, 0, 0] == 0 and image[-1, -1, 0] == 255
    ints = Image.fromarray((values * 100).astype(np.int32), mode="I")
    assert load_image(ints)[-1, -1, 0] == 255


def test_transparency_is_composited_on_white():
    rgba = np.zeros((20, 20, 4), dtype=np.uint8)
    rgba[:, :10] = (255, 0, 0, 255)  # left half opaque red, right half transparent
    image = load_image(encoded(rgba, "PNG"))
    assert image[5, 5].tolist() == [255, 0, 0]
    assert image[5, 15].tolist() == [255, 255, 255]


def test_palette_with_and_without_transparency():
    palette = Image.fromarray(photo_array(20, 20)).convert("P", palette=Image.Palette.ADAPTIVE)
    assert load_image(palette).shape == (20, 20, 3)
    palette.info["transparency"] = 0
    flat = load_image(encoded(np.asarray(palette), "PNG"))
    assert flat.shape == (20, 20, 3)
    transparent = Image.new("P", (20, 20), 0)
    transparent.putpalette([0, 0, 0] * 256)
    transparent.info["transparency"] = 0
    assert load_image(transparent)[0, 0].tolist() == [255, 255, 255]


def test_cmyk_jpeg_is_converted_not_rejected():
    buffer = io.BytesIO()
    Image.new("CMYK", (32, 32), (0, 255, 255, 0)).save(buffer, "JPEG", quality=95)
    image = load_image(buffer.getvalue())
    assert image.shape == (32, 32, 3)
    red, green, blue = image[16, 16].tolist()
    assert red > 240 and green < 15 and blue < 15


def test_one_bit_image_is_converted():
    bits = Image.fromarray(np.eye(20, dtype=bool))
    assert bits.mode == "1"
    image = load_image(bits)
    assert image[3, 3].tolist() == [255, 255, 255] and image[3, 4].tolist() == [0, 0, 0]


def _exif_photo(orientation: int) -> bytes:
    """A 60x30 landscape JPEG, left half red and right half blue, tagged with ``orientation``."""
    array = np.zeros((30, 60, 3), dtype=np.uint8)
    array[:, :30] = (255, 0, 0)
    array[:, 30:] = (0, 0, 255)
    image = Image.fromarray(array)
    exif = image.getexif()
    exif[0x0112] = orientation
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=95, exif=exif.tobytes())
    return buffer.getvalue()


def test_exif_orientation_is_honoured():
    upright = load_image(_exif_photo(1))
    assert upright.shape == (30, 60, 3)
    # Orientation 6: the camera was turned; the viewer rotates 90 degrees clockwise, so the
    # stored left (red) half ends up on top.
    turned = load_image(_exif_photo(6))
    assert turned.shape == (60, 30, 3)
    assert turned[10, 15, 0] > 200 and turned[10, 15, 2] < 60  # top: red
    assert turned[50, 15, 2] > 200 and turned[50, 15, 0] < 60  # bottom: blue
    # Orientation 8: rotated the other way, red at the bottom.
    other = load_image(_exif_photo(8))
    assert other[50, 15, 0] > 200 and other[10, 15, 2] > 200


def test_malformed_exif_does_not_cost_the_photo():
    data = bytearray(_exif_photo(6))
    start = data.index(b"Exif\x00\x00") + 6
    data[start : start + 8] = b"\xff" * 8  # break the TIFF header inside the EXIF block
    image = load_image(bytes(data))
    assert image.ndim == 3 and image.shape[2] == 3


def test_animated_gif_gives_its_first_frame():
    frames = [Image.new("RGB", (20, 20), colour) for colour in ((255, 0, 0), (0, 0, 255))]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:])
    image = load_image(buffer.getvalue())
    assert image[0, 0].tolist() == [255, 0, 0]


def test_exactly_min_side_is_accepted():
    assert load_image(encoded(photo_array(MIN_SIDE, MIN_SIDE), "PNG")).shape == (16, 16, 3)
    with pytest.raises(InputError, match="15x16 pixels"):
        load_image(encoded(photo_array(15, 16), "PNG"))


@pytest.mark.parametrize(
    ("array", "message"),
    [
        (np.zeros((20, 20, 2), np.uint8), "shape"),
        (np.zeros((20,), np.uint8), "shape"),
        (np.zeros((0, 0, 3), np.uint8), "0x0 pixels"),
        (np.zeros((10, 200, 3), np.uint8), "200x10 pixels"),
        (np.array([["a"] * 20] * 20), "dtype"),
    ],
)
def test_bad_arrays(array, message):
    with pytest.raises(InputError, match=re.escape(message)):
        validate_array(array)


def test_array_conversions():
    floats = np.full((20, 20, 3), 0.5, dtype=np.float32)
    assert validate_array(floats)[0, 0, 0] == 127
    rgba = np.zeros((20, 20, 4), dtype=np.uint8)
    rgba[..., 3] = 9
    assert validate_array(rgba).shape == (20, 20, 3)
    assert validate_array(np.ones((20, 20), dtype=bool))[0, 0].tolist() == [255] * 3
    wide = np.full((20, 20, 3), 1000, dtype=np.int32)
    assert validate_array(wide)[0, 0, 0] == 255
    nan = np.full((20, 20, 3), np.nan, dtype=np.float64)
    assert validate_array(nan)[0, 0, 0] == 0
    single = np.zeros((20, 20, 1), dtype=np.uint8)
    assert validate_array(single).shape == (20, 20, 3)
    assert validate_array(np.zeros((20, 20, 3), np.uint8)[::-1]).flags.c_contiguous


def test_media_logs_nothing_about_user_files(tmp_path, caplog):
    path = tmp_path / "private-holiday.jpg"
    path.write_bytes(encoded(photo_array(), "JPEG"))
    with caplog.at_level(logging.DEBUG):
        load_image(path)
        with pytest.raises(InputError):
            load_image(tmp_path / "private-missing.jpg")
    assert not [record for record in caplog.records if "private" in record.getMessage()]


LOG_METHODS = {"debug", "info", "warning", "error", "exception", "critical", "log"}
# pose/network/registry.py never sees a user's file (only arrays); it logs its own graph files'
# paths.
LOG_EXEMPT_FILES = {"registry.py"}


def test_no_logging_call_formats_user_media():
    """Static check: no logging call in the app or the package passes anything that names or
    holds user media (paths, file names, images, frames) as an argument."""
    suspicious = re.compile(r"path|name|image|frame|upload|file|video|pixels|source", re.I)
    offenders = []
    for path in [
        ROOT / "app.py",
        *sorted(ROOT.glob("pose/**/*.py")),
        *sorted(ROOT.glob("ui/*.py")),
    ]:
        source = path.read_text()
        for node in ast.walk(ast.parse(source)):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in LOG_METHODS
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id in ("log", "logger", "logging")
            ):
                continue
            arguments = [*node.args[1:], *(keyword.value for keyword in node.keywords)]
            for argument in arguments:
                text = ast.get_source_segment(source, argument) or ""
                counted = text.startswith("len(")  # a count, not the media itself
                if suspicious.search(text) and not counted and path.name not in LOG_EXEMPT_FILES:
                    offenders.append(f"{path.name}:{node.lineno}: {text}")
            if node.args and isinstance(node.args[0], ast.JoinedStr):
                offenders.append(f"{path.name}:{node.lineno}: f-string log message")
    assert offenders == [], "user media must not be logged (README: Limits and privacy)"


README_FRAGMENTS = [
    "not an image we can read",
    "empty (0 bytes)",
    "truncated",
    "damaged and cannot be decoded",
    "at least 16 pixels",
    "the limit is 50 MP",
    "too many pixels",
    "File not found",
    "is a folder",
    "colour mode",
]


def test_readme_documents_every_message():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Limits and privacy", 1)[1].split("\n## ", 1)[0]
    for fragment in README_FRAGMENTS:
        assert fragment in section, fragment
    source = Path(media.__file__).read_text()
    for fragment in README_FRAGMENTS:
        if not re.search(r"\d", fragment):  # numbers are formatted in from constants
            assert fragment in source, fragment


def test_prune_old_files_keeps_the_folder_bounded(tmp_path):
    old, new = tmp_path / "keypoints-old.json", tmp_path / "keypoints-new.json"
    old.write_text("{}")
    new.write_text("{}")
    (tmp_path / "sub").mkdir()
    stale = time.time() - 3600
    os.utime(old, (stale, stale))
    assert prune_old_files(tmp_path, 600) == 1
    assert not old.exists() and new.exists() and (tmp_path / "sub").is_dir()
    assert prune_old_files(tmp_path / "missing", 600) == 0


def test_png_is_written_atomically_under_its_content_hash(tmp_path):
    """Writers racing on the same picture never expose a partial file to readers."""
    picture = photo_array(400, 300, seed=3)
    first = write_png_atomically(picture, tmp_path)
    assert first.name == "image.png" and first.parent.parent == tmp_path
    expected = first.read_bytes()
    assert np.array_equal(np.asarray(Image.open(first)), picture)
    stop = threading.Event()
    seen: list[int] = []

    def read() -> None:
        while not stop.is_set():
            seen.append(len(first.read_bytes()))

    readers = [threading.Thread(target=read) for _ in range(2)]
    for thread in readers:
        thread.start()
    for _ in range(30):
        assert write_png_atomically(picture, tmp_path) == first
    stop.set()
    for thread in readers:
        thread.join()
    assert seen and set(seen) == {len(expected)}
    assert sorted(path.name for path in first.parent.iterdir()) == ["image.png"]  # no leftovers
