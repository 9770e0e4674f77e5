"""Read and validate user images. Every failure is an :class:`InputError` with a message
fit to show a person; nothing here logs the content of user media."""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

# Refuse decompression bombs before decoding: 50 megapixels is more than any phone photo.
MAX_PIXELS = int(os.environ.get("POSE_MAX_PIXELS", 50_000_000))
MIN_SIDE = 16
# Larger photos are downscaled for inference; keypoints are reported in original pixels.
MAX_WORKING_SIDE = 4096


class InputError(ValueError):
    """The user's input cannot be used; the message says why and what to do."""


def _open(source: str | os.PathLike | bytes) -> Image.Image:
    if isinstance(source, bytes):
        if not source:
            raise InputError("The file is empty (0 bytes). Please upload an image.")
        stream: io.BytesIO | Path = io.BytesIO(source)
        name = "upload"
    else:
        stream = Path(source)
        name = stream.name
        if not stream.is_file():
            raise InputError(f"File not found: {name}.")
        if stream.stat().st_size == 0:
            raise InputError(f"{name} is empty (0 bytes). Please upload an image.")
    Image.MAX_IMAGE_PIXELS = None  # we check the size ourselves, with a clearer message
    try:
        image = Image.open(stream)
    except UnidentifiedImageError:
        raise InputError(
            f"{name} is not an image we can read. Use a JPEG, PNG, WebP, BMP or TIFF file."
        ) from None
    except OSError as exc:
        raise InputError(f"{name} could not be opened as an image ({exc}).") from None
    pixels = image.width * image.height
    if pixels > MAX_PIXELS:
        raise InputError(
            f"{name} is {image.width}x{image.height} pixels ({pixels / 1e6:.0f} MP); "
            f"the limit is {MAX_PIXELS / 1e6:.0f} MP. Please downscale it."
        )
    return image


def _to_rgb(image: Image.Image) -> Image.Image:
    """Any PIL mode (L, I;16, RGBA, P, CMYK, ...) -> RGB, composited on white if transparent."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        array = np.asarray(image, dtype=np.float64)
        peak = array.max() or 1.0
        image = Image.fromarray((array * (255.0 / peak)).astype(np.uint8), mode="L")
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB")


def load_image(source: str | os.PathLike | bytes | np.ndarray | Image.Image) -> np.ndarray:
    """Read an image from a path, bytes, PIL image or array -> RGB uint8 (H, W, 3).

    EXIF orientation is applied; grey, 16-bit, palette, RGBA and CMYK are converted.
    Raises :class:`InputError` for anything unusable.
    """
    if isinstance(source, np.ndarray):
        return validate_array(source)
    name = "upload" if isinstance(source, (bytes, Image.Image)) else Path(source).name
    image = source if isinstance(source, Image.Image) else _open(source)
    try:
        image.load()
        image = ImageOps.exif_transpose(image) or image
        rgb = np.asarray(_to_rgb(image), dtype=np.uint8)
    except (OSError, ValueError, SyntaxError) as exc:
        raise InputError(
            f"{name} is damaged or truncated and cannot be decoded ({exc}). "
            "Please upload the complete file."
        ) from None
    return validate_array(rgb)


def validate_array(image: np.ndarray) -> np.ndarray:
    """Check an in-memory image and return it as contiguous RGB uint8 (H, W, 3)."""
    array = np.asarray(image)
    if array.ndim == 2:
        array = np.repeat(array[:, :, None], 3, axis=2)
    if array.ndim != 3 or array.shape[2] not in (3, 4):
        raise InputError(f"Expected an RGB image, got an array of shape {array.shape}.")
    if array.shape[2] == 4:
        array = array[:, :, :3]
    if array.dtype != np.uint8:
        if np.issubdtype(array.dtype, np.floating) and array.max(initial=0) <= 1.0:
            array = array * 255.0
        array = np.clip(array, 0, 255).astype(np.uint8)
    height, width = array.shape[:2]
    if min(height, width) < MIN_SIDE:
        raise InputError(
            f"The image is {width}x{height} pixels; it needs at least {MIN_SIDE} pixels a side."
        )
    if height * width > MAX_PIXELS:
        raise InputError(
            f"The image is {width}x{height} pixels; the limit is {MAX_PIXELS / 1e6:.0f} MP."
        )
    return np.ascontiguousarray(array)
