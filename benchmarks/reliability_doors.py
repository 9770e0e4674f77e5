"""The side doors of issue 28, for ``python -m benchmarks.reliability --sections doors``.

One app (``POSE_MCP=1``, Gradio's cache swept every 3 s of files older than 60 s) takes
each attack in turn while a second user's ``/estimate_image`` is timed (median of three,
against the same call alone first); the server's RSS is read at the start, at its peak
during each attack and at rest 30 s after it. Then SIGINT, and the files left in its cache.
Run it with ``--app-root`` at an older checkout for the "before" figures.

- **direct**: ``--direct`` concurrent ``POST /gradio_api/run/predict`` calls naming the
  video event by its ``fn_index``, reusing one upload (they ran at once, outside the queue).
- **stream**: a server path sent to ``/gradio_api/stream/<id>`` five times: the traceback
  lines this left in the log.
- **sweep**: the upload folder sent as a file argument, then two photos estimated: files of
  those photos still in the cache 75 s later (the sweep had stopped for good).
- **mcp**: five MCP clients call ``estimate_video`` at once: how many were refused.
- **large**: a 4096x4096 H.264 clip of 250 frames (4,200 MP): what the client is told, and
  how long the only video worker was held.
"""

from __future__ import annotations

import asyncio
import base64
import json
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx

from benchmarks.load import PHOTOS, PeakSampler, Server

MB = 2**20
# At rest: past the app's idle release (20 s without a job) and its next trim (5 s).
REST_S = 30


def _other_user(server: Server) -> Callable[[], float]:
    """A second user's /estimate_image, timed: returns a function giving its seconds."""
    from gradio_client import Client, handle_file

    client = Client(server.url, verbose=False, download_files=False)
    photo = handle_file(str(PHOTOS[0]))

    def timed() -> float:
        started = time.perf_counter()
        try:
            client.predict(photo, "balanced", 0.1, api_name="/estimate_image")
        except Exception:
            return float("inf")
        return time.perf_counter() - started

    return timed


def _during(attack: Callable[[], str], other: Callable[[], float]) -> tuple[str, float]:
    """Run ``attack`` in a thread while the other user calls three times; (what the attack
    reported, the other user's median seconds)."""
    report: list[str] = []
    thread = threading.Thread(target=lambda: report.append(attack()), daemon=True)
    thread.start()
    time.sleep(1.0)  # let the attack get going
    seconds = [other() for _ in range(3)]
    thread.join(timeout=900)
    return (report[0] if report else "did not finish in 15 min"), statistics.median(seconds)


def _upload(server: Server, path: Path) -> dict:
    with path.open("rb") as handle:
        response = httpx.post(
            server.url + "gradio_api/upload", files={"files": (path.name, handle)}, timeout=120
        )
    response.raise_for_status()
    return {"path": response.json()[0], "meta": {"_type": "gradio.FileData"}}


def _event_id(server: Server, api_name: str) -> int:
    events = httpx.get(server.url + "config", timeout=30).json()["dependencies"]
    return next(event["id"] for event in events if event["api_name"] == api_name)


