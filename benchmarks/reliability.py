"""Reliability against a hostile or careless public (issue 20), through the launched app.

    .venv/bin/python -m benchmarks.reliability [--sections bad,flood,memory,stop,fault,doors]
                                               [--flood 40] [--large 6] [--direct 12]

Launches ``python app.py`` on loopback with its own Gradio cache (benchmarks/load.py's
Server) for each section and prints one table per section:

- **bad**: hostile inputs through the real endpoints (gradio_client; the webcam stream over
  Gradio's HTTP stream protocol, which gradio_client cannot speak): what the client is told,
  how long it took, and the server's RSS after. Every row must end in a specific message.
- **flood**: one client (one session) submits ``--flood`` video jobs at once while another
  user's /estimate_image is timed; against that user's time alone, measured first.
- **memory**: ``--large`` large inputs (40 MP photos, a 4096x2160 clip), then the RSS at
  rest; run with trimming on (default) and off (POSE_TRIM_EVERY_S=0) for comparison.
- **stop**: uploads and results on disk, then SIGTERM (and SIGINT): files left, exit status.
- **fault**: the server paused with SIGSTOP for 5 s in the middle of a request, then SIGCONT:
  does that request finish, and the next one.
- **doors**: the side doors of issue 28 (benchmarks/reliability_doors.py): direct calls,
  the stream route, the cache sweep, MCP clients, a large video; RSS peak and at rest, the
  other user's latency during each, files left after the sweep and after SIGINT.

Timings are noisy on a shared machine: compare within one run. Exit status 1 if a row of
the bad-input table crashed (a generic error) or a check in another section failed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import av
import cv2
import httpx
import numpy as np
from PIL import Image

from benchmarks.common import ROOT
from benchmarks.load import PHOTOS, PeakSampler, Server
from benchmarks.reliability_doors import section_doors

# The tests' hostile media and Gradio HTTP helpers (tests/helpers/hostile.py): one copy,
# so the benchmark and the tests try the same inputs the same way.
from tests.helpers.hostile import (
    claiming,
    damage_middle,
    mux_jpegs,
    png,
    read_call,
    stream_webcam_frame,
)

MB = 2**20
DOWNLOADS = Path(tempfile.gettempdir()) / "pose-downloads"
GENERIC = ("verbose error reporting", "Queue is full", "Connection errored", "Error\n")


# --------------------------------------------------------------------------- media


def jpeg(width: int, height: int, quality: int = 90, seed: int = 0) -> bytes:
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (max(1, height // 32), max(1, width // 32), 3), dtype=np.uint8)
    image = cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR)
    return cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])[1].tobytes()


def x264_clip(path: Path, frames: int, size: tuple[int, int], fps: int = 10) -> Path:
    photo = cv2.resize(np.asarray(Image.open(PHOTOS[0]).convert("RGB")), size)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps, options={"preset": "ultrafast"})
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        for index in range(frames):
            frame = av.VideoFrame.from_ndarray(np.roll(photo, index * 4, axis=1), format="rgb24")
            frame.pts = index
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


# --------------------------------------------------------------------------- the app


APP_ROOT = ROOT  # --app-root: another checkout's app.py (a "before" run)


def launch(scratch: Path, **env: str) -> Server:
    scratch.mkdir(parents=True, exist_ok=True)
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    try:
        server = Server(scratch, root=APP_ROOT)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    try:
        server.wait_ready(timeout=600)  # a loaded machine can take minutes to start it
    except BaseException:
        server.stop()
        raise
    return server


def client_for(server: Server):
    from gradio_client import Client

    return Client(server.url, verbose=False, download_files=False)


def outcome(call: Callable[[], object]) -> tuple[str, float]:
    """('ok: ...' or 'error: message', seconds)."""
    started = time.perf_counter()
    try:
        result = call()
        shown = result[-1] if isinstance(result, (list, tuple)) else result  # the summary
        text = "ok: " + str(shown)[:300]
    except Exception as exc:  # what the client is told
        text = f"error: {str(exc).strip()}"
    return " ".join(text.split()), time.perf_counter() - started


def raw_call(server: Server, path: str) -> str:
    """/estimate_image over plain HTTP with a file argument naming ``path`` on the server
    (gradio_client would upload a local file of that name instead)."""
    file_data = {"path": path, "meta": {"_type": "gradio.FileData"}}
    start = httpx.post(
        server.url + "gradio_api/call/estimate_image",
        json={"data": [file_data, "balanced", 0.1, False]},
        timeout=30,
    )
    if start.status_code != 200:
        detail = start.json().get("detail")
        messages = [item.get("message") for item in detail] if isinstance(detail, list) else detail
        raise RuntimeError(f"HTTP {start.status_code}: {messages}")
    event_id = start.json()["event_id"]
    event, payload = read_call(server.url + f"gradio_api/call/estimate_image/{event_id}")
    if event == "error":
        raise RuntimeError(payload or "Error")
    return payload[:100]


def stream_frame(server: Server, frame: bytes, mime: str = "image/jpeg") -> str:
    """Send one frame to the webcam stream as a browser does; what the first answer says."""
    message = stream_webcam_frame(server.url, frame, mime, size="balanced")
    output = message.get("output", {})
    if not message.get("success", True) or "error" in output:
        raise RuntimeError(output.get("error"))
    return "frame annotated"


# --------------------------------------------------------------------------- sections


def section_bad(scratch: Path) -> bool:
    """Send hostile or broken inputs through a launched app; True if every answer was a
    clear message and the server log holds no upload data or traceback."""
    server = launch(scratch / "app-bad")
    try:
        cases = _bad_cases(client_for(server), server, _bad_files(scratch / "bad"))
        rows = []
        for name, endpoint, call in cases:
            text_out, seconds = outcome(call)
            rows.append((name, endpoint, text_out, seconds, server.rss() / MB))
        log_text = server.log.read_text(errors="replace")
    finally:
        server.stop()
    return _report_bad(rows, log_text)


def _bad_files(files: Path) -> dict[str, str | Path]:
    """Write the broken photos and clips into ``files``; their paths by short name."""
    files.mkdir()

    def put(name: str, data: bytes) -> str:
        (files / name).write_bytes(data)
        return str(files / name)

    small = jpeg(64, 64)
    half = jpeg(1200, 900)
    clean = x264_clip(files / "clean.mp4", 60, (320, 240))
    frames = [jpeg(64, 64)] * 20
    return {
        "claim": put("claims-7000.jpg", claiming(small, 7000, 7000)),
        "cut": put("cut-short+eoi.jpg", half[: len(half) // 2] + b"\xff\xd9"),
        "text": put("notes.jpg", b"not an image at all\n" * 10),
        "good": str(PHOTOS[0]),
        "grows": mux_jpegs(files / "grows-to-5000.avi", frames + [jpeg(5000, 5000)] * 2, (64, 64)),
        "wide": mux_jpegs(
            files / "grows-to-6000x1000.avi", frames + [jpeg(6000, 1000)] * 2, (64, 64)
        ),
        # A copy with its middle fifth overwritten with noise.
        "damaged": damage_middle(shutil.copyfile(clean, files / "middle-corrupt.mp4"), seed=1),
    }


def _bad_cases(client, server, paths: dict[str, str | Path]) -> list[tuple[str, str, Callable]]:
    """(what is sent, where, a call that sends it) for every bad input."""
    from gradio_client import handle_file

    def image(path, threshold=0.1, api="/estimate_image"):
        return lambda: client.predict(handle_file(path), "balanced", threshold, api_name=api)

    def video(path):
        return lambda: client.predict(
            handle_file(str(path)), "fast", 0.1, 1, True, api_name="/estimate_video"
        )[-1]

    huge_header = claiming(jpeg(64, 64), 12000, 12000)
    grey = png(np.full((480, 640), 128, np.uint8))
    rgba = png(np.zeros((480, 640, 4), np.uint8))
    claim, good = paths["claim"], paths["good"]
    return [
        ("JPEG claiming 7000x7000 (2 KB)", "/estimate_image", image(claim)),
        ("JPEG cut short + end marker", "/estimate_image", image(paths["cut"])),
        ("text file named .jpg", "/estimate_image", image(paths["text"])),
        ("threshold 'abc'", "/estimate_image", image(good, threshold="abc")),
        ("threshold [0.5]", "/estimate_image", image(good, threshold=[0.5])),
        ("server path /etc/passwd", "HTTP /call", lambda: raw_call(server, "/etc/passwd")),
        ("server path ../../app.py", "HTTP /call", lambda: raw_call(server, "../../app.py")),
        ("JPEG claiming 7000x7000", "/estimate_frame", image(claim, api="/estimate_frame")),
        ("frame 12000x12000 header", "stream", lambda: stream_frame(server, huge_header)),
        ("grey PNG frame", "stream", lambda: stream_frame(server, grey, "image/png")),
        ("RGBA PNG frame", "stream", lambda: stream_frame(server, rgba, "image/png")),
        ("camera frame (JPEG)", "stream", lambda: stream_frame(server, jpeg(640, 480))),
        ("clip growing to 5000x5000", "/estimate_video", video(paths["grows"])),
        ("clip growing to 6000x1000", "/estimate_video", video(paths["wide"])),
        ("clip, middle 20 % corrupt", "/estimate_video", video(paths["damaged"])),
    ]


def _report_bad(rows: list[tuple[str, str, str, float, float]], log_text: str) -> bool:
    """Print the bad inputs' table and the log check; True if every answer was clear."""
    print("\n## Bad inputs through the app\n")
    print("| input | endpoint | the client is told | s | RSS MB |")
    print("|---|---|---|---:|---:|")
    failed = False
    for name, endpoint, text_out, seconds, rss in rows:
        print(f"| {name} | {endpoint} | {text_out[:150]} | {seconds:.2f} | {rss:.0f} |")
        failed |= any(marker.strip() in text_out for marker in GENERIC) or text_out == "error:"
    suspect = [line for line in log_text.splitlines() if "base64," in line or "Traceback" in line]
    leaked = bool(suspect)
    print(f"\nserver log: {len(log_text.splitlines())} lines; base64 data or tracebacks: {leaked}")
    for line in suspect[:3]:
        print(f"    {line[:160]}")
    return not failed and not leaked


