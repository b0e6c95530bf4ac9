"""MP3s whose chain of frames breaks (damaged headers, bytes between frames) are read by
FFmpeg, quietly, and the song's note says where; whole chains stay with libsndfile."""

from __future__ import annotations

import numpy as np
import pytest

from core.analysis.decode import probe, stream
from core.analysis.mp3frames import Mp3Chain, mp3_breaks, mp3_chain
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


@pytest.mark.parametrize("tail", ["nothing", "ID3v1", "APEv2 and ID3v1", "Lyrics3 and ID3v1",
                                  "ID3v2", "zeros", "junk", "4 bytes of junk", "last frame cut"])
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
             "APEv2 and ID3v1": ape + b"TAG" + bytes(125), "last frame cut": b"",
             "Lyrics3 and ID3v1": b"LYRICSBEGIN[ind:0100]000016LYRICS200" + b"TAG" + bytes(125),
             "ID3v2": b"ID3\x03\x00\x00\x00\x00\x00\x10TIT2\x00\x00\x00\x06\x00\x00\x03Intro",
             "4 bytes of junk": b"JUNK"}[tail]
    if tail == "last frame cut":
        data = data[:-100]
    path.write_bytes(data)
    chain = mp3_chain(path)
    assert chain.breaks == []
    # Zeros or junk: libsndfile is shown the file up to the end of the chain.
    assert chain.junk_at == (frames[-1] + _mpeg_frame(data, frames[-1])[0]
                             if tail in ("zeros", "junk", "4 bytes of junk") else None)
    # Every whole frame's audio but the Xing frame's.
    whole = len(frames) - 1 - (tail == "last frame cut")
    assert chain.seconds == pytest.approx(whole * _FRAME / SR)
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


def _hurt(data: bytes, frames: list[int], junk: dict[int, bytes]) -> bytes:
    """``data`` with ``junk[k]`` inserted before frame ``k``."""
    out = bytearray(data)
    for k in sorted(junk, reverse=True):
        out[frames[k]:frames[k]] = junk[k]
    return bytes(out)


def test_breaks_are_timed_from_where_the_audio_starts(tmp_path):
    """Without a Xing frame the first frame holds audio; bytes before the first frame, or
    before ``start`` (where the audio starts after a tag), are not part of the chain."""
    path, data, frames = _song(tmp_path)
    bare = data[frames[1]:]  # no Xing frame
    offsets = [f - frames[1] for f in frames[1:]]
    hurt = bytearray(bare)
    hurt[offsets[99]:offsets[99] + 4] = bytes(4)
    path.write_bytes(bytes(hurt))
    assert mp3_breaks(path) == [pytest.approx(99 * _FRAME / SR)]
    assert mp3_breaks(path, offsets[20]) == [pytest.approx(79 * _FRAME / SR)]
    path.write_bytes(b"\x00" * 500 + bytes(hurt))  # bytes that are no frame before the first
    assert mp3_breaks(path) == [pytest.approx(99 * _FRAME / SR)]


def test_a_file_without_frames_has_no_breaks(tmp_path):
    path = tmp_path / "noise.mp3"
    path.write_bytes(np.random.default_rng(1).bytes(20000).replace(b"\xff", b"\x00"))
    chain = mp3_chain(path)
    assert (chain.breaks, chain.junk_at, chain.seconds, chain.declared) == ([], None, 0.0, None)
    path.write_bytes(b"\xff\xfb\x90")  # too short to hold a frame
    assert mp3_chain(path) == Mp3Chain([], None)
    assert mp3_chain(tmp_path / "missing.mp3") == Mp3Chain([], None)


