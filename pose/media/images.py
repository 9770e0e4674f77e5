"""Read and validate user images: the one place where image uploads are checked.

Every failure is an :class:`InputError` (a ``ValueError``) whose message is fit to show a
person: it says what is wrong and what to do. The app turns it into ``gr.Error``, the CLI
into one ``error: ...`` line. Nothing here logs file names or the content of user media.
Videos are checked by :func:`pose.video.process.open_video`, raising the same :class:`InputError`.

Images come back as RGB uint8 arrays of shape (H, W, 3).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import io
import logging
import os
import re
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

log = logging.getLogger(__name__)

# Refuse decompression bombs before decoding: 50 megapixels is more than any phone photo,
# and its RGB array alone is 150 MB.
MAX_PIXELS = int(os.environ.get("POSE_MAX_PIXELS", 50_000_000))
MIN_SIDE = 16
# Larger photos are downscaled for inference; keypoints are reported in original pixels.
MAX_WORKING_SIDE = 4096

# Only these decoders are ever tried. Pillow can open many more (EPS would start
# Ghostscript, for one); a photo app needs none of them. (JPEG covers MPO too.)
IMAGE_FORMATS = ("JPEG", "PNG", "WEBP", "BMP", "GIF", "TIFF")
FORMAT_HINT = "Use a JPEG, PNG, WebP, BMP, GIF or TIFF file."

# A truncated file is refused, never decoded partially with a grey tail: Pillow's
# LOAD_TRUNCATED_IMAGES stays off (its default); tests check that nothing turns it on.
# That catches a file that stops early, but not a JPEG whose data ends early and is then
# closed by an end marker (or one whose header only claims to be large): libjpeg warns
# "premature end of data segment" and fills the rest with grey, and Pillow hides the
# warning. FFmpeg's JPEG decoder reports it as an error; it runs first (see _jpeg_problem).

# A live frame is a webcam JPEG or PNG of a few tens of KB; a browser never sends more.
MAX_FRAME_BYTES = int(os.environ.get("POSE_MAX_FRAME_BYTES", 8_000_000))

_ORIENTATION = 0x0112  # the EXIF tag
_SIXTEEN_BIT_MODES = ("I;16", "I;16B", "I;16L", "I;16N")


class InputError(ValueError):
    """The user's input cannot be used; the message says why and what to do."""


# --- Images -----------------------------------------------------------------------------


def load_image(
    source: str | os.PathLike | bytes | np.ndarray | Image.Image, name: str | None = None
) -> np.ndarray:
    """Read an image from a path, bytes, PIL image or array -> RGB uint8 (H, W, 3).

    The pixel limit is checked from the header, before any pixel is decoded. EXIF
    orientation is applied; grey, 16-bit, palette, RGBA and CMYK images are converted
    (transparency composited on white). Raises :class:`InputError` for anything unusable;
    messages name the file, or ``name`` ("The upload" for bytes).
    """
    if isinstance(source, np.ndarray):
        return validate_array(source)
    if isinstance(source, Image.Image):
        return _decode(source, "The image")
    found_name, stream = _stream(source)
    name = name or found_name
    image = _open(stream, name)
    with image:
        if image.format in ("JPEG", "MPO"):
            problem = _jpeg_problem(stream, image.width, image.height)
            if problem:
                raise InputError(
                    f"{name} is truncated: {problem}. Please upload the complete file."
                )
        return _decode(image, name)


