"""MP4/M4A edit lists: what is read of an audio track whose edit list is empty, miscounted,
cut, joined, silent or played at another rate, and the note that says so."""

from __future__ import annotations

import shutil
import struct

import numpy as np
import pytest

from core.analysis import mp4edits
from core.analysis.decode import probe, stream
from core.analysis.mp4edits import (
    MAX_BOXES,
    Edit,
    EditList,
    audio_edit_list,
    edit_cuts,
    edit_list_notice,
)
from core.errors import EmptyFileError
from tests.audio_files import _write_av, set_edit_list, tone, write_audio
from tests.core.held_files import hold_file

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


def test_edit_list_joining_two_parts_joins_them_by_samples(m4a, tmp_path):
    """FFmpeg joins at whole packets (the second part began 68 samples early); the parts are
    cut from the whole track instead."""
    _, before = _decode(m4a)
    path = _copy(m4a, tmp_path, [(1000, PRIMING, 1), (1000, PRIMING + 2 * SR, 1)])
    info, after = _decode(path)
    assert info.frames == len(after) == 2 * SR
    np.testing.assert_array_equal(after[:SR], before[:SR])
    np.testing.assert_array_equal(after[SR:], before[2 * SR:3 * SR])
    assert info.notice == "its MP4 edit list joins 2 parts of its audio track: they are " \
                          "joined sample by sample, as players join them"


