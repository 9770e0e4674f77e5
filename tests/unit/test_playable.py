"""Browser previews of uploaded videos (pose.media.playable) on clips made here."""

import av
import pytest

from pose.media.images import InputError
from pose.media.playable import playable_copy
from tests.helpers.clips import make_clip


def probe(path):
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = sum(1 for _ in container.decode(stream))
        return stream.codec_context.name, frames, (stream.width, stream.height)


def test_an_opencv_style_mp4v_clip_gets_an_h264_copy(tmp_path):
    source = make_clip(tmp_path / "mp4v.mp4", frames=5, codec="mpeg4")
    copy = playable_copy(source, tmp_path / "preview.mp4")
    assert copy is not None
    codec, frames, size = probe(copy)
    assert codec == "h264" and frames == 5 and size == (320, 240)


def test_an_avi_gets_a_copy_and_h264_mp4_needs_none(tmp_path):
    avi = make_clip(tmp_path / "clip.avi", frames=3, codec="mpeg4")
    assert playable_copy(avi, tmp_path / "avi.mp4") is not None
    h264 = make_clip(tmp_path / "clip.mp4", frames=3)
    assert playable_copy(h264, tmp_path / "none.mp4") is None
    assert not (tmp_path / "none.mp4").exists()


def test_a_file_that_is_no_video_gets_the_annotate_message(tmp_path):
    bogus = tmp_path / "notes.mp4"
    bogus.write_text("not a video")
    with pytest.raises(InputError, match="is not a video we can read"):
        playable_copy(bogus, tmp_path / "out.mp4")
    assert not (tmp_path / "out.mp4").exists()
