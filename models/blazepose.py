"""Fetch MediaPipe's BlazePose GHUM models (the 3D pose landmark model) and verify them.

Both files ship inside the ``mediapipe==0.10.14`` wheel on the package index (Apache-2.0).
We download that wheel with pip (only the package registry is needed), extract just the two
``.tflite`` members, check their SHA-256 and cache them next to this file. The mediapipe
package itself is never installed or imported: ``pose.pose3d.blazepose`` runs the landmark model on
LiteRT like the OpenPose graph.

Run ``python -m models.blazepose`` (``make setup`` does) or call :func:`ensure_models`.
``pose.pose3d.blazepose`` starts this module in a subprocess when the landmark model is missing, so
the runtime never imports anything from ``models/``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from models.pip_download import pip_download

log = logging.getLogger(__name__)

FOLDER = Path(__file__).resolve().parent
WHEEL = "mediapipe==0.10.14"
# The wheel's content is the same for every platform that has one; pin one so pip on any
# machine picks the same file.
PIP_ARGS = (
    "--no-deps", "--only-binary", ":all:", "--python-version", "3.11",
    "--platform", "manylinux_2_17_x86_64",
)  # fmt: skip


@dataclass(frozen=True)
class ModelFile:
    """One file to take out of the wheel: its member path, SHA-256 and cache name."""

    name: str
    member: str
    sha256: str


LANDMARK = ModelFile(
    "pose_landmark_full.tflite",
    "mediapipe/modules/pose_landmark/pose_landmark_full.tflite",
    "e9a5c5cb17f736fafd4c2ec1da3b3d331d6edbe8a0d32395855aeb2cdfd64b9f",
)
# The person detector: the accurate photo mode reads each person's rotation from it
# (pose.person_detector; docs/accuracy.md). Videos and the webcam do not use it.
DETECTOR = ModelFile(
    "pose_detection.tflite",
    "mediapipe/modules/pose_detection/pose_detection.tflite",
    "9ba9dd3d42efaaba86b4ff0122b06f29c4122e756b329d89dca1e297fd8f866c",
)
FILES = (LANDMARK, DETECTOR)


class BlazePoseFetchError(RuntimeError):
    """The wheel could not be downloaded or a model failed its hash check."""


def sha256_of(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def is_verified(path: Path, model: ModelFile) -> bool:
    return path.is_file() and sha256_of(path) == model.sha256


def _download_wheel(workdir: Path) -> Path:
    """The mediapipe wheel (for the pinned platform, see :data:`PIP_ARGS`)."""
    return pip_download(WHEEL, PIP_ARGS, workdir, "mediapipe-*.whl", BlazePoseFetchError)


def extract(wheel: Path, models: tuple[ModelFile, ...], folder: Path) -> list[Path]:
    """Copy ``models`` out of ``wheel`` into ``folder`` after checking each one's hash.

    Each file is written under a temporary name and renamed, so a reader never sees half a
    file and a file that fails its check never lands.
    """
    written = []
    folder.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(wheel) as archive:
        for model in models:
            try:
                content = archive.read(model.member)
            except KeyError:
                raise BlazePoseFetchError(f"{wheel.name} does not contain {model.member}") from None
            actual = hashlib.sha256(content).hexdigest()
            if actual != model.sha256:
                raise BlazePoseFetchError(
                    f"{model.member} in {wheel.name} has sha256 {actual}, expected {model.sha256}"
                )
            target = folder / model.name
            partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
            partial.write_bytes(content)
            os.replace(partial, target)
            written.append(target)
            log.info("%s cached at %s (%d bytes)", model.name, target, len(content))
    return written


def ensure_models(folder: Path = FOLDER) -> list[Path]:
    """Paths of both verified models in ``folder``, downloading the wheel only if one is
    missing or fails its check."""
    missing = tuple(model for model in FILES if not is_verified(folder / model.name, model))
    if missing:
        with tempfile.TemporaryDirectory(prefix="blazepose-") as tmp:
            extract(_download_wheel(Path(tmp)), missing, folder)
    return [folder / model.name for model in FILES]


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m models.blazepose",
        description=f"Fetch BlazePose's models from the {WHEEL} wheel and verify them.",
    )
    parser.add_argument("--dest", type=Path, default=FOLDER, help="folder to cache them in")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        paths = ensure_models(args.dest)
    except (BlazePoseFetchError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for path in paths:
        print(f"model ok: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