def attack_direct(server: Server, clip: Path, calls: int) -> str:
    video = _upload(server, clip)
    index = _event_id(server, "estimate_video")
    body = {"fn_index": index, "data": [video, "fast", 0.1, 1, False, False, False]}
    statuses: list[int] = []

    def call() -> None:
        try:
            response = httpx.post(server.url + "gradio_api/run/predict", json=body, timeout=600)
            statuses.append(response.status_code)
        except httpx.HTTPError:
            statuses.append(0)

    threads = [threading.Thread(target=call) for _ in range(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ran = statuses.count(200)
    return f"{ran} of {calls} ran outside the queue; HTTP {sorted(set(statuses))}"


def attack_stream(server: Server) -> str:
    before = server.log.read_text().count("Traceback")
    lines = len(server.log.read_text().splitlines())
    statuses = []
    for _ in range(5):
        body = {"data": [{"path": "/etc/passwd", "meta": {"_type": "gradio.FileData"}}]}
        event = uuid.uuid4().hex
        response = httpx.post(server.url + f"gradio_api/stream/{event}", json=body, timeout=30)
        statuses.append(response.status_code)
    time.sleep(1.0)
    text = server.log.read_text()
    added = len(text.splitlines()) - lines
    return (
        f"HTTP {sorted(set(statuses))}; {text.count('Traceback') - before} tracebacks, "
        f"{added} log lines"
    )


def attack_sweep(server: Server) -> str:
    from gradio_client import Client, handle_file

    first = _upload(server, PHOTOS[0])
    folder = {"path": str(Path(first["path"]).parent.parent), "meta": first["meta"]}
    response = httpx.post(
        server.url + "gradio_api/call/estimate_image",
        json={"data": [folder, "fast", 0.1, False]},
        timeout=30,
    )
    status = response.status_code
    admitted = "admitted" if status == 200 else f"refused (HTTP {status})"
    client = Client(server.url, verbose=False, download_files=False)
    made = []
    for photo in PHOTOS[:2]:
        outputs = client.predict(handle_file(str(photo)), "fast", 0.1, api_name="/estimate_image")
        made += [Path(o["path"] if isinstance(o, dict) else o) for o in outputs[:1]]
    time.sleep(75)  # files older than 60 s, swept every 3 s
    left = sum(path.exists() for path in made)
    return f"the folder {admitted}; {left} of {len(made)} results still there 75 s later"


def attack_mcp(server: Server, clip: Path) -> str:
    from mcp import ClientSession
    from mcp.client.streamable_http import streamablehttp_client

    video = "data:video/mp4;base64," + base64.b64encode(clip.read_bytes()).decode()
    url = server.url + "gradio_api/mcp/"

    async def one() -> bool:
        async with streamablehttp_client(url) as (read, write, _), ClientSession(read, write) as s:
            await s.initialize()
            result = await s.call_tool("estimate_video", {"video": video, "size": "fast"})
            return "" if not result.isError else " ".join(result.content[0].text.split())

    async def five() -> list[str]:
        return await asyncio.gather(*[one() for _ in range(5)])

    errors = [error for error in asyncio.run(five()) if error]
    why = f" ({errors[0][:90]})" if errors else ""
    return f"{5 - len(errors)} of 5 MCP clients served, {len(errors)} refused{why}"


def attack_large(server: Server, clip: Path) -> str:
    from gradio_client import Client, handle_file

    client = Client(server.url, verbose=False, download_files=False)
    started = time.perf_counter()
    try:
        *_, summary = client.predict(
            handle_file(str(clip)), "fast", 0.1, 1, False, api_name="/estimate_video"
        )
        told = "annotated: " + summary.split(".")[0]
    except Exception as exc:
        told = "refused: " + " ".join(str(exc).split())[:110]
    return f"{told} ({time.perf_counter() - started:.0f} s)"


def print_doors(rows: list[tuple], alone: float, start: float, left: list[Path]) -> None:
    """The side-door table: per attack (name, what happened, the other user's median s,
    RSS peak and at rest in bytes), with the other user's time alone (s), the RSS at the
    start (bytes) and the files ``left`` in the cache after SIGINT."""
    print("\n## Side doors (issue 28)\n")
    print(
        f"The other user's /estimate_image alone: {alone:.2f} s; "
        f"RSS at the start {start / MB:.0f} MB.\n"
    )
    print("| attack | what happened | other user's median s | RSS peak MB | at rest MB |")
    print("|---|---|---:|---:|---:|")
    for name, report, latency, peak, rest in rows:
        print(f"| {name} | {report} | {latency:.2f} | {peak / MB:.0f} | {rest / MB:.0f} |")
    print(f"\nAfter SIGINT: {len(left)} files left in the app's cache.")
    print(json.dumps({"alone_s": alone, "start_mb": start / MB, "left": len(left)}))


def section_doors(scratch: Path, launch, x264_clip, direct: int = 12) -> bool:
    """Print the side-door table; True when every door held (the "after" expectations)."""
    clip = x264_clip(scratch / "doors.mp4", 40, (320, 240))
    # Encoding it takes minutes on a busy machine: kept between runs (before and after).
    large = Path(tempfile.gettempdir()) / "pose-reliability-4096x4096x250.mp4"
    if not large.exists():
        x264_clip(scratch / "large.mp4", 250, (4096, 4096), fps=25).replace(large)
    server = launch(scratch / "app-doors", POSE_MCP="1", POSE_DELETE_CACHE="3,60")
    sampler = PeakSampler(server)
    rows = []
    try:
        other = _other_user(server)
        alone = statistics.median([other() for _ in range(3)])
        start = server.rss()
        attacks = {
            "direct /run/predict": lambda: attack_direct(server, clip, direct),
            "stream route, server path": lambda: attack_stream(server),
            "upload folder as input, then the sweep": lambda: attack_sweep(server),
            "five MCP clients": lambda: attack_mcp(server, clip),
            "4096x4096 x 250 frames": lambda: attack_large(server, large),
        }
        for name, attack in attacks.items():
            sampler.reset()
            report, latency = _during(attack, other)
            peak = sampler.peak
            time.sleep(REST_S)
            rows.append((name, report, latency, peak, server.rss()))
        server.process.send_signal(2)  # SIGINT
        try:
            server.process.wait(timeout=60)
        except Exception:
            server.stop()
        left = [path for path in server.cache.rglob("*") if path.is_file()]
    finally:
        sampler.close()
        if server.process.poll() is None:
            server.stop()
    print_doors(rows, alone, start, left)
    held = (
        rows[0][1].startswith("0 of")
        and " 0 tracebacks" in rows[1][1]
        and rows[2][1].endswith("0 of 2 results still there 75 s later")
        and rows[3][1].startswith("5 of 5")
        and "refused" in rows[4][1]
        and not left
    )
    return held