def load_frame(frame: str | os.PathLike | bytes | np.ndarray | Image.Image) -> np.ndarray:
    """A live (webcam) frame -> RGB uint8 (H, W, 3), checked like an uploaded image.

    Frames come encoded (a file, bytes, or the ``data:`` URL the browser sent, see
    :func:`data_url_bytes`) and are checked before decoding, or as an already decoded array
    (grey, RGB or RGBA, any numeric dtype) checked by :func:`validate_array`. The same
    limits and messages as the Image tab; encoded frames are also held to
    :data:`MAX_FRAME_BYTES`.
    """
    if isinstance(frame, str) and frame.startswith("data:"):
        frame = data_url_bytes(frame)
    if isinstance(frame, bytes) and len(frame) > MAX_FRAME_BYTES:
        raise InputError(
            f"The frame is {len(frame) / 1e6:.1f} MB; a live frame may be at most "
            f"{MAX_FRAME_BYTES / 1e6:.0f} MB. Send camera frames, or use the Image tab."
        )
    if isinstance(frame, (str, os.PathLike)) and not isinstance(frame, bytes):
        path = Path(frame)
        if path.is_file() and path.stat().st_size > MAX_FRAME_BYTES:
            raise InputError(
                f"The frame is {path.stat().st_size / 1e6:.1f} MB; a live frame may be at "
                f"most {MAX_FRAME_BYTES / 1e6:.0f} MB. Send camera frames, or use the Image tab."
            )
    return load_image(frame, "The frame" if isinstance(frame, bytes) else None)


def data_url_bytes(url: str) -> bytes:
    """The bytes of a base64 ``data:`` URL (as browsers send webcam frames).

    Raises :class:`InputError` for anything else; the message never quotes the data.
    """
    header, comma, payload = url.partition(",")
    if not comma or not header.startswith("data:") or not header.endswith(";base64"):
        raise InputError("The frame is not an image data URL. Send a JPEG or PNG frame.")
    if len(payload) > MAX_FRAME_BYTES * 4 // 3 + 4:
        raise InputError(
            f"The frame is over {MAX_FRAME_BYTES / 1e6:.0f} MB; a live frame may be at most "
            "that. Send camera frames, or use the Image tab."
        )
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise InputError(
            "The frame's data is not valid base64. Send a JPEG or PNG frame."
        ) from None


def _jpeg_problem(stream: io.BytesIO | Path, width: int, height: int) -> str | None:
    """Why a JPEG's data cannot fill the ``width`` x ``height`` picture its header claims,
    or ``None`` when it is complete.

    FFmpeg's JPEG decoder with ``err_detect=explode`` fails where libjpeg would only warn
    (premature end of data, a scan cut short). It decodes at 1/8 scale (``lowres``), which
    still reads every coefficient but allocates 1/64 of the picture: a 2 KB file claiming
    7000x7000 costs 0.8 MB, not 150. On a 12 MP photo it takes about a third of Pillow's
    full decode. Only data errors count: a JPEG variant FFmpeg does not support (arithmetic
    coding, say) is left to Pillow.
    """
    import av  # here, not at the top: only JPEG uploads need it

    data = stream.getvalue() if isinstance(stream, io.BytesIO) else stream.read_bytes()
    codec = av.CodecContext.create("mjpeg", "r")
    codec.options = {"err_detect": "explode", "lowres": "3"}
    try:
        codec.decode(av.Packet(data))
        codec.decode(None)
    except av.InvalidDataError:
        return f"its header says {width}x{height} pixels but its data ends before the picture does"
    except av.FFmpegError:
        return None
    return None


def _stream(source: str | os.PathLike | bytes) -> tuple[str, io.BytesIO | Path]:
    """(name for messages, something Pillow can open); refuses missing and empty files."""
    if isinstance(source, bytes):
        if not source:
            raise InputError("The file is empty (0 bytes). Please upload an image.")
        return "The upload", io.BytesIO(source)
    path = Path(source)
    name = path.name or "The file"
    if path.is_dir():
        raise InputError(f"{name} is a folder, not an image file.")
    if not path.is_file():
        raise InputError(f"File not found: {name}.")
    if path.stat().st_size == 0:
        raise InputError(f"{name} is empty (0 bytes). Please upload an image.")
    return name, path


