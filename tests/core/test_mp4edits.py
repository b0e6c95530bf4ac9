"""MP4/M4A edit lists: what is read of an audio track whose edit list is empty, miscounted,
cut, joined, silent or played at another rate, and the note that says so."""

from __future__ import annotations

import shutil
import struct

import numpy as np
import pytest

from core.analysis.decode import probe, stream
from core.analysis.mp4edits import MAX_BOXES, Edit, audio_edit_list, edit_list_notice
from core.errors import EmptyFileError
from tests.audio_files import set_edit_list, tone, write_audio

SR = 44100
#: Samples FFmpeg's AAC encoder puts first (its priming), which its edit list leaves out.
PRIMING = 1024


@pytest.fixture(scope="module")
def m4a(tmp_path_factory):
    """A 3 s AAC M4A as FFmpeg writes it: one edit of 3 s (movie time scale 1000) from
    sample 1024 of the track (its time scale 44100)."""
    path = tmp_path_factory.mktemp("edits") / "a.m4a"
    return write_audio(path, tone(440.0, 3.0, SR, channels=2), SR)


def _copy(m4a, tmp_path, edits, **kwargs):
    path = tmp_path / "b.m4a"
    shutil.copy(m4a, path)
    return set_edit_list(path, edits, **kwargs)


def _decode(path):
    info = probe(path)
    return info, np.concatenate(list(stream(path, info=info)))


def test_edit_list_of_an_ordinary_m4a_is_read_and_gives_no_note(m4a):
    found = audio_edit_list(str(m4a))
    assert found.stated == 1
    assert found.edits == (Edit(duration_s=3.0, media_s=PRIMING / SR, rate=1.0),)
    assert found.track_s == pytest.approx((3 * SR + PRIMING) / SR)
    assert probe(m4a).notice == ""


def test_empty_edit_list_reads_the_whole_track_and_says_so(m4a, tmp_path):
    """FFmpeg ignores an edit list of no edits: the encoder's priming is read as audio."""
    _, before = _decode(m4a)
    info, after = _decode(_copy(m4a, tmp_path, []))
    assert after.shape == (3 * SR + PRIMING, 2)
    np.testing.assert_array_equal(after[PRIMING:], before)
    assert info.notice.startswith("its MP4 edit list is empty: the audio track is read whole "
                                  "from its first sample")


def test_edit_list_stating_no_edit_but_holding_one_is_followed(m4a, tmp_path):
    """FFmpeg counts the edits by the box's size: the samples are those of the file as
    written."""
    _, before = _decode(m4a)
    info, after = _decode(_copy(m4a, tmp_path, [(3000, PRIMING, 1)], stated=0))
    np.testing.assert_array_equal(after, before)
    assert info.notice == ("its MP4 edit list states 0 edits but holds 1: the 1 edit it holds "
                           "is followed")


def test_edit_list_stating_more_edits_than_it_holds_says_so(m4a, tmp_path):
    path = _copy(m4a, tmp_path, [(3000, PRIMING, 1)], stated=5)
    assert audio_edit_list(str(path)).stated == 5
    assert "states 5 edits but holds 1" in probe(path).notice


def test_edit_list_playing_part_of_the_track_says_how_much(m4a, tmp_path):
    _, before = _decode(m4a)
    info, after = _decode(_copy(m4a, tmp_path, [(1500, PRIMING, 1)]))
    np.testing.assert_array_equal(after, before[:SR * 3 // 2])
    assert info.notice == "its MP4 edit list plays 1.500 s of its 3.023 s audio track: that " \
                          "part is read"


def test_edit_list_at_another_rate_is_not_followed_and_says_so(m4a, tmp_path):
    _, before = _decode(m4a)
    info, after = _decode(_copy(m4a, tmp_path, [(3000, PRIMING, 2.0)]))
    np.testing.assert_array_equal(after, before)
    assert "plays the audio at 2 times its speed, which is not followed" in info.notice


def test_edit_list_joining_two_parts_says_so(m4a, tmp_path):
    info, after = _decode(_copy(m4a, tmp_path, [(1000, PRIMING, 1), (1000, PRIMING + 2 * SR,
                                                                     1)]))
    assert len(after) == 2 * SR
    assert info.notice == "its MP4 edit list joins 2 parts of its audio track: they are read " \
                          "as joined"


def test_edit_list_starting_with_silence_says_it_is_not_read(m4a, tmp_path):
    _, before = _decode(m4a)
    info, after = _decode(_copy(m4a, tmp_path, [(500, -1, 1), (3000, PRIMING, 1)]))
    n = min(len(after), len(before))
    np.testing.assert_array_equal(after[:n], before[:n])
    assert "starts the audio after 0.500 s of silence, which is not read" in info.notice


def test_edit_list_of_silence_alone_is_an_empty_file(m4a, tmp_path):
    with pytest.raises(EmptyFileError, match=r"plays no audio: its MP4 edit list plays 3\.000 s "
                                             r"of silence and no part of its audio track"):
        probe(_copy(m4a, tmp_path, [(3000, -1, 1)]))


def test_alac_m4a_edit_list_gives_no_note(tmp_path):
    path = write_audio(tmp_path / "a.m4a", tone(440.0, 1.0, SR, channels=1), SR,
                       subtype="ALAC")
    assert probe(path).notice == ""


def test_edit_list_walk_reads_a_bounded_number_of_boxes(m4a, tmp_path):
    """Past :data:`MAX_BOXES` boxes before the index, the edit list is not looked for."""
    data = m4a.read_bytes()
    ftyp = struct.unpack(">I", data[:4])[0]
    for pad, found in ((MAX_BOXES - 100, True), (MAX_BOXES + 10, False)):
        path = tmp_path / f"pad{pad}.m4a"
        # Empty 'free' boxes after ftyp move the audio: only the walk is checked here.
        path.write_bytes(data[:ftyp] + struct.pack(">I4s", 8, b"free") * pad + data[ftyp:])
        assert (audio_edit_list(str(path)) is not None) is found


@pytest.mark.parametrize("keep", [0.5, 0.999])
def test_edit_list_of_an_m4a_cut_within_its_index_is_not_found(m4a, tmp_path, keep):
    data = m4a.read_bytes()
    path = tmp_path / "cut.m4a"
    path.write_bytes(data[:int(len(data) * keep)])
    assert audio_edit_list(str(path)) is None


def test_edit_list_of_another_file_is_not_found(tmp_path):
    path = write_audio(tmp_path / "a.wav", tone(440.0, 0.2, SR), SR)
    assert audio_edit_list(str(path)) is None
    assert audio_edit_list(str(tmp_path / "missing.m4a")) is None


def test_notice_of_no_edit_list_is_empty():
    assert edit_list_notice(None) == ""
