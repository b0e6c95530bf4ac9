"""MP3s whose chain of frames breaks (damaged headers, bytes between frames) are read by
FFmpeg, quietly, and the song's note says where; whole chains stay with libsndfile."""

from __future__ import annotations

import numpy as np
import pytest

from core.analysis.decode import probe, stream
from core.analysis.mp3frames import mp3_breaks
from core.analysis.sniff import _mpeg_frame
from tests.audio_files import tone, write_audio

SR = 44100
#: Samples per MPEG-1 Layer III frame.
_FRAME = 1152


def _frames(data: bytes) -> list[int]:
    """Offsets of the frames of an MP3 written by libsndfile (no ID3 tag)."""
    offsets, i = [], 0
    while (frame := _mpeg_frame(data, i)) is not None:
        offsets.append(i)
        i += frame[0]
    return offsets


def _song(tmp_path, seconds=4.0):
    path = write_audio(tmp_path / "song.mp3", tone(440.0, seconds, SR, channels=2), SR)
    data = path.read_bytes()
    return path, data, _frames(data)


def _decode(path):
    info = probe(path)
    return info, np.concatenate(list(stream(path, info=info)))


def _peak_hz(y) -> float:
    spectrum = np.abs(np.fft.rfft(y[:, 0]))  # channel 1 is detuned by 3 %
    return float(np.argmax(spectrum) * SR / len(y))


@pytest.mark.parametrize("hurt", ["headers zeroed", "junk between frames"])
def test_mp3_whose_frames_break_is_read_quietly_with_a_note(tmp_path, capfd, hurt):
    """libmpg123 wrote "Note: Illegal Audio-MPEG-Header ...", "Note: Trying to resync...",
    "Note: Skipped 182 bytes in input." to the terminal for each break, and after junk
    between frames ended a 4 s song early, "cut short"."""
    path, data, frames = _song(tmp_path)
    at = frames[40::40]  # after the Xing frame and 39, 79, 119 frames of 1152 samples
    hurt_data = bytearray(data)
    for offset in reversed(at):
        if hurt == "headers zeroed":
            hurt_data[offset:offset + 4] = bytes(4)
        else:
            hurt_data[offset:offset] = b"JUNK" * 30
    path.write_bytes(bytes(hurt_data))
    capfd.readouterr()
    info, y = _decode(path)
    assert capfd.readouterr().err == ""
    assert info.notice == ("its MPEG audio is broken in 3 places, the first at 0:01.0 (1.0 s), "
                           "by bytes that are no audio frame (damage, or a tag in the middle): "
                           "they were skipped")
    assert abs(len(y) - 4.0 * SR) < 8 * _FRAME
    assert _peak_hz(y) == pytest.approx(440.0, abs=1.0)


def test_mp3_breaks_are_placed_where_they_are(tmp_path):
    path, data, frames = _song(tmp_path)
    hurt = bytearray(data)
    hurt[frames[100]:frames[100] + 4] = bytes(4)
    path.write_bytes(bytes(hurt))
    assert mp3_breaks(path) == [pytest.approx(99 * _FRAME / SR)]  # the Xing frame is none


@pytest.mark.parametrize("tail", ["nothing", "ID3v1", "APEv2 and ID3v1", "zeros", "junk",
                                  "last frame cut"])
def test_whole_mp3_chain_is_no_break_and_stays_with_libsndfile(tmp_path, capfd, tail):
    """Tags, zeros, junk or a frame cut short after the last whole frame end the chain; they
    break nothing.  After zeros or junk libmpg123 warned twice per song "Warning: Xing stream
    size off by more than 1%, fuzzy seeking may be even more fuzzy than by design!": it is
    shown the file up to the end of the chain, and reads the same samples."""
    path, data, frames = _song(tmp_path, seconds=2.0)
    clean = _decode(path)[1]
    ape = b"APETAGEX" + (2000).to_bytes(4, "little") + (32).to_bytes(4, "little") + bytes(16)
    data += {"nothing": b"", "ID3v1": b"TAG" + bytes(125), "zeros": bytes(3000),
             "junk": np.random.default_rng(3).bytes(3000).replace(b"\xff", b"\x00"),
             "APEv2 and ID3v1": ape + b"TAG" + bytes(125), "last frame cut": b""}[tail]
    if tail == "last frame cut":
        data = data[:-100]
    path.write_bytes(data)
    assert mp3_breaks(path) == []
    capfd.readouterr()
    info, y = _decode(path)
    assert (info.backend, info.notice) == ("soundfile", "")
    assert capfd.readouterr().err == ""
    if tail != "last frame cut":
        np.testing.assert_array_equal(y, clean)


def test_mp3_whose_xing_header_declares_fewer_frames_is_read_to_its_end(tmp_path):
    """libsndfile stopped, without a word, after the frames the Xing header declares: a
    third of the song was read."""
    import struct

    path, data, frames = _song(tmp_path, seconds=6.0)
    at = data.find(b"Info") if b"Info" in data[:200] else data.find(b"Xing")
    declared = struct.unpack(">I", data[at + 8:at + 12])[0]
    path.write_bytes(data[:at + 8] + struct.pack(">I", declared // 3) + data[at + 12:])
    info, y = _decode(path)
    assert abs(len(y) - 6.0 * SR) < 2 * _FRAME
    assert info.duration_s == pytest.approx(6.0, abs=0.1)
    assert info.notice == ("its Xing header declares 0:02.0 (2.0 s) of audio but 0:06.0 "
                           "(6.0 s) of MPEG frames follow it: read to the end")


def test_mp3s_joined_are_no_break_and_say_nothing_on_stderr(tmp_path, capfd):
    """An ID3 tag between joined MP3s is no damage (core.analysis.joined reads the parts);
    libmpg123 warned on opening them that the first Xing header's size is off."""
    path, data, frames = _song(tmp_path, seconds=1.0)
    tag = b"ID3\x03\x00\x00\x00\x00\x00\x10TIT2\x00\x00\x00\x06\x00\x00\x03Intro"
    joined = tmp_path / "joined.mp3"
    joined.write_bytes(data + tag + data)
    capfd.readouterr()
    info, y = _decode(joined)
    assert len(info.parts) == 2 and info.notice == ""
    assert capfd.readouterr().err == ""