def test_the_chain_is_found_again_right_after_a_single_byte_and_past_long_junk(tmp_path):
    """The frames after a break are searched for from the next byte, 64 KiB at a time:
    one stray byte hides no frame, and 150,000 or 66,000 bytes of zeros between frames
    (longer than the window, and ending just past its first reach) lose none of the frames
    after them."""
    path, data, frames = _song(tmp_path, seconds=6.0)
    all_audio = (len(frames) - 1) * _FRAME / SR  # the Xing frame holds none
    path.write_bytes(_hurt(data, frames, {40: b"\x00", 80: b"J"}))
    chain = mp3_chain(path)
    assert chain.breaks == [pytest.approx(39 * _FRAME / SR), pytest.approx(79 * _FRAME / SR)]
    assert chain.seconds == pytest.approx(all_audio)
    path.write_bytes(_hurt(data, frames, {40: bytes(150_000), 80: bytes(66_000)}))
    chain = mp3_chain(path)
    assert chain.breaks == [pytest.approx(39 * _FRAME / SR), pytest.approx(79 * _FRAME / SR)]
    assert chain.seconds == pytest.approx(all_audio)
    info, y = _decode(path)
    assert info.notice.startswith("its MPEG audio is broken in 2 places, the first at 0:01.0 (1.0 s)")
    assert abs(len(y) - 6.0 * SR) < 8 * _FRAME


def test_free_format_frames_after_long_junk_are_found_however_the_windows_fall(tmp_path):
    """The frames after a break are searched for in overlapping windows of 64 KiB, and a
    run of frames is known by three headers: free-format frames of 2880 bytes (640 kbit/s
    at 32 kHz, the longest looked for) take 5764 bytes to show three.  With windows
    overlapping by 4 KiB, a run starting within 5.7 KiB of the first window's end was seen
    by neither window, and its first frame was lost (junk of 59,800 to 61,400 bytes)."""
    frame = bytes([0xFF, 0xFB, 0x08, 0xC4]) + bytes(2876)  # bit rate index 0, 32 kHz, mono
    path = tmp_path / "free.mp3"
    for junk in range(59_000, 62_500, 100):
        path.write_bytes(frame * 10 + bytes(junk) + frame * 30)
        chain = mp3_chain(path)
        assert chain.free and chain.breaks == [pytest.approx(10 * _FRAME / 32000)], junk
        assert chain.seconds == pytest.approx(40 * _FRAME / 32000), junk


def test_a_frame_that_lost_its_first_byte_is_a_break_after_the_frame_before(tmp_path):
    """The frames after a break are searched for from the byte after it: the last byte of
    the frame before (here 0xFF) is not taken for the lost first byte of a header, and the
    hurt frame is no audio; the chain is found again at the frame after it."""
    path, data, frames = _song(tmp_path)
    hurt = bytearray(data)
    k = 50
    hurt[frames[k] - 1] = 0xFF
    del hurt[frames[k]]
    path.write_bytes(bytes(hurt))
    chain = mp3_chain(path)
    assert chain.breaks == [pytest.approx((k - 1) * _FRAME / SR)]
    assert chain.seconds == pytest.approx((len(frames) - 2) * _FRAME / SR)


def test_three_frames_after_a_break_are_the_chain_found_again(tmp_path):
    """Damage near the end: three whole frames, then an ID3v1 tag, after the break."""
    path, data, frames = _song(tmp_path, seconds=2.0)
    n = len(frames)
    path.write_bytes(_hurt(data, frames, {n - 3: b"JUNK" * 30}) + b"TAG" + bytes(125))
    chain = mp3_chain(path)
    assert chain.breaks == [pytest.approx((n - 4) * _FRAME / SR)]
    assert (chain.junk_at, chain.seconds) == (None, pytest.approx((n - 1) * _FRAME / SR))


