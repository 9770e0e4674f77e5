"""Browser previews of uploaded videos: which files a browser plays as they are, and an
H.264 copy of the others (mp4v from OpenCV, AVI, MOV, MKV, ...).

Browsers play H.264 or AV1 in MP4 and VP8, VP9 or AV1 in WebM; anything else shows a blank
player. The copy uses the same reader and writer as the annotated output (pose.video.process).
"""

from __future__ import annotations

import os
from pathlib import Path

from pose.media.images import InputError
from pose.media.video_reader import MAX_FRAMES, VideoInfo, open_video, steady_frames
from pose.media.video_writer import VideoWriter

# (file suffix, codec name as FFmpeg reports it) pairs browsers play.
PLAYABLE = {
    (".mp4", "h264"),
    (".m4v", "h264"),
    (".mp4", "av1"),
    (".webm", "vp8"),
    (".webm", "vp9"),
    (".webm", "av1"),
}
# Longer clips are not copied (minutes of encoding on two cores): they are refused by
# Annotate anyway unless 'every Nth frame' thins them, and the player simply stays blank.
PREVIEW_MAX_FRAMES = 4 * MAX_FRAMES


def browser_plays(path: str | os.PathLike, info: VideoInfo) -> bool:
    """Whether a browser can play the file as it is (by its suffix and video codec)."""
    return (Path(path).suffix.lower(), info.codec) in PLAYABLE


def playable_copy(
    source: str | os.PathLike, target: str | os.PathLike, max_frames: int = PREVIEW_MAX_FRAMES
) -> Path | None:
    """Write an H.264 MP4 copy of ``source`` to ``target`` (ending in .mp4) when a browser
    cannot play ``source``; return ``target``, or ``None`` when no copy is needed (or the
    clip is over ``max_frames`` frames). Same frames, frame rate and duration; no audio.

    Raises :class:`InputError` with the same message as annotating would for a file that
    is not a usable video.
    """
    container, info = open_video(source)
    try:
        if browser_plays(source, info):
            return None
        if info.frames is not None and info.frames > max_frames:
            return None
        frames = steady_frames(container, info, every=1, max_frames=max_frames)
        writer = None
        try:
            while True:
                try:
                    index, _, image = next(frames)
                except StopIteration as end:
                    decoded = end.value
                    break
                if writer is None:
                    height, width = image.shape[:2]
                    writer = VideoWriter(target, width, height, info.fps)
                writer.write(image, index)
            writer.hold_until(decoded)
        finally:
            if writer is not None:
                writer.close()
    except InputError:
        Path(target).unlink(missing_ok=True)
        raise
    finally:
        container.close()
    return Path(target)