def test_edit_list_starting_with_silence_reads_the_silence(m4a, tmp_path):
    """Players play an empty edit as silence: every time in the song stays where they
    place it (FFmpeg leaves the silence out, and the probed length disagreed)."""
    _, before = _decode(m4a)
    info, after = _decode(_copy(m4a, tmp_path, [(500, -1, 1), (3000, PRIMING, 1)]))
    assert info.frames == len(after) == SR // 2 + 3 * SR
    assert not after[:SR // 2].any()
    np.testing.assert_array_equal(after[SR // 2:], before)
    assert info.notice == "its MP4 edit list starts the audio after 0.500 s of silence, " \
                          "which is read as silence, as players play it"


def test_edit_list_with_silence_between_and_after_parts(m4a, tmp_path):
    _, before = _decode(m4a)
    edits = [(1000, PRIMING, 1), (250, -1, 1), (1000, PRIMING + 2 * SR, 1), (500, -1, 1)]
    info, after = _decode(_copy(m4a, tmp_path, edits))
    quarter, half = SR // 4, SR // 2
    assert info.frames == len(after) == 2 * SR + quarter + half
    np.testing.assert_array_equal(after[:SR], before[:SR])
    assert not after[SR:SR + quarter].any()
    np.testing.assert_array_equal(after[SR + quarter:2 * SR + quarter], before[2 * SR:])
    assert not after[2 * SR + quarter:].any()


def test_edit_list_past_the_end_of_the_track_reads_up_to_its_end(m4a, tmp_path):
    """An edit from sample 2048 of a track of 133,324 samples that asks for 3 s: FFmpeg read
    on into the padding of the last packet (132,096 samples); the track's end ends it."""
    _, before = _decode(m4a)
    info, after = _decode(_copy(m4a, tmp_path, [(3000, 2 * PRIMING, 1)]))
    assert info.frames == len(after) == 3 * SR - PRIMING
    np.testing.assert_array_equal(after, before[PRIMING:])
    assert info.notice == "its MP4 edit list plays 3.000 s from 0.046 s of its 3.023 s audio " \
                          "track, past its end: the 2.977 s up to its end are read"


@pytest.mark.parametrize("parts", [(2, 0), (0, 0, 1)])
def test_edit_list_going_back_in_the_track_is_cut_in_passes(m4a, tmp_path, parts):
    """Parts out of the track's order (the last second first) or played again (the first
    second twice) are cut each from a further pass over the track."""
    _, before = _decode(m4a)
    path = _copy(m4a, tmp_path, [(1000, PRIMING + k * SR, 1) for k in parts])
    info, after = _decode(path)
    assert info.frames == len(after) == len(parts) * SR
    np.testing.assert_array_equal(after, np.concatenate([before[k * SR:(k + 1) * SR]
                                                         for k in parts]))
    assert info.notice.endswith("they are joined sample by sample, as players join them")


def test_edit_list_joining_parts_at_another_rate_says_how_they_are_joined(m4a, tmp_path):
    """Parts at another rate are read as FFmpeg joins them, and the note says how."""
    path = _copy(m4a, tmp_path, [(1000, PRIMING, 2.0), (1000, PRIMING + 2 * SR, 2.0)])
    info, after = _decode(path)
    assert len(after) == 2 * SR
    assert info.notice.startswith(
        "its MP4 edit list joins 2 parts of its audio track: they are joined at whole packets "
        "(FFmpeg's), so each part after the first may start up to a packet early (1024 "
        "samples for AAC), with a click at the join")


def test_edit_list_with_silence_at_another_rate_says_times_are_early(m4a, tmp_path):
    _, before = _decode(m4a)
    info, after = _decode(_copy(m4a, tmp_path, [(500, -1, 1), (3000, PRIMING, 2.0)]))
    np.testing.assert_array_equal(after[:SR], before[:SR])
    assert "starts the audio after 0.500 s of silence, which is not read: every time in the " \
           "results is 0.500 s early" in info.notice


def test_edit_list_of_an_m4a_with_its_index_first_is_followed(tmp_path):
    """An M4A written for streaming (its moov box before its audio)."""
    path = tmp_path / "first.m4a"
    _write_av(path, tone(440.0, 3.0, SR, channels=2), SR, container="ipod", codec="aac",
              movflags="faststart")
    _, before = _decode(path)
    info, after = _decode(set_edit_list(path, [(500, -1, 1), (1000, PRIMING, 1)]))
    assert len(after) == SR // 2 + SR
    assert not after[:SR // 2].any()
    np.testing.assert_array_equal(after[SR // 2:], before[:SR])


def test_edit_list_of_an_m4a_behind_an_id3_tag_is_followed(m4a, tmp_path):
    """A tagger's ID3 tag in front of the M4A: the edit list is cut from the audio after it."""
    _, before = _decode(m4a)
    path = _copy(m4a, tmp_path, [(500, -1, 1), (1000, PRIMING, 1), (1000, PRIMING + 2 * SR, 1)])
    frame = b"TIT2" + struct.pack(">I", 5) + b"\x00\x00\x03Song"
    tagged = tmp_path / "tagged.m4a"
    tagged.write_bytes(b"ID3\x04\x00\x00" + bytes([0, 0, 0, len(frame)]) + frame
                       + path.read_bytes())
    info, after = _decode(tagged)
    assert info.frames == len(after) == SR // 2 + 2 * SR
    assert not after[:SR // 2].any()
    np.testing.assert_array_equal(after[SR // 2:], np.concatenate([before[:SR],
                                                                    before[2 * SR:]]))
    assert "joined sample by sample" in info.notice


@pytest.fixture(scope="module")
def fragmented(tmp_path_factory):
    """A fragmented 3 s AAC MP4 (its samples in fragments after an index that states none),
    as FFmpeg writes it: no edit list, the encoder's 1024 samples of lead-in read first."""
    path = tmp_path_factory.mktemp("fragments") / "a.mp4"
    _write_av(path, tone(440.0, 3.0, SR, channels=2), SR, container="mp4", codec="aac",
              movflags="frag_keyframe+empty_moov+default_base_moof")
    return path


def test_edit_list_of_a_fragmented_mp4_is_followed_to_its_length(fragmented, tmp_path):
    """FFmpeg left out the lead-in but read on to the end of the last packet (133,120
    samples, its padding included), probing 133,324."""
    _, whole = _decode(fragmented)
    assert len(whole) == PRIMING + 3 * SR
    path = tmp_path / "b.mp4"
    shutil.copy(fragmented, path)
    info, after = _decode(set_edit_list(path, [(3000, PRIMING, 1)]))
    assert audio_edit_list(str(path)).track_s is None
    assert info.frames == len(after) == 3 * SR
    np.testing.assert_array_equal(after, whole[PRIMING:])
    assert info.notice == ""


def test_edit_list_of_a_fragmented_mp4_starting_with_silence(fragmented, tmp_path):
    _, whole = _decode(fragmented)
    path = tmp_path / "b.mp4"
    shutil.copy(fragmented, path)
    info, after = _decode(set_edit_list(path, [(500, -1, 1), (3000, PRIMING, 1)]))
    assert info.frames == len(after) == SR // 2 + 3 * SR
    assert not after[:SR // 2].any()
    np.testing.assert_array_equal(after[SR // 2:], whole[PRIMING:])


def test_edit_list_with_hours_of_silence_is_read_without_it(m4a, tmp_path):
    """An empty edit of 700 s, more than the 600 s of silence read at most, is not read."""
    _, before = _decode(m4a)
    info, after = _decode(_copy(m4a, tmp_path, [(700_000, -1, 1), (3000, PRIMING, 1)]))
    np.testing.assert_array_equal(after[:3 * SR], before)
    assert "after 700.000 s of silence, which is not read: every time in the results is " \
           "700.000 s early" in info.notice


def test_edit_list_of_silence_alone_is_an_empty_file(m4a, tmp_path):
    with pytest.raises(EmptyFileError, match=r"plays no audio: its MP4 edit list plays 3\.000 s "
                                             r"of silence and no part of its audio track"):
        probe(_copy(m4a, tmp_path, [(3000, -1, 1)]))


def test_alac_m4a_edit_list_gives_no_note(tmp_path):
    path = write_audio(tmp_path / "a.m4a", tone(440.0, 1.0, SR, channels=1), SR,
                       subtype="ALAC")
    assert probe(path).notice == ""


def test_alac_m4a_edit_list_with_silence_and_parts_is_cut_by_samples(tmp_path):
    """ALAC packets hold 4096 samples: the parts are cut within them all the same."""
    path = write_audio(tmp_path / "a.m4a", tone(440.0, 3.0, SR, channels=2), SR,
                       subtype="ALAC")
    _, before = _decode(path)
    info, after = _decode(set_edit_list(path, [(500, -1, 1), (1000, 0, 1), (1000, 2 * SR, 1)]))
    assert info.frames == len(after) == SR // 2 + 2 * SR
    assert not after[:SR // 2].any()
    np.testing.assert_array_equal(after[SR // 2:], np.concatenate([before[:SR],
                                                                    before[2 * SR:]]))


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


def _edits(*edits, track_s=3.0):
    return EditList(stated=len(edits), edits=tuple(Edit(d, m, r) for d, m, r in edits),
                    track_s=track_s)


@pytest.mark.parametrize(("found", "cuts"), [
    (None, ()),
    (_edits((2.0, 0.5, 1.0)), ()),  # one edit within the track: FFmpeg reads it exactly
    (_edits((0.5, None, 1.0), (2.0, 0.0, 1.0)), ((None, 500), (0, 2000))),
    (_edits((1.0, 2.5, 1.0)), ((2500, 500),)),  # past the end: up to the end of the track
    (_edits((1.0, 2.5, 1.0), track_s=None), ((2500, 1000),)),  # fragmented: as stated
    (_edits((1.0, 0.0, 1.0), (1.0, 2.0, 1.0), (0.25, None, 1.0)),
     ((0, 1000), (2000, 1000), (None, 250))),
    (_edits((1.0, 2.0, 1.0), (1.0, 0.0, 1.0)), ((2000, 1000), (0, 1000))),  # back
    (_edits((1.0, 0.0, 1.0), (1.0, 0.5, 1.0)), ((0, 1000), (500, 1000))),  # overlapping
    (_edits((0.5, None, 1.0), (2.0, 0.0, 2.0)), ()),  # at another rate
    (_edits((601.0, None, 1.0), (2.0, 0.0, 1.0)), ()),  # over 600 s of silence
    (_edits((0.5, None, 1.0)), ()),  # silence alone: an empty file
    (_edits(*[(0.1, 0.0, 1.0)] * 8), ((0, 100),) * 8),  # 8 passes
    (_edits(*[(0.1, 0.0, 1.0)] * 9), ()),  # 9 passes: left to FFmpeg
])
def test_edit_cuts_in_samples(found, cuts):
    assert edit_cuts(found, 1000) == cuts


def _box(kind: bytes, *parts: bytes) -> bytes:
    body = b"".join(parts)
    return struct.pack(">I4s", 8 + len(body), kind) + body


def _head(kind: bytes, scale: int, duration: int, *, version: int = 0, tail: int = 4) -> bytes:
    """An ``mvhd`` or ``mdhd`` box: version and flags, creation and change times, time scale,
    duration (32-bit in version 0, 64-bit in version 1), then ``tail`` bytes of the fields
    that follow."""
    if version == 1:
        body = struct.pack(">B3xQQIQ", 1, 0, 0, scale, duration)
    else:
        body = struct.pack(">B3xIIII", 0, 0, 0, scale, duration)
    return _box(kind, body + bytes(tail))


def _hdlr(handler: bytes = b"soun") -> bytes:
    return _box(b"hdlr", bytes(8) + handler + bytes(12) + b"\x00")


def _elst_box(*edits, version: int = 0, stated: int | None = None) -> bytes:
    """An ``elst`` box of ``(duration, media time, rate)`` edits in the file's time scales."""
    fmt = ">QqhH" if version == 1 else ">IihH"
    body = b"".join(struct.pack(fmt, d, m, int(r), round(r % 1 * 65536)) for d, m, r in edits)
    count = len(edits) if stated is None else stated
    return _box(b"elst", struct.pack(">B3xI", version, count) + body)


def _track(*, handler=b"soun", edits=((3000, PRIMING, 1),), mdhd=None) -> bytes:
    """A ``trak`` box: its edit list, then its media header (3 s and its lead-in at 44.1 kHz
    unless ``mdhd`` is given) and handler."""
    mdhd = _head(b"mdhd", SR, 3 * SR + PRIMING) if mdhd is None else mdhd
    return _box(b"trak", _box(b"edts", _elst_box(*edits)), _box(b"mdia", mdhd, _hdlr(handler)))


def _mp4(tmp_path, *moov: bytes, name="s.mp4", mvhd=None) -> str:
    """An MP4 of an ``ftyp`` box and a ``moov`` box (a movie header at 1000 units a second
    unless ``mvhd`` is given, then ``moov``)."""
    mvhd = _head(b"mvhd", 1000, 3000, tail=80) if mvhd is None else mvhd
    path = tmp_path / name
    path.write_bytes(_box(b"ftyp", b"M4A \x00\x00\x00\x00") + _box(b"moov", mvhd, *moov))
    return str(path)


#: The edit list of :func:`_track`, as read.
_ORDINARY = (Edit(duration_s=3.0, media_s=PRIMING / SR, rate=1.0),)


def test_edit_list_walk_stops_after_exactly_max_boxes_headers(tmp_path):
    """The edit list below needs 9 box headers besides the padding (ftyp, moov, mvhd, trak,
    mdia, mdhd, hdlr, edts, elst): it is found when they are the last ones allowed."""
    trak = _box(b"trak", _box(b"mdia", _head(b"mdhd", SR, 3 * SR), _hdlr()),
                _box(b"edts", _elst_box((3000, 0, 1))))
    moov = _box(b"moov", _head(b"mvhd", 1000, 3000, tail=80), trak)
    for pad, found in ((MAX_BOXES - 9, True), (MAX_BOXES - 8, False)):
        path = tmp_path / f"pad{pad}.mp4"
        path.write_bytes(_box(b"ftyp", b"M4A \x00\x00\x00\x00")
                         + struct.pack(">I4s", 8, b"free") * pad + moov)
        assert (audio_edit_list(str(path)) is not None) is found


@pytest.mark.parametrize(("moov_tail", "track_s"), [
    (_box(b"mvex"), None),  # fragmented: an empty mvex box, the last of the file
    (b"", 3.0),
])
def test_edit_list_of_a_fragmented_mp4_ignores_the_length_its_media_header_states(
        tmp_path, moov_tail, track_s):
    """Only the fragments tell a fragmented file's length, whatever its media header says."""
    path = _mp4(tmp_path, _track(mdhd=_head(b"mdhd", SR, 3 * SR)), moov_tail)
    assert audio_edit_list(path) == EditList(stated=1, edits=_ORDINARY, track_s=track_s)


def test_edit_list_of_a_track_whose_media_header_states_no_length(tmp_path):
    path = _mp4(tmp_path, _track(mdhd=_head(b"mdhd", SR, 0)))
    assert audio_edit_list(path) == EditList(stated=1, edits=_ORDINARY, track_s=None)


@pytest.mark.parametrize(("mvhd", "mdhd", "version", "scale"), [
    (0, 0, 0, SR),
    (1, 1, 1, SR),
    (1, 1, 1, 3_000_000_000),  # a time scale over 2**31
])
def test_edit_list_headers_of_both_versions_are_read(tmp_path, mvhd, mdhd, version, scale):
    """Version 1 headers and edit lists hold 64-bit durations and times; every field is
    unsigned but an edit's media time (-1 for an empty edit)."""
    duration = 3_000_000_000 if mdhd == 0 else 2 ** 34  # both over 2**31
    edits = ((500, -1, 1), (3000, PRIMING, 1), (2 ** 33 if version else 2 ** 31, 0, 1.5))
    path = _mp4(tmp_path, _box(b"trak", _box(b"edts", _elst_box(*edits, version=version)),
                               _box(b"mdia", _head(b"mdhd", scale, duration, version=mdhd),
                                    _hdlr())),
                mvhd=_head(b"mvhd", 1000, 3000, version=mvhd, tail=80))
    assert audio_edit_list(path) == EditList(
        stated=3, track_s=duration / scale,
        edits=(Edit(0.5, None, 1.0), Edit(3.0, PRIMING / scale, 1.0),
               Edit(edits[2][0] / 1000, 0.0, 1.5)))


@pytest.mark.parametrize(("mdhd", "track_s"), [
    (_box(b"mdhd", struct.pack(">B3xIIII", 0, 0, 0, SR, 3 * SR)), 3.0),  # 20 bytes: enough
    (_box(b"mdhd", struct.pack(">B3xQQIQ", 1, 0, 0, SR, 3 * SR)), 3.0),  # 32 bytes: enough
    (_box(b"mdhd", struct.pack(">B3xIII", 0, 0, 0, SR)), False),  # no duration
    # a version not known, laid out as version 1
    (_box(b"mdhd", struct.pack(">B3xQQIQ", 2, 0, 0, SR, 3 * SR)), False),
    (_head(b"mdhd", 0, 3 * SR), False),  # no time scale
])
def test_media_header_at_the_end_of_the_file_is_read_up_to_its_end(tmp_path, mdhd, track_s):
    """The media header is the file's last box, cut short or not: a header that does not give
    the track's time scale leaves the edit list unread."""
    path = _mp4(tmp_path, _box(b"trak", _box(b"edts", _elst_box((3000, PRIMING, 1))),
                               _box(b"mdia", _hdlr(), mdhd)))
    found = audio_edit_list(path)
    if track_s is False:
        assert found is None
    else:
        assert found == EditList(stated=1, edits=_ORDINARY, track_s=track_s)


def test_edit_list_of_the_first_audio_track_is_read(tmp_path):
    """A video track and a track that names no handler come first: neither is audio."""
    video = _track(handler=b"vide", edits=((1000, 0, 1),))
    unnamed = _box(b"trak", _box(b"edts", _elst_box((1500, 0, 1))),
                   _box(b"mdia", _head(b"mdhd", SR, 3 * SR)))
    second = _track(edits=((2000, 0, 1),))
    path = _mp4(tmp_path, video, unnamed, _track(), second)
    assert audio_edit_list(path).edits == _ORDINARY


@pytest.mark.parametrize("case", ["no audio track", "an edts box without elst",
                                  "no media header", "no movie header"])
def test_edit_list_not_found(tmp_path, case):
    if case == "no audio track":
        path = _mp4(tmp_path, _track(handler=b"vide"))
    elif case == "an edts box without elst":
        path = _mp4(tmp_path, _box(b"trak", _box(b"edts", _box(b"free")),
                                   _box(b"mdia", _head(b"mdhd", SR, 3 * SR), _hdlr())))
    elif case == "no media header":
        path = _mp4(tmp_path, _box(b"trak", _box(b"edts", _elst_box((3000, PRIMING, 1))),
                                   _box(b"mdia", _hdlr())))
    else:
        path = _mp4(tmp_path, _track(), mvhd=b"")
    assert audio_edit_list(path) is None


def test_edit_list_cut_short_at_the_end_of_the_file_holds_no_edit(tmp_path):
    """An elst box that ends before its count: an edit list of no edits, stating none."""
    trak = _box(b"trak", _box(b"mdia", _head(b"mdhd", SR, 3 * SR), _hdlr()),
                _box(b"edts", _box(b"elst", bytes(4))))
    found = audio_edit_list(_mp4(tmp_path, trak))
    assert found == EditList(stated=0, edits=(), track_s=3.0)
    assert edit_list_notice(found).startswith("its MP4 edit list is empty: ")


def test_edit_list_behind_a_box_of_2_gib(tmp_path, monkeypatch):
    """A box size of 2**31 bytes or more is an unsigned number: the index after a media box
    of 2 GiB is found, in a file of exactly that layout (shown to the reader, not written)."""
    path = str(tmp_path / "big.mp4")
    head = _box(b"ftyp", b"M4A \x00\x00\x00\x00") + struct.pack(">I4s", 2 ** 31 + 8, b"mdat")
    moov = _box(b"moov", _head(b"mvhd", 1000, 3000, tail=80), _track())
    at = len(head) + 2 ** 31  # the media box's header, then its 2 GiB
    hold_file(monkeypatch, mp4edits, path, at + len(moov), {0: head, at: moov})
    assert audio_edit_list(path).edits == _ORDINARY


@pytest.mark.parametrize("size", ["64-bit", "to the end of the file"])
def test_edit_list_in_a_moov_box_of_either_size_form(m4a, tmp_path, size):
    """An index box whose size is given in 64 bits after its name, or as 0 (it runs to the end
    of the file): the edit list in it is followed."""
    _, before = _decode(m4a)
    path = _copy(m4a, tmp_path, [(500, -1, 1), (3000, PRIMING, 1)])
    data = path.read_bytes()
    at = data.rindex(b"moov") - 4
    moov_size = struct.unpack(">I", data[at:at + 4])[0]
    assert at + moov_size == len(data)  # the index is the file's last box
    if size == "64-bit":
        head = struct.pack(">I4sQ", 1, b"moov", moov_size + 8)
    else:
        head = struct.pack(">I4s", 0, b"moov")
    path.write_bytes(data[:at] + head + data[at + 8:])
    found = audio_edit_list(str(path))
    assert found.edits == (Edit(0.5, None, 1.0), Edit(3.0, PRIMING / SR, 1.0))
    info, after = _decode(path)
    assert info.frames == len(after) == SR // 2 + 3 * SR
    np.testing.assert_array_equal(after[SR // 2:], before)


class _CountedFile:
    """A file opened for reading that counts the bytes read from it."""

    def __init__(self, path, mode, counts):
        self.fh, self.counts = open(path, mode), counts  # noqa: SIM115 (closed by __exit__)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.fh.close()

    def seek(self, *args):
        return self.fh.seek(*args)

    def read(self, n=-1):
        data = self.fh.read(n)
        self.counts.append(len(data))
        return data


def test_edit_list_is_found_with_a_few_small_reads(tmp_path, monkeypatch):
    """An M4A with its index before its audio: the reads stop at the boxes they need."""
    path = tmp_path / "first.m4a"
    _write_av(path, tone(440.0, 3.0, SR, channels=2), SR, container="ipod", codec="aac",
              movflags="faststart")
    counts: list[int] = []
    monkeypatch.setattr(mp4edits, "open",
                        lambda p, mode="r": _CountedFile(p, mode, counts), raising=False)
    assert audio_edit_list(str(path)).edits == _ORDINARY
    assert max(counts) <= 32
    assert sum(counts) < 1000 < path.stat().st_size // 10


def test_empty_edit_list_stating_edits_says_so(m4a, tmp_path):
    info, after = _decode(_copy(m4a, tmp_path, [], stated=2))
    assert len(after) == 3 * SR + PRIMING
    assert info.notice == (
        "its MP4 edit list is empty, though it states 2 edits: the audio track is read whole "
        "from its first sample, with any lead-in its encoder put first (which an edit list "
        "usually leaves out)")


def test_edit_list_stating_fewer_edits_than_the_parts_it_joins(m4a, tmp_path):
    _, before = _decode(m4a)
    path = _copy(m4a, tmp_path, [(1000, PRIMING, 1), (1000, PRIMING + 2 * SR, 1)], stated=1)
    info, after = _decode(path)
    np.testing.assert_array_equal(after, np.concatenate([before[:SR], before[2 * SR:]]))
    assert info.notice == (
        "its MP4 edit list states 1 edit but holds 2: the 2 edits it holds are followed; "
        "its MP4 edit list joins 2 parts of its audio track: they are joined sample by "
        "sample, as players join them")


def test_edit_list_stating_edits_past_2_gib_is_still_read(m4a, tmp_path):
    path = _copy(m4a, tmp_path, [(3000, PRIMING, 1)], stated=2 ** 32 - 1)
    assert audio_edit_list(str(path)).stated == 2 ** 32 - 1
    assert probe(path).notice.startswith("its MP4 edit list states 4294967295 edits but "
                                         "holds 1")


def test_edit_list_with_one_part_at_a_fractional_rate_names_that_rate(m4a, tmp_path):
    path = _copy(m4a, tmp_path, [(1000, PRIMING, 1), (1000, PRIMING + 2 * SR, 1.5)])
    assert audio_edit_list(str(path)).edits[1].rate == 1.5
    assert probe(path).notice.endswith(
        "its MP4 edit list plays the audio at 1.5 times its speed, which is not followed: "
        "it is read at its own speed")


def test_edit_list_starting_with_an_empty_edit_of_no_length(m4a, tmp_path):
    _, before = _decode(m4a)
    info, after = _decode(_copy(m4a, tmp_path, [(0, -1, 1), (3000, PRIMING, 1)]))
    np.testing.assert_array_equal(after, before)
    assert info.notice == ""


def test_edit_list_playing_the_end_of_the_track_gives_no_note(m4a, tmp_path):
    _, before = _decode(m4a)
    info, after = _decode(_copy(m4a, tmp_path, [(1000, PRIMING + 2 * SR, 1)]))
    # FFmpeg starts decoding a packet before the part: its first samples differ a little
    assert info.frames == len(after) == SR
    np.testing.assert_allclose(after, before[2 * SR:], atol=2e-3)
    assert info.notice == ""


def test_edit_list_part_after_the_end_of_the_track_reads_nothing(m4a, tmp_path):
    _, before = _decode(m4a)
    info, after = _decode(_copy(m4a, tmp_path, [(1000, PRIMING, 1), (1000, 4 * SR, 1)]))
    assert info.frames == len(after) == SR
    np.testing.assert_array_equal(after, before[:SR])
    assert info.notice.endswith(
        "its MP4 edit list plays 1.000 s from 4.000 s of its 3.023 s audio track, past its "
        "end: the 0.000 s up to its end are read")


@pytest.mark.parametrize(("found", "cuts"), [
    (_edits((600.0, None, 1.0), (2.0, 0.0, 1.0)), ((None, 600_000), (0, 2000))),  # 600 s
    # 8 passes: the last part starts 10 µs before the end of the one before, no pass more
    (_edits(*[(0.1, 0.0, 1.0)] * 8, (0.1, 0.1 - 1e-5, 1.0)), ((0, 100),) * 8 + ((100, 100),)),
    (_edits((3.0 + 1e-3, 0.0, 1.0)), ()),  # 1 ms past the end: not past it
    (_edits((1.0, 0.0, 1.0), (1.0, 3.5, 1.0)), ((0, 1000), (3000, 0))),
])
def test_edit_cuts_at_their_limits(found, cuts):
    assert edit_cuts(found, 1000) == cuts


@pytest.mark.parametrize(("found", "notice"), [
    (_edits((0.5, None, 1.0)), ""),  # silence alone
    (_edits((2.9, 0.0, 1.0)), ""),  # 0.1 s left out: no note
    (_edits((2.8, 0.0, 1.0)), "its MP4 edit list plays 2.800 s of its 3.000 s audio track: "
                              "that part is read"),
])
def test_edit_list_notice_at_its_limits(found, notice):
    assert edit_list_notice(found) == notice