def test_xing_header_may_leave_out_its_frame_count_or_its_byte_count(tmp_path):
    """A Xing header's flags say which counts it gives: the frames it declares are read
    only from a header that gives them, and one that gives the stream's size alone
    declares nothing (the song is read whole, without a note)."""
    import struct

    path, data, frames = _song(tmp_path, seconds=6.0)
    at = data.find(b"Info") if b"Info" in data[:200] else data.find(b"Xing")
    flags, declared = struct.unpack(">II", data[at + 4:at + 12])
    assert flags & 3 == 3
    # The same frame, without one of the counts: the rest moved up 4 bytes.
    frames_alone = (data[:at + 4] + struct.pack(">II", flags & ~2, declared // 3)
                    + data[at + 16:frames[1]] + bytes(4))
    size_alone = data[:at + 4] + struct.pack(">I", flags & ~1) + data[at + 12:frames[1]] + bytes(4)
    assert len(frames_alone) == len(size_alone) == frames[1]
    path.write_bytes(frames_alone + data[frames[1]:])
    assert mp3_chain(path).declared == pytest.approx(declared // 3 * _FRAME / SR)
    path.write_bytes(size_alone + data[frames[1]:])
    assert mp3_chain(path).declared is None
    info, y = _decode(path)
    assert info.notice == "" and abs(len(y) - 6.0 * SR) < 2 * _FRAME


def test_a_tag_between_frames_is_a_break(tmp_path):
    """An ID3v1 tag pasted between two frames (not files joined end to end: no second
    file follows, the frames run on) is bytes that are no frame."""
    path, data, frames = _song(tmp_path)
    path.write_bytes(_hurt(data, frames, {60: b"TAG" + bytes(125)}))
    assert mp3_breaks(path) == [pytest.approx(59 * _FRAME / SR)]


@pytest.mark.parametrize(("junk", "found"), [(200_000, True), (300_000, False)])
def test_the_first_frames_are_looked_for_in_the_first_256_kib(tmp_path, junk, found):
    """Where the audio starts, the walk looks for its first frames within 256 KiB: a file
    whose frames start later is not walked (libsndfile reads it as it can)."""
    path, data, frames = _song(tmp_path)
    hurt = bytearray(data)
    hurt[frames[100]:frames[100] + 4] = bytes(4)
    path.write_bytes(bytes(junk) + bytes(hurt))
    assert mp3_breaks(path) == ([pytest.approx(99 * _FRAME / SR)] if found else [])


def test_mpeg2_layer2_frames_hold_1152_samples(tmp_path):
    """MPEG-2 Layer II (MP2 at 24 kHz) frames hold 1152 samples, as MPEG-1 ones do; MPEG-2
    Layer III ones hold 576."""
    rate = 24000
    path = write_audio(tmp_path / "song.mp2", tone(440.0, 4.0, rate), rate)
    data = bytearray(path.read_bytes())
    offsets = _frames(bytes(data))
    assert _mpeg_frame(bytes(data), 0)[1] == (2, 2, rate)  # MPEG-2, Layer II
    data[offsets[50]:offsets[50] + 4] = bytes(4)
    path.write_bytes(bytes(data))
    chain = mp3_chain(path)
    assert chain.breaks == [pytest.approx(50 * _FRAME / rate)]


def test_a_song_shorter_than_a_second_is_timed_by_its_frames(tmp_path):
    path = write_audio(tmp_path / "short.mp3", tone(440.0, 0.5, SR, channels=2), SR)
    chain = mp3_chain(path)
    assert chain.seconds == pytest.approx(0.5, abs=2 * _FRAME / SR)
    info, y = _decode(path)
    assert info.notice == ""


def _with_xing_frames(data: bytes, frames: int) -> bytes:
    """``data`` (an MP3 written by libsndfile) whose Xing header declares ``frames``."""
    import struct

    at = data.find(b"Info") if b"Info" in data[:200] else data.find(b"Xing")
    return data[:at + 8] + struct.pack(">I", frames) + data[at + 12:]


@pytest.mark.parametrize("end", ["last frame", "ID3v1"])
def test_mp3_whose_xing_header_declares_more_frames_than_it_holds_is_read(tmp_path, end):
    """A Xing header declaring three times the frames that follow it, every frame whole:
    "the file is cut short: the audio ends at 0:06.0 but its header announces 0:18.1".
    The frames are the song, and the note says the header overstates its length."""
    path, data, frames = _song(tmp_path, seconds=6.0)
    clean = _decode(path)[1]
    path.write_bytes(_with_xing_frames(data, 3 * (len(frames) - 1))
                     + (b"TAG" + bytes(125) if end == "ID3v1" else b""))
    info, y = _decode(path)
    assert info.notice == ("its Xing header declares 0:18.1 (18.1 s) of audio but its MPEG "
                           "frames hold 0:06.0 (6.0 s), the last one whole: the header "
                           "overstates the length (or the file lost its end exactly between "
                           "two frames); read as it is")
    assert info.duration_s == pytest.approx(6.0, abs=0.05)
    # libmpg123 trims the encoder's padding at the end the header declares: the song's
    # own samples, and the padding after them.
    np.testing.assert_array_equal(y[:len(clean)], clean)
    assert len(y) - len(clean) < _FRAME


@pytest.mark.parametrize("end", ["cut within a frame", "zeros"])
def test_mp3_whose_xing_header_declares_more_frames_than_are_left_is_cut_short(tmp_path, end):
    """Audio that is really missing (the file ends within a frame, or zeros stand where
    frames were never written) is still a file cut short."""
    from core.errors import CorruptFileError

    path, data, frames = _song(tmp_path, seconds=6.0)
    data = _with_xing_frames(data, len(frames) - 1)
    kept = data[:frames[len(frames) // 2] + 100]
    path.write_bytes(kept if end == "cut within a frame"
                     else data[:frames[len(frames) // 2]] + bytes(len(data) // 2))
    with pytest.raises(CorruptFileError, match=r"the file is cut short: the audio ends at "
                                               r"0:0[23]\.\d \(\d\.\d s\) but its header "
                                               r"announces 0:06\.0"):
        _decode(path)


@pytest.mark.parametrize("end", ["within a frame", "between two frames"])
def test_cut_mp3_with_a_xing_header_says_nothing_on_stderr(tmp_path, capfd, end):
    """Cut in half, its Xing header stating twice the size left: libmpg123 wrote "Warning:
    Xing stream size off by more than 1%, fuzzy seeking may be even more fuzzy than by
    design!" to the terminal twice per song (at the probe and at the reading).  The song is
    still cut short, or read as it is when the cut falls between two frames."""
    from core.errors import CorruptFileError

    path, data, frames = _song(tmp_path, seconds=6.0)
    half = frames[len(frames) // 2]
    path.write_bytes(data[:half + 100] if end == "within a frame" else data[:half])
    capfd.readouterr()
    if end == "within a frame":
        got = 0
        with pytest.raises(CorruptFileError, match=r"cut short: the audio ends at 0:03\.0 "
                                                   r"\(3\.0 s\) but its header announces "
                                                   r"0:06\.0"):
            for block in stream(path, block_seconds=1.0):
                got += len(block)
        assert got == pytest.approx(3.0 * SR, abs=2 * _FRAME)
    else:
        info, y = _decode(path)
        assert info.notice.endswith("the header overstates the length (or the file lost its "
                                    "end exactly between two frames); read as it is")
        assert len(y) == pytest.approx(3.0 * SR, abs=2 * _FRAME)
    assert "Xing" not in capfd.readouterr().err


@pytest.mark.parametrize("intro", [2.0, 0.5])
def test_mp3_whose_frames_change_layer_is_read_to_its_end(tmp_path, intro):
    """2 s of MPEG-1 Layer II frames, then 6 s of Layer III ones (no Xing frame between):
    libmpg123 stopped where the layer changes, and the song was "cut short" at 2.0 s of
    the 2.9 s it estimated.  The change is timed where it is, within the first second too."""
    mp2 = write_audio(tmp_path / "intro.mp2", tone(440.0, intro, SR, channels=2), SR)
    path, data, frames = _song(tmp_path, seconds=6.0)
    path.write_bytes(mp2.read_bytes() + data[frames[1]:])
    chain = mp3_chain(path)
    assert chain.changes_at == pytest.approx(intro, abs=2 * _FRAME / SR)
    info, y = _decode(path)
    assert abs(len(y) - (6.0 + intro) * SR) < 4 * _FRAME
    assert _peak_hz(y[-2 * SR:]) == pytest.approx(440.0, abs=1.0)


def _free_format(tmp_path, seconds=4.0, xing=True):
    """``(free, fixed)``: a 160 kbit/s MP3 written by libsndfile (constant bit rate), and
    the same frames with the bit rate index of every header set to 0 (free format: each
    frame's length is where the next header starts); ``xing`` keeps the Info frame."""
    import soundfile as sf

    fixed = tmp_path / "fixed.mp3"
    sf.write(fixed, tone(440.0, seconds, SR, channels=2), SR, format="MP3",
             subtype="MPEG_LAYER_III", bitrate_mode="CONSTANT", compression_level=0.5)
    data = fixed.read_bytes()
    offsets = _frames(data)
    assert {data[i + 2] >> 4 for i in offsets} == {10}  # 160 kbit/s: 522 or 523 bytes
    if not xing:
        data = data[offsets[1]:]
        offsets = [i - offsets[1] for i in offsets[1:]]
        fixed.write_bytes(data)
    free = bytearray(data)
    for i in offsets:
        free[i + 2] &= 0x0F
    path = tmp_path / "free.mp3"
    path.write_bytes(bytes(free))
    return path, fixed


@pytest.mark.parametrize("xing", [True, False])
def test_free_format_mp3_is_read_as_the_same_frames_with_a_stated_bit_rate(tmp_path, capfd,
                                                                           xing):
    """No header of a free-format MP3 states its bit rate: SongCal found no frames in it
    and refused it, "the file looks like MPEG audio but cannot be decoded", though
    libsndfile reads it.  Each frame's length is found from where the next header of the
    stream starts; the song reads as the same frames with their bit rate stated do."""
    path, fixed = _free_format(tmp_path, xing=xing)
    chain = mp3_chain(path)
    assert chain.free and not mp3_chain(fixed).free
    assert chain._replace(free=False) == mp3_chain(fixed)
    assert chain.breaks == [] and chain.junk_at is None
    # an Info frame is named as a Xing header is, and so is none
    assert (chain.header, chain.first, chain.declared is None) == ("Xing", 0, not xing)
    assert chain.seconds == pytest.approx((156 - 1) * _FRAME / SR)  # 156 frames, 1 Info
    capfd.readouterr()
    info, y = _decode(path)
    assert (info.backend, info.notice) == ("soundfile", "")
    assert capfd.readouterr().err == ""
    np.testing.assert_array_equal(y, _decode(fixed)[1])
    assert abs(len(y) - (4.0 * SR if xing else 155 * _FRAME)) < 1
    assert _peak_hz(y) == pytest.approx(440.0, abs=1.0)


def _id3v2(padding: int) -> bytes:
    """An ID3v2.3 tag holding a title and ``padding`` bytes of padding (a tag with cover art
    is as long: the walk starts after it)."""
    frame = b"TIT2" + (6).to_bytes(4, "big") + b"\x00\x00\x03Intro"
    size = len(frame) + padding
    syncsafe = bytes((size >> shift) & 0x7F for shift in (21, 14, 7, 0))
    return b"ID3\x03\x00\x00" + syncsafe + frame + bytes(padding)


def test_free_format_mp3_behind_a_long_tag_is_read_as_free_format(tmp_path):
    """The frame length is found from the first frame on, wherever the tag before it ends
    (here after 8 KB, more than the span the length is looked for in)."""
    path, fixed = _free_format(tmp_path)
    tag = _id3v2(8000)
    path.write_bytes(tag + path.read_bytes())
    fixed.write_bytes(tag + fixed.read_bytes())
    chain = mp3_chain(path)
    assert chain.free and chain.first == len(tag) and chain.breaks == []
    assert chain._replace(free=False) == mp3_chain(fixed)
    assert chain.seconds == pytest.approx((156 - 1) * _FRAME / SR)
    np.testing.assert_array_equal(_decode(path)[1], _decode(fixed)[1])


@pytest.mark.parametrize("end", ["cut within a frame", "zeros", "ID3v1"])
def test_free_format_mp3_ends_as_any_mp3(tmp_path, end):
    """The walk of a free-format chain keeps the stream's frame length: a file cut within
    a frame is cut short against its Info header, zeros after the last frame are not
    shown to libsndfile, a tag after it is no break."""
    from core.errors import CorruptFileError

    path, fixed = _free_format(tmp_path)
    data = path.read_bytes()
    if end == "cut within a frame":
        path.write_bytes(data[:80 * 522 + 100])
        assert mp3_chain(path).cut
        with pytest.raises(CorruptFileError, match=r"cut short: the audio ends at 0:02\.0 "
                                                   r"\(2\.0 s\) but its header announces "
                                                   r"0:04\.0"):
            _decode(path)
        return
    path.write_bytes(data + (bytes(3000) if end == "zeros" else b"TAG" + bytes(125)))
    chain = mp3_chain(path)
    assert chain.breaks == [] and not chain.cut
    assert chain.junk_at == (len(data) if end == "zeros" else None)
    info, y = _decode(path)
    assert info.notice == ""
    np.testing.assert_array_equal(y, _decode(fixed)[1])


def test_free_format_frame_length_needs_two_headers_of_the_stream_after_it():
    """The length is the distance to the next header of the same stream (padding left
    out), confirmed by the header it leads to after that; a header-like byte pair in the
    audio data, or a header of another stream, is passed over."""
    from core.analysis.sniff import _free_length

    def header(padding=0, rate_index=0, mode=0):
        return bytes([0xFF, 0xFB, (rate_index << 2) | (padding << 1), mode << 6])

    body = bytes(300)
    stream = header(1) + body + header(0) + body[:-1] + header(0) + body[:-1]
    assert _free_length(stream, 0) == 303  # 304 bytes with its padding byte
    assert _mpeg_frame(stream, 304, 303) == (303, (3, 3, 44100))
    # A false header 100 bytes in (other rate, then the same stream but no third header).
    fake = bytearray(stream)
    fake[100:104] = header(0, rate_index=1)
    fake[150:154] = header(0)
    assert _free_length(bytes(fake), 0) == 303
    assert _free_length(stream[:500], 0) is None  # no third header: no length
    assert _free_length(header(0, mode=3) + body + header(0) + body + header(0), 0) is None
    assert _free_length(bytes([0xFF, 0xFB, 0x90, 0x64]) + bytes(500), 0) is None  # 128 kbit/s


def _with_vbri(data: bytes, frames: list[int], count: int) -> bytes:
    """``data`` (an MP3 written by libsndfile) whose Xing frame holds a VBRI header instead
    (as Fraunhofer's encoders write it) declaring ``count`` frames."""
    import struct

    first = bytearray(frames[1])
    first[:4] = data[:4]
    vbri = b"VBRI" + struct.pack(">HHHIIHHHH", 1, 1105, 75, len(data), count, 0, 1, 2, 1)
    first[36:36 + len(vbri)] = vbri
    return bytes(first) + data[frames[1]:]


def test_a_vbri_header_behind_a_long_tag_is_named_so(tmp_path):
    path, data, frames = _song(tmp_path, seconds=6.0)
    n = len(frames) - 1
    tag = _id3v2(3000)
    path.write_bytes(tag + _with_vbri(data, frames, n))
    chain = mp3_chain(path)
    assert (chain.header, chain.first) == ("VBRI", len(tag))
    assert chain.declared == pytest.approx(n * _FRAME / SR)
    assert chain.seconds == pytest.approx(n * _FRAME / SR)


@pytest.mark.parametrize("declares", ["its frames", "a third", "three times", "three times, ID3v1"])
def test_mp3_with_a_vbri_header_is_read_whole_by_its_frames(tmp_path, capfd, declares):
    """libsndfile reads no VBRI header (it decodes the header's frame as audio and stops
    at a length estimated from that frame's bit rate: 114,009 of 266,112 samples), so the
    song goes to FFmpeg, as a VBR file without a Xing header did; its length counted the
    VBRI frame, which holds no audio, and a count the frames do not match went without a
    word.  Such a count is now noted as a Xing header's is."""
    path, data, frames = _song(tmp_path, seconds=6.0)
    n = len(frames) - 1  # the audio frames after the Xing (now VBRI) frame
    count = {"its frames": n, "a third": n // 3}.get(declares, 3 * n)
    path.write_bytes(_with_vbri(data, frames, count)
                     + (b"TAG" + bytes(125) if declares.endswith("ID3v1") else b""))
    chain = mp3_chain(path)
    assert (chain.header, chain.declared) == ("VBRI", pytest.approx(count * _FRAME / SR))
    assert chain.seconds == pytest.approx(n * _FRAME / SR)
    capfd.readouterr()
    info, y = _decode(path)
    assert capfd.readouterr().err == ""
    assert info.frames == len(y) == n * _FRAME  # FFmpeg keeps the encoder's delay
    assert _peak_hz(y) == pytest.approx(440.0, abs=1.0)
    assert info.notice == {
        "its frames": "",
        "a third": "its VBRI header declares 0:02.0 (2.0 s) of audio but 0:06.0 (6.0 s) of "
                   "MPEG frames follow it: read to the end"}.get(declares, (
        "its VBRI header declares 0:18.1 (18.1 s) of audio but its MPEG frames hold 0:06.0 "
        "(6.0 s), the last one whole: the header overstates the length (or the file lost its "
        "end exactly between two frames); read as it is"))


@pytest.mark.parametrize("end", ["cut within a frame", "zeros"])
def test_mp3_with_a_vbri_header_and_audio_missing_is_cut_short(tmp_path, end):
    """A file that lost its end was read up to where it ends, without a word: its VBRI
    header's count says how much is missing, as a Xing header's does."""
    from core.errors import CorruptFileError

    path, data, frames = _song(tmp_path, seconds=6.0)
    data = _with_vbri(data, frames, len(frames) - 1)
    half = frames[len(frames) // 2]
    path.write_bytes(data[:half + 100] if end == "cut within a frame"
                     else data[:half] + bytes(len(data) // 2))
    with pytest.raises(CorruptFileError, match=r"the file is cut short: the audio ends at "
                                               r"0:03\.0 \(3\.0 s\) but its header "
                                               r"announces 0:06\.0"):
        _decode(path)


def test_constant_bit_rate_mp3_with_a_vbri_header_leaves_its_frame_out(tmp_path):
    """At a constant bit rate nothing sent the file to FFmpeg: libsndfile decoded the VBRI
    frame as 1152 samples of silence before the song (179,712 samples for 155 frames)."""
    _, fixed = _free_format(tmp_path)  # 160 kbit/s, an Info frame then 155 frames
    data = fixed.read_bytes()
    frames = _frames(data)
    fixed.write_bytes(_with_vbri(data, frames, len(frames) - 1))
    info, y = _decode(fixed)
    assert info.frames == len(y) == 155 * _FRAME
    assert np.abs(y[:_FRAME]).max() > 0.1  # the song from its first frame, no silence


@pytest.mark.parametrize("hurt", ["junk between frames", "joined"])
def test_free_format_mp3_libsndfile_would_not_read_whole_says_why(tmp_path, capfd, hurt):
    """Such files go to FFmpeg, which reads no free-format MP3: a break in the chain was
    "the file looks like MPEG audio but cannot be decoded", two files joined "unsupported
    sample rate: 0 Hz".  The message now says what the file is."""
    from core.errors import CorruptFileError

    path, _ = _free_format(tmp_path)
    data = path.read_bytes()
    if hurt == "joined":
        path.write_bytes(data + data)
        why = r"MPEG audio goes on after the 0:04\.0 \(4\.0 s\) its header declares"
    else:
        path.write_bytes(data[:60 * 522] + b"JUNK" * 30 + data[60 * 522:])
        why = r"its chain of MPEG frames breaks at 0:01\.5 \(1\.5 s\)"
    capfd.readouterr()
    with pytest.raises(CorruptFileError, match=r"its MPEG audio is in free format \(no bit "
                                               r"rate in its frame headers\), which FFmpeg "
                                               r"does not read, and libsndfile would not "
                                               r"read it whole: " + why):
        _decode(path)
    assert capfd.readouterr().err == ""


def test_free_format_layer_ii_stays_refused_without_a_word_on_stderr(tmp_path, capfd):
    """libmpg123 decodes free-format Layer II with the wrong tables: read as free format,
    a 4 s MP2 named .mp3 wrote hundreds of "missing bits in layer II step two" lines."""
    from core.errors import CorruptFileError

    path = write_audio(tmp_path / "song.mp2", tone(440.0, 4.0, SR, channels=2), SR)
    data = bytearray(path.read_bytes())
    for i in _frames(bytes(data)):
        data[i + 2] &= 0x0F
    named = tmp_path / "song.mp3"
    named.write_bytes(bytes(data))
    capfd.readouterr()
    with pytest.raises(CorruptFileError, match="cannot be decoded"):
        _decode(named)
    assert capfd.readouterr().err == ""