def _open(stream: io.BytesIO | Path, name: str) -> Image.Image:
    """Read the header only (Pillow decodes lazily) and check the pixel count."""
    Image.init()  # registers every plugin (once), so the names in IMAGE_FORMATS resolve
    try:
        image = Image.open(stream, formats=IMAGE_FORMATS)
    except UnidentifiedImageError:
        raise InputError(f"{name} is not an image we can read. {FORMAT_HINT}") from None
    except Image.DecompressionBombError as exc:
        # Pillow's own limit (above ours unless POSE_MAX_PIXELS is raised) struck first;
        # its message carries the pixel count, but not the width and height.
        found = re.search(r"\((\d+) pixels\)", str(exc))
        size = f" ({int(found.group(1)) / 1e6:.0f} MP)" if found else ""
        raise InputError(
            f"{name} has too many pixels{size}; the limit is {MAX_PIXELS / 1e6:.0f} MP. "
            "Please downscale it."
        ) from None
    except OSError as exc:
        raise _damaged(name, exc) from None
    pixels = image.width * image.height
    if pixels > MAX_PIXELS:
        image.close()
        raise InputError(
            f"{name} is {image.width}x{image.height} pixels ({pixels / 1e6:.0f} MP); "
            f"the limit is {MAX_PIXELS / 1e6:.0f} MP. Please downscale it."
        )
    return image


def _damaged(name: str, exc: BaseException) -> InputError:
    if "truncated" in str(exc).lower():
        return InputError(
            f"{name} is truncated: the file ends before the image does. "
            "Please upload the complete file."
        )
    return InputError(f"{name} is damaged and cannot be decoded. Please upload another file.")


def _decode(image: Image.Image, name: str) -> np.ndarray:
    if image.width * image.height > MAX_PIXELS:
        raise InputError(
            f"{name} is {image.width}x{image.height} pixels; "
            f"the limit is {MAX_PIXELS / 1e6:.0f} MP. Please downscale it."
        )
    try:
        image.load()  # animated GIF/WebP and multi-page TIFF: the first frame
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        raise _damaged(name, exc) from None
    image = _upright(image)
    try:
        rgb = _to_rgb(image)
    except (OSError, ValueError) as exc:
        if "truncated" in str(exc).lower():
            raise _damaged(name, exc) from None
        raise InputError(
            f"{name} uses a colour mode ({image.mode}) we cannot convert. "
            "Please save it as an RGB JPEG or PNG."
        ) from None
    return validate_array(np.asarray(rgb, dtype=np.uint8))


def _upright(image: Image.Image) -> Image.Image:
    """Apply the EXIF orientation, so keypoints match the photo as people see it."""
    try:
        # Upright already (webcam frames, most photos): no copy. exif_transpose would copy
        # the whole picture even then, a third of a live frame's decoding time.
        if image.getexif().get(_ORIENTATION, 1) == 1:
            return image
        return ImageOps.exif_transpose(image) or image
    except Exception:  # malformed EXIF must not cost the user their photo
        log.debug("ignoring unreadable EXIF orientation")
        return image


def _to_rgb(image: Image.Image) -> Image.Image:
    """Any PIL mode (1, L, I;16, I, F, LA, P, PA, RGBA, CMYK, YCbCr, ...) -> RGB.

    16-bit grey keeps its brightness (high byte); 32-bit int and float images are
    stretched to their own peak, as they have no fixed white. Transparency is
    composited on white, since the network never saw alpha.
    """
    if image.mode in _SIXTEEN_BIT_MODES:
        image = Image.fromarray((np.asarray(image, dtype=np.uint32) >> 8).astype(np.uint8))
    elif image.mode in ("I", "F"):
        array = np.nan_to_num(np.asarray(image, dtype=np.float64))
        array -= min(array.min(initial=0.0), 0.0)
        peak = array.max(initial=0.0)
        if image.mode == "I" and peak <= 65535 and peak > 255:
            peak = 65535.0  # a 16-bit image Pillow widened to 32 bits
        scale = 255.0 / peak if peak > 0 else 0.0
        image = Image.fromarray(np.clip(array * scale, 0, 255).astype(np.uint8))
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        image.mode == "P" and "transparency" in image.info
    ):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image if image.mode == "RGB" else image.convert("RGB")  # convert would copy


