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


def test_one_reader_fits_a_clip_that_changes_size_into_its_first_frames_size(tmp_path):
    # The stream, the side-by-side comparison and the preview all read through
    # read_video/steady_frames, so a spliced clip shows alike in the three.
    import numpy as np

    from pose.media.video_reader import read_video
    from pose.sequence.compare import _frames
    from tests.helpers.clips import make_resizing_clip

    sizes = [(320, 240)] * 2 + [(240, 320)] * 2
    source = make_resizing_clip(tmp_path / "spliced.avi", sizes)
    reader = read_video(source)
    frames = list(reader)
    assert [index for index, _, _ in frames] == [0, 1, 2, 3]
    assert all(image.shape == (240, 320, 3) for _, _, image in frames)
    portrait = frames[2][2]
    assert portrait[:, :30].max() < 20 and portrait[:, 100:200].max() > 100  # black bars
    compared = [image for _, image in _frames(source)]
    assert all(np.array_equal(a, b[2]) for a, b in zip(compared, frames, strict=True))
    copy = playable_copy(source, tmp_path / "copy.mp4")
    with av.open(str(copy)) as container:
        shapes = [f.to_ndarray(format="rgb24").shape for f in container.decode(video=0)]
    assert shapes == [(240, 320, 3)] * 4