def section_flood(scratch: Path, jobs: int) -> bool:
    from gradio_client import handle_file

    clip = x264_clip(scratch / "flood.mp4", 40, (320, 240))
    server = launch(scratch / "app-flood")
    try:
        flooder, other = client_for(server), client_for(server)
        photo = handle_file(str(PHOTOS[0]))
        alone = []
        for _ in range(3):
            started = time.perf_counter()
            other.predict(photo, "balanced", 0.1, api_name="/estimate_image")
            alone.append(time.perf_counter() - started)
        submitted = [
            flooder.submit(handle_file(str(clip)), "fast", 0.1, 1, True, api_name="/estimate_video")
            for _ in range(jobs)
        ]
        time.sleep(2.0)
        during, other_errors = [], []
        for _ in range(3):
            text_out, seconds = outcome(
                lambda: other.predict(photo, "balanced", 0.1, api_name="/estimate_image")[-1]
            )
            (during if text_out.startswith("ok") else other_errors).append(
                seconds if text_out.startswith("ok") else text_out
            )
        refused, done, messages = 0, 0, Counter()
        for job in submitted:
            try:
                job.result(timeout=600)
                done += 1
            except Exception as exc:
                refused += 1
                messages[" ".join(str(exc).split())[:140]] += 1
    finally:
        server.stop()
    median = lambda values: sorted(values)[len(values) // 2] if values else float("nan")  # noqa: E731
    print("\n## One client floods the queue\n")
    print(f"- flooder: {jobs} /estimate_video jobs at once: {done} ran, {refused} refused")
    for message, count in messages.most_common():
        print(f"  - {count} refused with: {message}")
    print(
        f"- other user, /estimate_image: alone median {median(alone):.2f} s; during the flood "
        f"median {median(during):.2f} s ({median(during) / median(alone):.1f}x), "
        f"{len(other_errors)} errors {other_errors[:1]}"
    )
    return not other_errors and done >= 1


def section_memory(scratch: Path, large: int) -> bool:
    from gradio_client import handle_file

    big = scratch / "big.jpg"
    big.write_bytes(jpeg(7680, 5200, quality=85))  # 40 MP
    clip = x264_clip(scratch / "uhd.mp4", 30, (4096, 2160))
    results = {}
    for label, trim in (("trim on (every 5 s)", "5"), ("trim off", "0")):
        server = launch(scratch / f"app-mem-{trim}", POSE_TRIM_EVERY_S=trim)
        sampler = PeakSampler(server)
        try:
            client = client_for(server)
            client.predict(handle_file(str(PHOTOS[0])), "balanced", 0.1, api_name="/estimate_image")
            time.sleep(6)
            start = server.rss()
            sampler.reset()
            for _ in range(large):
                client.predict(handle_file(str(big)), "balanced", 0.1, api_name="/estimate_image")
            client.predict(handle_file(str(clip)), "fast", 0.1, 1, True, api_name="/estimate_video")
            time.sleep(8)  # past one trim period
            rest = server.rss()
            for _ in range(large):
                client.predict(handle_file(str(big)), "balanced", 0.1, api_name="/estimate_image")
            time.sleep(8)
            rest2 = server.rss()
            results[label] = (start, sampler.peak, rest, rest2)
        finally:
            sampler.close()
            server.stop()
    print("\n## Memory after large inputs\n")
    print(f"{large} photos of 40 MP, a 4096x2160 clip of 30 frames, {large} photos again.\n")
    print("| | RSS before MB | peak MB | at rest after MB | after the second batch MB |")
    print("|---|---:|---:|---:|---:|")
    for label, (start, peak, rest, rest2) in results.items():
        print(
            f"| {label} | {start / MB:.0f} | {peak / MB:.0f} | {rest / MB:.0f} | {rest2 / MB:.0f} |"
        )
    # Memory returns: no step up from the first batch to the second, and trimming helps.
    _, _, rest, rest2 = results["trim on (every 5 s)"]
    return rest2 <= rest + 64 * MB and rest < results["trim off"][2]


def cache_files(folder: Path) -> set[Path]:
    return {path for path in folder.rglob("*") if path.is_file()}


def section_stop(scratch: Path) -> bool:
    from gradio_client import handle_file

    ok = True
    print("\n## A clean stop\n")
    print(
        "| signal | files in the app's cache before | after | downloads before | after "
        "| exit status | seconds to stop |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for number in (signal.SIGTERM, signal.SIGINT):
        server = launch(scratch / f"app-stop-{number}")
        client = client_for(server)
        outputs = client.predict(
            handle_file(str(PHOTOS[0])), "balanced", 0.1, api_name="/estimate_image"
        )
        for photo in PHOTOS[1:3]:
            httpx.post(
                server.url + "gradio_api/upload",
                files={"files": (photo.name, photo.read_bytes(), "image/jpeg")},
                timeout=30,
            )
        before = cache_files(server.cache)
        returned = [out.get("path") if isinstance(out, dict) else out for out in outputs]
        ours = {DOWNLOADS / Path(str(path)).name for path in returned if path}
        ours = {path for path in ours if path.suffix in (".json", ".csv")}
        downloads_before = sum(path.exists() for path in ours)
        started = time.perf_counter()
        server.process.send_signal(number)
        try:
            status = server.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            status = "hung"
            server.stop()
        seconds = time.perf_counter() - started
        after = cache_files(server.cache)
        downloads_after = sum(path.exists() for path in ours)
        print(
            f"| {signal.Signals(number).name} | {len(before)} | {len(after)} | "
            f"{downloads_before} | {downloads_after} | {status} | {seconds:.1f} |"
        )
        ok &= not after and downloads_after == 0 and status == 0
    return ok


def section_fault(scratch: Path) -> bool:
    from gradio_client import handle_file

    clip = x264_clip(scratch / "fault.mp4", 60, (320, 240))
    server = launch(scratch / "app-fault")
    try:
        client = client_for(server)
        job = client.submit(
            handle_file(str(clip)), "fast", 0.1, 1, True, api_name="/estimate_video"
        )
        time.sleep(1.5)
        started = time.perf_counter()
        server.process.send_signal(signal.SIGSTOP)
        time.sleep(5)
        server.process.send_signal(signal.SIGCONT)
        first, _ = outcome(lambda: job.result(timeout=300)[-1])
        first_s = time.perf_counter() - started
        second, second_s = outcome(
            lambda: client.predict(
                handle_file(str(PHOTOS[0])), "balanced", 0.1, api_name="/estimate_image"
            )[-1]
        )
    finally:
        server.stop()
    print("\n## A fault: the server paused for 5 s mid-request\n")
    print(f"- the request in flight: {first[:100]} ({first_s:.1f} s after the pause began)")
    print(f"- the next request: {second[:100]} ({second_s:.1f} s)")
    return first.startswith("ok") and second.startswith("ok")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sections", default="bad,flood,memory,stop,fault,doors")
    parser.add_argument("--flood", type=int, default=40, help="jobs the flooder sends")
    parser.add_argument("--large", type=int, default=6, help="40 MP photos per batch")
    parser.add_argument("--direct", type=int, default=12, help="doors: direct calls at once")
    parser.add_argument("--app-root", type=Path, default=ROOT, help="checkout whose app runs")
    args = parser.parse_args()
    global APP_ROOT
    APP_ROOT = args.app_root.resolve()
    cpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    model = next(
        (line.split(":", 1)[1].strip() for line in cpu.splitlines() if "Model name" in line), "?"
    )
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    print(f"# Reliability run, {when}, {model}, app from {APP_ROOT}")
    scratch = Path(tempfile.mkdtemp(prefix="pose-reliability-"))
    sections = {
        "bad": lambda: section_bad(scratch),
        "flood": lambda: section_flood(scratch, args.flood),
        "memory": lambda: section_memory(scratch, args.large),
        "stop": lambda: section_stop(scratch),
        "fault": lambda: section_fault(scratch),
        "doors": lambda: section_doors(scratch, launch, x264_clip, args.direct),
    }
    passed = True
    try:
        for name in args.sections.split(","):
            ok = sections[name.strip()]()
            print(f"\n{name}: {'pass' if ok else 'FAIL'}", flush=True)
            passed &= ok
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
