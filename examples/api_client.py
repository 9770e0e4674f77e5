"""Call every endpoint of a running Pose Estimation & Matching app with ``gradio_client``.

Start the app (``make run`` or ``.venv/bin/python app.py``), then::

    .venv/bin/python examples/api_client.py                      # http://127.0.0.1:7860/
    .venv/bin/python examples/api_client.py http://HOST:PORT/ --json

Each call uses the redistributable files in this folder. Endpoints the app does not serve
are reported as skipped, not failed. ``--json`` prints one JSON object with what each call
returned (tests/app/test_api_client.py runs it that way against the launched app).

``stream_webcam`` is a streaming event for the browser: ``gradio_client`` cannot call it,
so programs send frames one by one to ``estimate_frame``, as :func:`estimate_frame` does.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from gradio_client import Client, handle_file

HERE = Path(__file__).resolve().parent
PHOTO = HERE / "astronaut.jpg"
PAIR = (HERE / "astronaut.jpg", HERE / "astronaut_moved.jpg")
CLIP = HERE / "astronaut_pan.mp4"
FRAME = HERE / "cameraman.jpg"


def estimate_image(client: Client) -> dict:
    """/estimate_image: one photo -> annotated PNG, keypoint table, JSON and CSV files."""
    annotated, table, json_path, csv_path, summary = client.predict(
        handle_file(str(PHOTO)), "balanced", 0.1, api_name="/estimate_image"
    )
    keypoints = json.loads(Path(json_path).read_text())
    return {
        "summary": summary,
        "people": len(keypoints["people"]),
        "size": [keypoints["width"], keypoints["height"]],
        "first_person_nose": keypoints["people"][0]["keypoints"][0]
        if keypoints["people"]
        else None,
        "table_rows": len(table["data"]),
        "files": {"annotated": annotated, "json": json_path, "csv": csv_path},
    }


def estimate_video(client: Client) -> dict:
    """/estimate_video: a clip -> annotated H.264 MP4 and per-frame keypoints."""
    video, json_path, csv_path, summary = client.predict(
        handle_file(str(CLIP)),
        "fast",
        0.1,
        1,  # every Nth frame
        True,  # smooth keypoints across frames
        api_name="/estimate_video",
    )
    per_frame = json.loads(Path(json_path).read_text())
    video_path = video["video"] if isinstance(video, dict) else video
    return {
        "summary": summary,
        "frames": len(per_frame["frames"]),
        "files": {"video": video_path, "json": json_path, "csv": csv_path},
    }


def estimate_frame(client: Client) -> dict:
    """/estimate_frame: one webcam-style frame -> annotated frame and keypoints JSON."""
    annotated, keypoints = client.predict(
        handle_file(str(FRAME)), "fast", 0.1, api_name="/estimate_frame"
    )
    return {"people": len(keypoints["people"]), "files": {"annotated": annotated}}


def match_images(client: Client) -> dict:
    """/match_images: two photos -> similarity in percent with a per-joint breakdown."""
    *_, result = client.predict(
        handle_file(str(PAIR[0])),
        handle_file(str(PAIR[1])),
        "normalized",  # method: normalized, oks, angles or classic
        False,  # mirror: also try the left/right-swapped pose
        0,  # person in image 1: 0 = the default, the largest (1 = the largest, 2, ...)
        0,  # person in image 2: 0 = whoever stands where that person stands
        api_name="/match_images",
    )
    return {
        "similarity": result["similarity"],
        "verdict": result.get("verdict"),
        "method": result.get("method"),
    }


def compare_videos(client: Client) -> dict:
    """/compare_videos: a reference clip and an attempt -> similarity over time, aligned."""
    summary, video, timeline, worst, result, json_path = client.predict(
        handle_file(str(CLIP)),  # the reference
        handle_file(str(CLIP)),  # the attempt (here the same clip: about 100 %)
        1,  # person in the reference (1 = the most prominent)
        1,  # person in the attempt
        "fast",
        0.1,
        api_name="/compare_videos",
    )
    video_path = video["video"] if isinstance(video, dict) else video
    return {
        "summary": summary,
        "similarity": result["similarity"],
        "verdict": result["verdict"],
        "pairs": len(result["alignment"]),
        "timeline_series": sorted({row[2] for row in timeline["data"]}),
        "worst": len(worst),
        "files": {"video": video_path, "json": json_path},
    }


def count_reps(client: Client) -> dict:
    """/count_reps: one repetition and an attempt -> how many, where, how good each is."""
    summary, table, result = client.predict(
        handle_file(str(CLIP)),  # a clip of one repetition
        handle_file(str(CLIP)),  # the attempt
        0,  # the repetition starts at (s) in the reference; 0: its start
        0,  # ... and ends at (s); 0: its end
        1,
        1,
        "fast",
        0.1,
        api_name="/count_reps",
    )
    return {
        "summary": summary,
        "count": result["count"],
        "scores": [rep["score"] for rep in result["reps"]],
        "table_rows": len(table["data"]),
    }


CALLS = {
    "/estimate_image": estimate_image,
    "/estimate_video": estimate_video,
    "/estimate_frame": estimate_frame,
    "/match_images": match_images,
    "/compare_videos": compare_videos,
    "/count_reps": count_reps,
}


def served_endpoints(client: Client) -> set[str]:
    return set(client.view_api(print_info=False, return_format="dict")["named_endpoints"])


def run(url: str) -> dict:
    """Call each endpoint the app serves; return {endpoint: result or {"skipped": why}}."""
    client = Client(url, verbose=False)
    served = served_endpoints(client)
    report: dict = {}
    for name, call in CALLS.items():
        report[name] = call(client) if name in served else {"skipped": "not served"}
    report["/stream_webcam"] = (
        {"skipped": "browser only: a streaming event; use /estimate_frame"}
        if "/stream_webcam" in served
        else {"skipped": "not served"}
    )
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description="Call every endpoint of a running app.")
    parser.add_argument("url", nargs="?", default="http://127.0.0.1:7860/")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    try:
        report = run(args.url)
    except Exception as exc:  # a person running an example wants one line, not a trace
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    for name, result in report.items():
        shown = {key: value for key, value in result.items() if key != "files"}
        print(f"{name}: {json.dumps(shown)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