def validate_array(image: np.ndarray) -> np.ndarray:
    """Check an in-memory image and return it as contiguous RGB uint8 (H, W, 3).

    Accepts (H, W) grey, (H, W, 3) RGB and (H, W, 4) RGBA (alpha dropped); float arrays
    in 0-1 are scaled to 0-255, other numbers clipped to 0-255.
    """
    array = np.asarray(image)
    floating = np.issubdtype(array.dtype, np.floating)
    if not (np.issubdtype(array.dtype, np.number) or array.dtype == np.bool_):
        raise InputError(f"Expected an image array of numbers, got dtype {array.dtype}.")
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.ndim == 2:
        array = np.repeat(array[:, :, None], 3, axis=2)
    if array.ndim != 3 or array.shape[2] not in (3, 4):
        raise InputError(f"Expected an RGB image, got an array of shape {array.shape}.")
    height, width = array.shape[:2]
    if min(height, width) < MIN_SIDE:
        raise InputError(
            f"The image is {width}x{height} pixels; it needs at least {MIN_SIDE} pixels a side."
        )
    if height * width > MAX_PIXELS:
        raise InputError(
            f"The image is {width}x{height} pixels; the limit is {MAX_PIXELS / 1e6:.0f} MP."
        )
    if array.shape[2] == 4:
        array = array[:, :, :3]
    if array.dtype == np.bool_:
        array = array.astype(np.uint8) * 255
    elif array.dtype != np.uint8:
        array = np.nan_to_num(array.astype(np.float32, copy=False))
        if floating and array.max(initial=0) <= 1.0:
            array = array * 255.0
        array = np.clip(array, 0, 255).astype(np.uint8)
    return np.ascontiguousarray(array)


# --- Numbers -------------------------------------------------------------------------------


def number_input(
    value: object, label: str, low: float, high: float, *, whole: bool = False
) -> float:
    """An API argument that must be a number in [low, high] (a whole one if ``whole``).

    Programs may send anything ("abc", None, a list); the message names the input and the
    range, and quotes at most 20 characters of what came.
    """
    kind = "a whole number" if whole else "a number"
    shown = repr(value)
    shown = shown if len(shown) <= 20 else shown[:17] + "..."
    problem = InputError(f"{label} must be {kind} from {low:g} to {high:g}; got {shown}.")
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise problem
    try:
        number = float(value)
    except ValueError:
        raise problem from None
    if not low <= number <= high or (whole and number != int(number)):
        raise problem
    return number


# --- Housekeeping -------------------------------------------------------------------------


def prune_old_files(folder: str | os.PathLike, max_age_s: float) -> int:
    """Delete files in ``folder`` (not below it) last modified more than ``max_age_s`` ago.

    Keeps a scratch folder from growing without bound; files another process removes
    first are skipped. Returns how many files were deleted.
    """
    cutoff = time.time() - max_age_s
    deleted = 0
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return 0
    for entry in entries:
        try:
            if entry.is_file(follow_symlinks=False) and entry.stat().st_mtime < cutoff:
                os.unlink(entry.path)
                deleted += 1
        except FileNotFoundError:
            continue
    return deleted


def write_png_atomically(image: np.ndarray, folder: str | os.PathLike) -> Path:
    """Save an RGB uint8 (H, W, 3) image as ``folder/<sha256 of the PNG>/image.png``.

    The same picture always lands on the same path, and is written under a temporary
    name and renamed into place: a reader never sees a half-written file even when two
    requests produce the same picture at the same moment.
    """
    buffer = io.BytesIO()
    # zlib level 1 instead of PIL's default 6: on a 640x429 photo 22 ms instead of 56 (best
    # of 9; medians under load 28 against 154) for a file 6 % larger, and still lossless.
    # Encoding the answer took longer than the model (benchmarks/speed.py, app section).
    Image.fromarray(np.ascontiguousarray(image)).save(buffer, "PNG", compress_level=1)
    data = buffer.getvalue()
    target_dir = Path(folder) / hashlib.sha256(data).hexdigest()
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / "image.png"
    handle, staging = tempfile.mkstemp(dir=target_dir, prefix=".image.", suffix=".png")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(staging, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(staging)
        raise
    return target
