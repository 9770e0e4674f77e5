"""Materialise the app's example inputs from redistributable sources.

The photos come from scikit-image's bundled sample data (no download): ``astronaut``
(NASA, public domain) and ``camera`` (CC0, Lav Varshney). From them we derive a
moved/rescaled copy (a matching pair that should score high), and a short H.264 clip
(a slow pan and zoom over the astronaut) for the Video tab. See ``examples/README.md``.

Run ``python examples/make_examples.py`` (``make setup`` does); it only writes files that
are missing unless ``--force`` is given. The app calls :func:`ensure_examples` on start.
The eval photos in ``../shared/eval`` are never used here: they may not be redistributed.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent

# What each tab offers. Names are relative to this folder.
IMAGE_EXAMPLES = ["astronaut.jpg", "cameraman.jpg"]
# (first, second): a same-pose pair (should score high) and a different-pose pair.
MATCH_PAIRS = [("astronaut.jpg", "astronaut_moved.jpg"), ("astronaut.jpg", "cameraman.jpg")]
VIDEO_EXAMPLES = ["astronaut_pan.mp4"]

VIDEO_SIZE = 320  # square, even: H.264 with yuv420p needs even sides
VIDEO_FPS = 10
VIDEO_FRAMES = 20


def _astronaut() -> np.ndarray:
    from skimage import data  # dev dependency; the committed files need no scikit-image

    return data.astronaut()  # (512, 512, 3) RGB uint8


def _camera() -> np.ndarray:
    from skimage import data

    grey = data.camera()  # (512, 512) uint8
    return np.repeat(grey[:, :, None], 3, axis=2)


def moved_copy(image: np.ndarray) -> np.ndarray:
    """The same person smaller, turned 5 degrees and off-centre on a wider canvas.

    RGB uint8 (H, W, 3) -> RGB uint8 (480, 640, 3). A scale/translation/rotation
    invariant matcher should call this the same pose as the original.
    """
    source = Image.fromarray(image)
    small = source.resize((int(source.width * 0.8), int(source.height * 0.8)), Image.LANCZOS)
    turned = small.rotate(5, resample=Image.BICUBIC, expand=True, fillcolor=(200, 200, 200))
    canvas = Image.new("RGB", (640, 480), (200, 200, 200))
    canvas.paste(turned, (640 - turned.width - 20, (480 - turned.height) // 2))
    return np.asarray(canvas)


def pan_frames(image: np.ndarray) -> list[np.ndarray]:
    """A slow zoom-in with a sideways drift: RGB uint8 frames (VIDEO_SIZE, VIDEO_SIZE, 3)."""
    side = image.shape[0]
    frames = []
    for index in range(VIDEO_FRAMES):
        t = index / (VIDEO_FRAMES - 1)
        crop = int(side * (1.0 - 0.25 * t))  # zoom in to 75 %
        left = int((side - crop) * (0.5 + 0.5 * np.sin(np.pi * t) * 0.8))
        top = int((side - crop) * 0.3)
        window = Image.fromarray(image[top : top + crop, left : left + crop])
        frames.append(np.asarray(window.resize((VIDEO_SIZE, VIDEO_SIZE), Image.LANCZOS)))
    return frames


def write_jpeg(image: np.ndarray, path: Path) -> None:
    Image.fromarray(image).save(path, quality=88, optimize=True)


def write_mp4(frames: list[np.ndarray], path: Path, fps: int = VIDEO_FPS) -> None:
    """Encode RGB uint8 frames as H.264 yuv420p mp4 that browsers play (PyAV, no ffmpeg)."""
    import av

    with av.open(str(path), "w", options={"movflags": "+faststart"}) as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height = frames[0].shape[1], frames[0].shape[0]
        stream.pix_fmt = "yuv420p"
        stream.options = {"preset": "veryfast", "crf": "26"}
        for pixels in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def _recipes() -> dict[str, Callable[[Path], None]]:
    return {
        "astronaut.jpg": lambda path: write_jpeg(_astronaut(), path),
        "cameraman.jpg": lambda path: write_jpeg(_camera(), path),
        "astronaut_moved.jpg": lambda path: write_jpeg(moved_copy(_astronaut()), path),
        "astronaut_pan.mp4": lambda path: write_mp4(pan_frames(_astronaut()), path),
    }


def missing(folder: Path = HERE) -> list[str]:
    return [name for name in _recipes() if not (folder / name).is_file()]


def make_examples(folder: Path = HERE, force: bool = False) -> list[Path]:
    """Write the example files that are missing (all with ``force``); return those written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, recipe in _recipes().items():
        path = folder / name
        if path.is_file() and not force:
            continue
        partial = path.with_name(f".{name}.partial{path.suffix}")
        recipe(partial)
        partial.replace(path)  # atomic: a concurrent app start never sees half a file
        written.append(path)
        log.info("wrote %s (%d bytes)", path, path.stat().st_size)
    return written


def ensure_examples(folder: Path = HERE) -> bool:
    """Make missing examples if scikit-image is installed; True when all are present.

    Never raises: without the examples the app still works, it just offers none.
    """
    if not missing(folder):
        return True
    try:
        make_examples(folder)
    except ImportError as exc:
        log.warning("examples missing and cannot be made (%s); run `make setup`", exc)
    except Exception:
        log.exception("could not make the examples")
    return not missing(folder)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="rewrite files that exist")
    parser.add_argument("--out", type=Path, default=HERE, help="folder to write into")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    written = make_examples(args.out, force=args.force)
    print(f"{len(written)} written, {len(_recipes()) - len(written)} already present in {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
