"""Decoding: every format round trip, odd rates and channel counts, streaming, bad files."""

from __future__ import annotations

import os
import re
import shutil
import struct

import numpy as np
import pytest
import soundfile as sf
from scipy import signal

from core.analysis.decode import AudioInfo, probe, stream
from core.errors import (
    AudioFileError,
    CorruptFileError,
    EmptyFileError,
    UnreadableFileError,
    UnsupportedFormatError,
)
from tests.audio_files import (
    noise,
    tone,
    write_audio,
    write_cover_only_m4a,
    write_pictures_mp4,
)

SR = 44100


def _signal(seconds=2.0, sr=SR, channels=2, seed=0):
    """Tones plus a little noise, different in each channel, peak below 0.8."""
    return (tone(330.0, seconds, sr, channels=channels, amplitude=0.5)
            + noise(seconds, sr, channels=channels, amplitude=0.05, seed=seed))


def _decode(path, **kwargs) -> np.ndarray:
    blocks = list(stream(path, **kwargs))
    return np.concatenate(blocks)


def _best_correlation(x, y, max_lag=3000):
    """Largest normalized correlation of channel 0 of x and y over lags up to ``max_lag``."""
    n = min(len(x), len(y))
    a, b = x[:n, 0].astype(np.float64), y[:n, 0].astype(np.float64)
    xc = signal.correlate(a, b, mode="full", method="fft")[n - 1 - max_lag:n + max_lag]
    return float(xc.max() / np.sqrt(np.dot(a, a) * np.dot(b, b)))


LOSSLESS = [
    ("wav", "PCM_16", 2**-15),
    ("wav", "PCM_24", 2**-23),
    ("wav", "PCM_32", 2**-31),
    ("wav", "FLOAT", 0.0),
    ("aiff", "PCM_16", 2**-15),
    ("flac", "PCM_16", 2**-15),
    ("flac", "PCM_24", 2**-23),
    ("m4a", "ALAC", 2**-15),
]


@pytest.mark.parametrize(("ext", "subtype", "step"), LOSSLESS,
                         ids=[f"{e}-{s}" for e, s, _ in LOSSLESS])
def test_lossless_round_trip(tmp_path, ext, subtype, step):
    y = _signal()
    path = write_audio(tmp_path / f"song.{ext}", y, SR, subtype=subtype)
    info = probe(path)
    assert (info.sample_rate, info.channels, info.frames) == (SR, 2, len(y))
    assert info.duration_s == pytest.approx(2.0)
    assert info.codec == subtype
    x = _decode(path, block_seconds=0.5)
    assert x.dtype == np.float32 and x.shape == y.shape
    np.testing.assert_allclose(x, y, atol=step * 1.01 + 1e-7)


LOSSY = [("ogg", None, "OGG", "VORBIS"), ("mp3", None, "MP3", "MPEG_LAYER_III"),
         ("m4a", "AAC", "M4A", "AAC")]


@pytest.mark.parametrize(("ext", "subtype", "fmt", "codec"), LOSSY, ids=[e for e, *_ in LOSSY])
def test_lossy_round_trip(tmp_path, ext, subtype, fmt, codec):
    y = _signal(seconds=3.0)
    path = write_audio(tmp_path / f"song.{ext}", y, SR, subtype=subtype)
    info = probe(path)
    assert (info.format, info.codec, info.sample_rate, info.channels) == (fmt, codec, SR, 2)
    assert info.duration_s == pytest.approx(3.0, abs=0.06)
    x = _decode(path, block_seconds=0.7)
    assert x.dtype == np.float32 and x.shape[1] == 2
    assert len(x) == pytest.approx(len(y), abs=0.06 * SR)
    assert _best_correlation(x, y) > 0.95


@pytest.mark.parametrize(("ext", "fmt", "codec"), [("wv", "WV", "WAVPACK"), ("tta", "TTA", "TTA")])
def test_wavpack_and_tta_round_trip_exactly_through_pyav(tmp_path, ext, fmt, codec):
    y = _signal()
    info = probe(write_audio(tmp_path / f"song.{ext}", y, SR))
    assert (info.format, info.codec, info.backend) == (fmt, codec, "pyav")
    assert (info.sample_rate, info.channels, info.frames) == (SR, 2, len(y))
    x = _decode(info.path, block_seconds=0.5)
    assert x.shape == y.shape
    np.testing.assert_allclose(x, y, atol=2**-15 * 1.01 + 1e-7)


@pytest.mark.parametrize(("ext", "named"), [("wv", "WavPack"), ("tta", None)])
def test_wavpack_and_tta_behind_an_id3_tag_are_read_whole(tmp_path, ext, named):
    """An ID3 tag written in front (TTA's format allows one there, and FFmpeg skips it):
    a WavPack file so tagged failed as "MP3 audio [that] cannot be decoded"; it is read
    from after the tag, with a note."""
    y = _signal()
    plain = write_audio(tmp_path / f"song.{ext}", y, SR)
    frame = b"TIT2" + (6).to_bytes(4, "big") + b"\x00\x00\x03Title"
    size = len(frame) + 50
    tag = b"ID3\x04\x00\x00" + bytes((size >> s) & 0x7F for s in (21, 14, 7, 0)) + frame
    tagged = tmp_path / f"tagged.{ext}"
    tagged.write_bytes(tag + bytes(50) + plain.read_bytes())
    info = probe(tagged)
    assert (info.codec, info.frames) == (probe(plain).codec, len(y))
    np.testing.assert_array_equal(_decode(tagged, block_seconds=0.5),
                                  _decode(plain, block_seconds=0.5))
    assert info.notice == ("" if named is None else
                           f"an ID3 tag (MP3 tags, 76 bytes) was written in front of its "
                           f"{named} stream: read from after it")


def test_matroska_audio_is_named_mkv_and_read_through_pyav(tmp_path):
    y = _signal(seconds=1.5)
    info = probe(write_audio(tmp_path / "song.mka", y, SR))
    assert (info.format, info.codec, info.backend) == ("MKV", "FLAC", "pyav")
    x = _decode(info.path, block_seconds=0.5)
    assert x.shape[1] == 2 and len(x) == pytest.approx(len(y), abs=0.02 * SR)
    assert _best_correlation(x, y) > 0.99


@pytest.mark.parametrize(("ext", "fmt", "codec"), [("ac3", "AC3", "AC3"), ("mp2", "MP2", "MP2")])
def test_ac3_and_mp2_are_decoded_through_pyav(tmp_path, ext, fmt, codec):
    y = _signal(seconds=3.0)
    info = probe(write_audio(tmp_path / f"song.{ext}", y, SR))
    assert (info.format, info.codec, info.backend, info.channels) == (fmt, codec, "pyav", 2)
    x = _decode(info.path, block_seconds=0.7)
    assert len(x) == pytest.approx(len(y), abs=0.06 * SR)
    assert _best_correlation(x, y) > 0.95


def test_raw_aac_named_mp3_goes_to_pyav_without_a_word_on_stderr(tmp_path, capfd):
    """A raw AAC stream (ADTS) shares MPEG audio's sync word: named .mp3 it went to
    libsndfile first, whose libmpg123 wrote "Note: Illegal Audio-MPEG-Header..." to the
    terminal before FFmpeg read it."""

    path = _aac(tmp_path / "song.mp3", _signal(seconds=2.0), "adts")
    capfd.readouterr()
    info = probe(path)
    assert (info.format, info.codec, info.backend) == ("AAC", "AAC", "pyav")
    assert abs(len(_decode(path)) - 2.0 * SR) < 4096
    assert capfd.readouterr().err == ""


@pytest.mark.parametrize("seconds", [3.0, 10.0, 0.5])
def test_raw_aac_leaves_out_the_encoders_lead_in_as_an_m4a_does(tmp_path, seconds):
    """Raw AAC (ADTS) states no encoder delay: its first 1024 samples, the lead-in an M4A's
    edit list leaves out, were read as audio (3 s of audio were read 1844 samples long, 10 s
    1368 samples, with the tone 1024 samples late).  The same AAC in an M4A and in ADTS now
    decodes to the same samples; what is left is the padding of the last frame."""
    y = _signal(seconds=seconds)
    m4a = _decode(_aac(tmp_path / "song.m4a", y, "mp4"))
    raw = _decode(_aac(tmp_path / "song.aac", y, "adts"))
    assert len(m4a) == len(y)
    assert len(y) <= len(raw) < len(y) + 1024
    np.testing.assert_array_equal(raw[:len(y)], m4a)


def test_m4a_goes_through_pyav_and_wav_through_soundfile(tmp_path):
    y = _signal(seconds=0.5)
    assert probe(write_audio(tmp_path / "a.m4a", y, SR)).backend == "pyav"
    assert probe(write_audio(tmp_path / "a.wav", y, SR)).backend == "soundfile"


def test_eight_channels_at_96k(tmp_path):
    y = _signal(seconds=1.0, sr=96000, channels=8)
    path = write_audio(tmp_path / "eight.wav", y, 96000, subtype="PCM_24")
    info = probe(path)
    assert (info.sample_rate, info.channels, info.frames) == (96000, 8, 96000)
    x = _decode(path, block_seconds=0.3)
    assert x.shape == (96000, 8)
    np.testing.assert_allclose(x, y, atol=2**-23 * 1.01)


def test_six_channel_aac(tmp_path):
    y = _signal(seconds=1.0, sr=48000, channels=6)
    path = write_audio(tmp_path / "surround.m4a", y, 48000)
    info = probe(path)
    assert (info.sample_rate, info.channels) == (48000, 6)
    x = _decode(path, block_seconds=0.25)
    assert x.shape == (48000, 6)
    # Each channel keeps its own content (channel k is a tone detuned by k * 3 %); channel 3
    # is the LFE, which the encoder low-passes.
    for k in (0, 2, 5):
        spectrum = np.abs(np.fft.rfft(x[:, k]))
        assert np.fft.rfftfreq(len(x), 1 / 48000)[np.argmax(spectrum)] == pytest.approx(
            330 * (1 + 0.03 * k), abs=2)


def test_8k_mono(tmp_path):
    y = _signal(seconds=1.5, sr=8000, channels=1)
    path = write_audio(tmp_path / "phone.flac", y, 8000)
    info = probe(path)
    assert (info.sample_rate, info.channels, info.frames) == (8000, 1, 12000)
    x = _decode(path)
    assert x.shape == (12000, 1)
    np.testing.assert_allclose(x, y, atol=2**-15 * 1.01)


def test_192k(tmp_path):
    y = _signal(seconds=0.5, sr=192000)
    path = write_audio(tmp_path / "hires.flac", y, 192000, subtype="PCM_24")
    info = probe(path)
    assert (info.sample_rate, info.frames) == (192000, 96000)
    np.testing.assert_allclose(_decode(path), y, atol=2**-23 * 1.01)


@pytest.mark.parametrize("ext", ["flac", "m4a"])
def test_unicode_file_name(tmp_path, ext):
    y = _signal(seconds=0.5)
    path = write_audio(tmp_path / f"Beyoncé – Ça ira 日本.{ext}", y, SR)
    info = probe(path)
    assert info.path == os.fspath(path)
    assert len(_decode(path)) == pytest.approx(len(y), abs=0.01 * SR)


@pytest.mark.parametrize("ext", ["flac", "m4a"])
def test_stream_yields_blocks_of_the_requested_size(tmp_path, ext):
    sr = 8000
    y = _signal(seconds=20.0, sr=sr, channels=1)
    path = write_audio(tmp_path / f"long.{ext}", y, sr)
    blocks = list(stream(path, block_seconds=3.0))
    assert len(blocks) == 7
    assert all(b.shape == (24000, 1) for b in blocks[:-1])
    assert 0 < len(blocks[-1]) <= 24000


def test_stream_accepts_probe_info(tmp_path):
    path = write_audio(tmp_path / "a.wav", _signal(seconds=0.5), SR)
    info = probe(path)
    assert isinstance(info, AudioInfo)
    assert sum(len(b) for b in stream(path, info=info)) == info.frames


@pytest.mark.parametrize("bad", [0, -1, "3", 1e6])
def test_stream_refuses_bad_block_length(tmp_path, bad):
    path = write_audio(tmp_path / "a.wav", _signal(seconds=0.1), SR)
    with pytest.raises(ValueError, match="block_seconds"):
        stream(path, block_seconds=bad)


# ----------------------------------------------------------------------------- bad files


def test_zero_byte_file_is_empty(tmp_path):
    path = tmp_path / "empty.wav"
    path.write_bytes(b"")
    with pytest.raises(EmptyFileError, match="0 bytes") as err:
        probe(path)
    assert err.value.path == os.fspath(path)


def test_header_without_frames_is_empty(tmp_path):
    path = write_audio(tmp_path / "noframes.wav", np.zeros((0, 2), np.float32), SR)
    with pytest.raises(EmptyFileError, match="no audio"):
        probe(path)


@pytest.mark.parametrize("riff_size", ["kept", "0"])
def test_wav_whose_data_chunk_states_0_bytes_is_read_to_its_end(tmp_path, riff_size):
    """A program that streams a recording writes 0 for the sizes and fills them in when
    it stops; stopped first (a crash, a pulled cable), it leaves them at 0, which was "the
    file holds no audio".  The audio after the data chunk's header is read, the same
    samples, and the note says why."""
    song = write_audio(tmp_path / "song.wav", _signal(seconds=2.0), SR)
    data = song.read_bytes()
    at = data.find(b"data")
    unsized = data[:at + 4] + bytes(4) + data[at + 8:]
    if riff_size == "0":
        unsized = unsized[:4] + bytes(4) + unsized[8:]
    path = tmp_path / "recording.wav"
    path.write_bytes(unsized)
    info = probe(path)
    assert info.notice == ("its header states no audio but 0:02.0 (2.0 s) follows (a "
                           "recording whose program did not finish its header): read to the "
                           "end")
    np.testing.assert_array_equal(_decode(path), _decode(song))


def test_wav_whose_empty_data_chunk_is_followed_by_another_chunk_is_empty(tmp_path):
    song = write_audio(tmp_path / "song.wav", np.zeros((0, 2), np.float32), SR)
    data = song.read_bytes() + b"LIST" + struct.pack("<I", 16) + b"INFOINAM" + bytes(8)
    song.write_bytes(data[:4] + struct.pack("<I", len(data) - 8) + data[8:])
    with pytest.raises(EmptyFileError, match="no audio"):
        probe(song)


def test_text_named_wav_is_unsupported(tmp_path):
    path = tmp_path / "notes.wav"
    path.write_text("Track list for Saturday\n1. Intro\n2. One More Time\n" * 20)
    with pytest.raises(UnsupportedFormatError, match="text file"):
        probe(path)


def test_text_named_mp3_is_unsupported(tmp_path):
    path = tmp_path / "lyrics.mp3"
    path.write_text("One more time, we're gonna celebrate\n" * 50)
    with pytest.raises(UnsupportedFormatError, match="text file"):
        probe(path)


def test_jpeg_named_mp3_is_unsupported(tmp_path):
    path = tmp_path / "cover.mp3"
    rng = np.random.default_rng(3)
    path.write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + rng.bytes(20000))
    with pytest.raises(UnsupportedFormatError, match="JPEG"):
        probe(path)


def _id3(*frames: tuple[bytes, bytes]) -> bytes:
    """An ID3v2.3 tag holding ``frames`` (id, payload)."""
    body = b"".join(fid + struct.pack(">I", len(data)) + b"\x00\x00" + data
                    for fid, data in frames)
    n = len(body)
    return b"ID3\x03\x00\x00" + bytes((n >> s) & 0x7F for s in (21, 14, 7, 0)) + body


@pytest.mark.parametrize("tail", [b"", bytes(2048), b"TAG" + bytes(125)])
def test_mp3_holding_only_its_id3_tag_is_empty(tmp_path, tail):
    # A title and a cover picture, then nothing (or padding, or an ID3v1 tag): no audio at
    # all, which said "looks like MP3 audio ... its header or data is damaged".
    picture = b"\x00image/jpeg\x00\x03\x00\xff\xd8\xff" + bytes(300_000)
    path = tmp_path / "tags.mp3"
    path.write_bytes(_id3((b"TIT2", b"\x03Intro"), (b"APIC", picture)) + tail)
    with pytest.raises(EmptyFileError, match="only an ID3 tag") as err:
        probe(path)
    assert err.value.path == os.fspath(path)


def test_mp3_holding_only_an_id3v24_tag_and_its_footer_is_empty(tmp_path):
    """An ID3v2.4 tag may end with a footer (its header again, as "3DI"), which its stated
    size leaves out, and then has no padding: a tag and its footer are no audio either."""
    picture = b"\x00image/jpeg\x00\x03\x00\xff\xd8\xff" + bytes(300_000)
    frames = [(b"TIT2", b"\x03Intro"), (b"APIC", picture)]
    body = b"".join(fid + bytes((len(data) >> s) & 0x7F for s in (21, 14, 7, 0)) + b"\x00\x00"
                    + data for fid, data in frames)
    size = bytes((len(body) >> s) & 0x7F for s in (21, 14, 7, 0))
    path = tmp_path / "tags.mp3"
    path.write_bytes(b"ID3\x04\x00\x10" + size + body + b"3DI\x04\x00\x10" + size)
    with pytest.raises(EmptyFileError, match="only an ID3 tag"):
        probe(path)


def test_mp3_whose_id3_tag_lies_and_holds_a_frame_of_4_gib_is_cut_short_within_it(tmp_path):
    """A frame stating 4 GiB (bytes 0xFF: damage) in a tag whose stated size is past the
    end of the file runs past the end too."""
    tag = _id3((b"TIT2", b"\x03Intro"), (b"TPE1", b"\x03Band"))
    hurt = tag[:30] + b"\xff\xff\xff\xff" + tag[34:]  # the size of the second frame
    path = tmp_path / "hurt.mp3"
    path.write_bytes(_stated_size(hurt, 2**28 - 1) + bytes(5000))
    with pytest.raises(CorruptFileError, match="cut short within its ID3 tag"):
        probe(path)


def test_mp3_with_an_id3_tag_and_damaged_data_is_still_corrupt(tmp_path):
    path = tmp_path / "hurt.mp3"
    path.write_bytes(_id3((b"TIT2", b"\x03Intro")) + np.random.default_rng(1).bytes(5000))
    with pytest.raises(CorruptFileError):
        probe(path)


def _stated_size(tag: bytes, size: int) -> bytes:
    """``tag`` (an ID3v2 tag) with its header stating ``size`` bytes instead."""
    return tag[:6] + bytes((size >> s) & 0x7F for s in (21, 14, 7, 0)) + tag[10:]


@pytest.mark.parametrize("padding", [0, 700])
def test_mp3_whose_id3_tag_states_a_size_past_the_end_is_read(tmp_path, padding):
    """An ID3 tag stating 268 MB (the most it can) before 2 s of MP3: "the file holds only an
    ID3 tag".  The audio after the tag's frames (and padding) is read, and the note says
    why."""
    song = write_audio(tmp_path / "song.mp3", _signal(seconds=2.0), SR)
    tag = _id3((b"TIT2", b"\x03Intro"), (b"TPE1", b"\x03Band")) + bytes(padding)
    path = tmp_path / "lying.mp3"
    path.write_bytes(_stated_size(tag, 2**28 - 1) + song.read_bytes())
    info = probe(path)
    assert info.notice == (f"its ID3 tag states a size of 268 MB, more than the whole file "
                           f"({path.stat().st_size / 1e3:.0f} kB): the audio after its 2 frames "
                           "is read")
    np.testing.assert_array_equal(_decode(path), _decode(song))


def _vbr_without_xing(tmp_path, seconds=5.0) -> bytes:
    """A VBR MP3 without its Xing frame: libsndfile would stop at a length estimated from
    the first frame, so it is read by FFmpeg."""
    from core.analysis.sniff import _mpeg_frame

    t = np.arange(round(seconds * SR)) / SR
    swell = (0.5 + 0.5 * np.sin(2 * np.pi * 0.7 * t))[:, None]
    sf.write(tmp_path / "vbr.mp3", (_signal(seconds) * swell).astype(np.float32), SR,
             format="MP3", bitrate_mode="VARIABLE")
    data = (tmp_path / "vbr.mp3").read_bytes()
    return data[_mpeg_frame(data, 0)[0]:]


@pytest.mark.parametrize("stated", ["past the end of the file", "within the audio"])
def test_vbr_mp3_read_by_ffmpeg_after_an_id3_tag_whose_size_lies_is_read_whole(tmp_path,
                                                                              stated):
    """FFmpeg skips the size an ID3 tag states: 268 MB found no audio ("no MPEG audio
    follows its 2 frames"), 5 kB more than the tag lost the first 5 kB of frames (0.26 s).
    It is shown the MP3 from its first frames, and its length is the frames'."""
    raw = _vbr_without_xing(tmp_path)
    tag = _id3((b"TIT2", b"\x03Intro"), (b"TPE1", b"\x03Band"))
    plain = tmp_path / "plain.mp3"
    plain.write_bytes(tag + raw)
    path = tmp_path / "lying.mp3"
    size = 2**28 - 1 if stated == "past the end of the file" else len(tag) - 10 + 5000
    path.write_bytes(_stated_size(tag, size) + raw)
    info = probe(path)
    want = probe(plain)
    assert (info.backend, want.backend) == ("pyav", "pyav")
    assert info.notice.startswith("its ID3 tag states a size of ")
    y = _decode(path, info=info)
    np.testing.assert_array_equal(y, _decode(plain))
    assert info.duration_s == pytest.approx(len(y) / SR, abs=0.01)


def test_vbr_mp3_without_a_xing_header_is_timed_by_its_frames(tmp_path):
    """FFmpeg estimates such a file's length from its first frames' bit rate: 5.18 s for
    5.04 s of frames."""
    path = tmp_path / "vbr_raw.mp3"
    path.write_bytes(_vbr_without_xing(tmp_path))
    info = probe(path)
    assert info.duration_s == pytest.approx(len(_decode(path, info=info)) / SR, abs=0.01)


@pytest.mark.parametrize("junk", ["zeros", "random"])
def test_mp3_after_more_than_64_kib_of_bytes_that_are_no_frame_is_read_quietly(tmp_path,
                                                                             capfd, junk):
    """70,000 bytes before the first frame, no ID3 tag: libmpg123 gave up after 64 KiB
    ("Giving up searching valid MPEG header after 65536 bytes of junk." on the terminal),
    and FFmpeg then failed on random bytes and took zeros for 0.95 s more audio.  Both
    are shown the MP3 from its first frames: the same samples as without them."""
    song = write_audio(tmp_path / "song.mp3", _signal(seconds=3.0), SR)
    before = (bytes(70_000) if junk == "zeros"
              else np.random.default_rng(3).bytes(70_000).replace(b"\xff", b"\x00"))
    path = tmp_path / "junk.mp3"
    path.write_bytes(before + song.read_bytes())
    capfd.readouterr()
    info = probe(path)
    y = _decode(path, info=info)
    assert capfd.readouterr().err == ""
    assert (info.start, info.frames) == (70_000, probe(song).frames)
    np.testing.assert_array_equal(y, _decode(song))


def test_file_named_mp3_without_frames_in_its_first_256_kib_says_nothing_on_stderr(tmp_path,
                                                                                 capfd):
    """libmpg123 gave up on it with a line on the terminal; it is not shown the file."""
    song = write_audio(tmp_path / "song.mp3", _signal(seconds=1.0), SR)
    path = tmp_path / "junk.mp3"
    path.write_bytes(np.random.default_rng(4).bytes(300_000).replace(b"\xff", b"\x00")
                     + song.read_bytes())
    capfd.readouterr()
    with pytest.raises(CorruptFileError, match="named as audio"):
        probe(path)
    assert capfd.readouterr().err == ""


def test_mp3_whose_id3_tag_states_a_size_past_the_end_without_audio_says_so(tmp_path):
    path = tmp_path / "lying.mp3"
    path.write_bytes(_stated_size(_id3((b"TIT2", b"\x03Intro")), 2**28 - 1)
                     + np.random.default_rng(1).bytes(5000))
    with pytest.raises(CorruptFileError, match=r"its ID3 tag states a size of 268 MB, more "
                                               r"than the whole file \(5 kB\), and no MPEG "
                                               r"audio follows its 1 frame$"):
        probe(path)


def test_mp3_cut_within_its_id3_tag_is_cut_short(tmp_path):
    """A download stopped within the cover picture: "holds only an ID3 tag"."""
    song = write_audio(tmp_path / "song.mp3", _signal(seconds=1.0), SR)
    picture = b"\x00image/jpeg\x00\x03\x00\xff\xd8\xff" + bytes(300_000)
    path = tmp_path / "cut.mp3"
    path.write_bytes((_id3((b"TIT2", b"\x03Intro"), (b"APIC", picture))
                      + song.read_bytes())[:100_000])
    with pytest.raises(CorruptFileError, match="cut short within its ID3 tag"):
        probe(path)


def test_mp3_after_an_id3_tag_of_thousands_of_frames_is_read_from_its_audio(tmp_path):
    """libmpg123 walks a tag of 20,000 frames in 0.5 s each time the file is opened
    (python -m benchmarks.id3_tags): libsndfile is shown the file from its audio on, and
    reads the same samples."""
    song = write_audio(tmp_path / "song.mp3", _signal(seconds=1.0), SR)
    tag = _id3(*[(b"TXXX", b"\x03note%d\x00%d" % (k, k)) for k in range(3000)])
    path = tmp_path / "tagged.mp3"
    path.write_bytes(tag + song.read_bytes())
    info = probe(path)
    assert info.start == len(tag)
    np.testing.assert_array_equal(_decode(path), _decode(song))
    few = tmp_path / "few.mp3"
    few.write_bytes(_id3(*[(b"TXXX", b"\x03n%d\x00" % k) for k in range(30)])
                    + song.read_bytes())
    assert probe(few).start == 0


@pytest.mark.parametrize("ext", ["wv", "m4a", "aac"])
def test_a_file_after_an_id3_tag_of_thousands_of_frames_is_read_from_its_audio(tmp_path, ext):
    """A WavPack or M4A file behind a tag of 3,000 frames failed as 'MP3 audio [that]
    cannot be decoded' (the audio after such a tag was taken for MP3, and only MP3 was
    looked for there); raw AAC was read, but FFmpeg, shown the whole file, took 6 s to open
    one behind 20,000 frames: it is shown the AAC from where it starts."""
    y = _signal(seconds=1.0)
    plain = (_aac(tmp_path / f"song.{ext}", y, "adts" if ext == "aac" else "ipod")
             if ext in ("m4a", "aac") else write_audio(tmp_path / f"song.{ext}", y, SR))
    tag = _id3((b"TIT2", b"\x03Tagged"),
               *[(b"TXXX", b"\x03note%d\x00%d" % (k, k)) for k in range(3000)])
    path = tmp_path / f"tagged.{ext}"
    path.write_bytes(tag + plain.read_bytes())
    info = probe(path)
    np.testing.assert_array_equal(_decode(path), _decode(plain))
    if ext == "aac":
        assert info.parts == ((len(tag), path.stat().st_size),)
    else:
        assert info.notice.startswith(f"an ID3 tag (MP3 tags, {len(tag) / 1e3:.0f} kB) was "
                                      "written in front of its ")


def test_binary_noise_named_mp3_is_not_decoded_into_noise(tmp_path):
    # Random bytes hold many 0xFF bytes FFmpeg's lenient MP3 probe could take for frames.
    path = tmp_path / "noise.mp3"
    path.write_bytes(b"\x00\x01" + np.random.default_rng(4).bytes(200_000))
    with pytest.raises(CorruptFileError, match="no decoder recognizes"):
        probe(path)


def test_sync_like_bytes_named_mp3_are_not_decoded_into_noise(tmp_path):
    # Bytes of 0xE0-0xFF are full of MPEG sync patterns; FFmpeg decodes a frame of noise
    # from them before failing, which must not pass for audio.
    path = tmp_path / "junk.mp3"
    junk = np.random.default_rng(0).integers(0xE0, 0x100, 100_000).astype(np.uint8)
    path.write_bytes(b"\x00" + junk.tobytes())
    with pytest.raises(CorruptFileError):
        probe(path)


@pytest.mark.parametrize(("tag", "bits"), [(0xFFFF, 16), (1, 0)])
def test_wav_whose_codec_no_decoder_knows_is_unsupported(tmp_path, tag, bits):
    # An unknown format tag, or PCM of 0 bits: libsndfile refuses it and FFmpeg finds an
    # audio stream without a decoder (no codec context), which must not reach the caller
    # as an AttributeError.
    data = (tone(440.0, 1.0, SR) * 32767).astype("<i2").tobytes()
    fmt = struct.pack("<HHIIHH", tag, 1, SR, 2 * SR, 2, bits)
    body = (b"WAVEfmt " + struct.pack("<I", len(fmt)) + fmt + b"data"
            + struct.pack("<I", len(data)) + data)
    path = tmp_path / "odd.wav"
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    with pytest.raises(UnsupportedFormatError, match="no decoder reads its audio") as err:
        probe(path)
    assert err.value.path == os.fspath(path)


def test_aifc_whose_compression_no_decoder_knows_is_unsupported(tmp_path):
    """An AIFF-C of a compression neither libsndfile nor FFmpeg reads (QDesign Music 2, old
    Mac software) said "looks like AIFF audio but cannot be decoded: its header or data is
    damaged"."""
    frames = SR // 2
    comm = (struct.pack(">hIh", 1, frames, 16) + b"\x40\x0e\xac\x44" + bytes(6)
            + b"QDM2" + bytes([15]) + b"QDesign Music 2")
    ssnd = bytes(8) + (tone(440.0, 0.5, SR) * 3000).astype(">i2").tobytes()
    body = (b"AIFCFVER" + struct.pack(">II", 4, 0xA2805140) + b"COMM"
            + struct.pack(">I", len(comm)) + comm + b"SSND" + struct.pack(">I", len(ssnd))
            + ssnd)
    path = tmp_path / "old.aiff"
    path.write_bytes(b"FORM" + struct.pack(">I", len(body)) + body)
    with pytest.raises(UnsupportedFormatError) as err:
        probe(path)
    assert err.value.reason == ("no decoder reads its audio: AIFF-C compressed as 'QDM2' "
                                "(QDesign Music 2)")


@pytest.mark.parametrize(("ext", "subtype"), [("wav", "PCM_16"), ("wav", "FLOAT"),
                                           ("aiff", "PCM_24")])
def test_truncated_pcm_file_is_corrupt(tmp_path, ext, subtype):
    # A WAV/AIFF cut mid-data still opens (libsndfile reads what is there); the header's data
    # size tells that audio is missing, so probe reports it rather than analyzing half a song.
    path = write_audio(tmp_path / f"cut.{ext}", _signal(seconds=2.0), SR, subtype=subtype)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CorruptFileError, match="cut short"):
        probe(path)


def test_a_wav_with_an_odd_sized_chunk_before_its_data_is_measured_past_its_pad_byte(
        tmp_path):
    """A chunk of odd size is followed by a pad byte, which the walk to the data chunk must
    step over: read whole, and found cut short when cut."""
    path = write_audio(tmp_path / "odd.wav", _signal(seconds=2.0), SR, subtype="PCM_16")
    data = path.read_bytes()
    assert data[36:40] == b"data"  # RIFF header and a 16-byte fmt chunk first
    odd = b"junk" + (3).to_bytes(4, "little") + b"abc\x00"
    riff = (int.from_bytes(data[4:8], "little") + len(odd)).to_bytes(4, "little")
    data = data[:4] + riff + data[8:36] + odd + data[36:]
    path.write_bytes(data)
    assert probe(path).frames == 2 * SR
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CorruptFileError, match="cut short"):
        probe(path)


@pytest.mark.parametrize(("fmt", "ext"), [("WAV", "wav"), ("AIFF", "aiff"), ("RF64", "wav"),
                                         ("W64", "w64")])
def test_pcm_file_lacking_only_its_last_bytes_is_read(tmp_path, fmt, ext):
    """A copy that lost its last bytes still holds the song: it failed as cut short, 'its
    header announces 0:02.0 (2.0 s) of audio but only 0:02.0 (2.0 s) is present'.  Beyond
    0.1 s missing it is cut short."""
    path = tmp_path / f"tail.{ext}"
    sf.write(path, _signal(seconds=2.0), SR, format=fmt, subtype="PCM_16")
    data = path.read_bytes()
    path.write_bytes(data[:-1])
    info = probe(path)
    assert info.frames == 2 * SR - 1
    assert sum(len(b) for b in stream(path, info=info)) == 2 * SR - 1
    path.write_bytes(data[: -4 * (SR // 10 + 1)])  # 0.1 s and one frame of 16-bit stereo
    with pytest.raises(CorruptFileError, match=r"announces 0:02\.0 \(2\.0 s\) of audio but only "
                                               r"0:01\.9 \(1\.9 s\)"):
        probe(path)


@pytest.mark.parametrize(("fmt", "ext", "data_header"), [("RF64", "wav", 8), ("W64", "w64", 24)])
@pytest.mark.parametrize("keep", ["half", "header"])
def test_truncated_64_bit_wav_is_corrupt(tmp_path, fmt, ext, data_header, keep):
    """RF64 and Wave64 state their data size in 64 bits (RF64 in its ds64 chunk, Wave64 in
    chunks named by GUIDs and sized in 64 bits): cut in half, one was analyzed as half a
    song without a word; cut where its samples start, one was an empty file."""
    path = tmp_path / f"cut.{ext}"
    sf.write(path, _signal(seconds=2.0), SR, format=fmt, subtype="PCM_16")
    assert probe(path).frames == 2 * SR
    data = path.read_bytes()
    end = len(data) // 2 if keep == "half" else data.index(b"data") + data_header
    path.write_bytes(data[:end])
    with pytest.raises(CorruptFileError, match=r"cut short: its header announces 0:02\.0"):
        probe(path)


def _caf_chunks(data: bytes) -> list[bytes]:
    """The chunks of a CAF (each with its 12-byte header), after its 8-byte file header."""
    chunks, at = [], 8
    while at < len(data):
        size = struct.unpack(">q", data[at + 4:at + 12])[0]
        chunks.append(data[at:at + 12 + size])
        at += 12 + size
    return chunks


@pytest.mark.parametrize(("subtype", "open_ended", "said"), [
    ("PCM_16", True, "comes before any audio description"),
    ("ALAC", True, "comes before any audio description"),
])
def test_caf_whose_data_comes_before_its_description_says_so(tmp_path, subtype, open_ended,
                                                             said):
    """It was 'looks like CAF audio but cannot be decoded: its header or data is damaged'.
    ``open_ended``: the data chunk states no size (-1, up to the end of the file), so that
    the description after it cannot be found."""
    path = write_audio(tmp_path / "song.caf", _signal(seconds=1.0), SR, subtype=subtype)
    data = path.read_bytes()
    chunks = _caf_chunks(data)
    (audio,) = [c for c in chunks if c[:4] == b"data"]
    rest = [c for c in chunks if c[:4] != b"data"]
    if open_ended:
        audio = audio[:4] + struct.pack(">q", -1) + audio[12:]
    path.write_bytes(data[:8] + audio + b"".join(rest))
    with pytest.raises(CorruptFileError,
                       match=rf"its audio data \(the 'data' chunk\) {said} \(the 'desc' chunk, "
                             r"which a CAF file must hold first\): no decoder reads it$"):
        probe(path)


@pytest.mark.parametrize(("subtype", "backend"), [
    ("PCM_16", "soundfile"), ("PCM_24", "soundfile"), ("FLOAT", "soundfile"),
    ("DOUBLE", "soundfile"), ("ALAC", "pyav"),
])
def test_caf_whose_data_comes_before_its_description_is_read_exactly(tmp_path, subtype,
                                                                     backend):
    """The decoder is shown its chunks with the description first: the samples are those
    of the file written in order.  It was 'its audio data comes before its audio
    description: no decoder reads it'."""
    path = write_audio(tmp_path / "song.caf", _signal(seconds=1.0), SR, subtype=subtype)
    expected = _decode(path)
    data = path.read_bytes()
    chunks = _caf_chunks(data)
    (audio,) = [c for c in chunks if c[:4] == b"data"]
    path.write_bytes(data[:8] + audio + b"".join(c for c in chunks if c[:4] != b"data"))
    info = probe(path)
    assert (info.backend, info.codec, info.frames) == (backend, subtype, SR)
    assert info.notice == ("its audio description (the 'desc' chunk) comes after its audio "
                           "data (the 'data' chunk), where a CAF file must hold it first: read "
                           "with the description put first")
    np.testing.assert_array_equal(_decode(path, info=info, block_seconds=0.3), expected)


def test_file_pieces_read_and_seek_across_their_pieces(tmp_path):
    from core.analysis.blocks import FilePieces

    path = tmp_path / "bytes"
    path.write_bytes(bytes(range(100)))
    with FilePieces(str(path), [(90, 95), (10, 13), (50, 120)]) as fh:
        assert fh.read() == bytes(range(90, 95)) + bytes(range(10, 13)) + bytes(range(50, 100))
        assert fh.seek(-60, os.SEEK_END) == 18  # 5 + 3 + 70 bytes stated, 50 there
        assert fh.read(4) == bytes(range(60, 64))
        fh.seek(3)
        assert fh.read(4) == bytes([93, 94, 10, 11])
        fh.seek(200)
        assert fh.read(4) == b""


@pytest.mark.parametrize("frames", [SR * 5 + 7, SR * 5, SR * 2 + 4095, 4096 * 10, 4096 * 10 + 1])
def test_alac_in_caf_is_read_to_its_exact_length(tmp_path, frames):
    """FFmpeg's CAF reader dropped the packet table's remainder from a last packet that was
    short already: 677 frames were missing of SR * 5 + 7, 684 of SR * 5, 1913 of
    SR * 2 + 4095."""
    y = _signal(seconds=frames / SR)
    assert len(y) == frames
    path = write_audio(tmp_path / "song.caf", y, SR, subtype="ALAC")
    info = probe(path)
    assert (info.codec, info.frames) == ("ALAC", frames)
    got = _decode(path, info=info, block_seconds=1.0)
    stored = (np.clip(y, -1, 1 - 2**-15) * 32768).astype(np.int16) / np.float32(32768)
    assert got.shape == y.shape
    np.testing.assert_array_equal(got, stored)


@pytest.mark.parametrize("keep", ["half", "header", "all but a byte"])
def test_truncated_caf_is_corrupt(tmp_path, keep):
    """libsndfile refuses a CAF cut short as malformed, and FFmpeg read the part present:
    cut in half, it was analyzed as half a song without a word, cut within its first
    samples it was 'empty' or 'too short'.  Its data chunk states its length."""
    path = tmp_path / "cut.caf"
    sf.write(path, _signal(seconds=2.0), SR, format="CAF", subtype="PCM_16")
    data = path.read_bytes()
    end = {"half": len(data) // 2, "header": data.index(b"data") + 16,
           "all but a byte": len(data) - 1}[keep]
    path.write_bytes(data[:end])
    if keep == "all but a byte":
        assert probe(path).sample_rate == SR
        return
    with pytest.raises(CorruptFileError, match=r"cut short: its header announces 0:02\.0"):
        probe(path)


@pytest.mark.parametrize(("ext", "keep", "kind"), [("wav", 3, "WAV"), ("wav", 8, "WAV"),
                                                  ("wav", 11, "WAV"), ("aiff", 11, "AIFF"),
                                                  ("flac", 3, "FLAC"), ("ogg", 2, "OGG")])
def test_file_cut_within_its_first_bytes_is_cut_short(tmp_path, ext, keep, kind):
    """A file cut within its first 12 bytes was 'a text file' (RIF, Ogg), 'a RIFF file of
    type \'\', not audio' or 'a RIFF file of type \'WAV\', not audio, not an audio
    file'."""
    path = write_audio(tmp_path / f"cut.{ext}", _signal(seconds=0.5), SR)
    path.write_bytes(path.read_bytes()[:keep])
    with pytest.raises(CorruptFileError, match=rf"cut short within its {kind} header "
                                               rf"\({keep} bytes\), with no audio"):
        probe(path)


def test_riff_file_of_another_type_is_named_once_as_not_audio(tmp_path):
    path = tmp_path / "clip.wav"
    path.write_bytes(b"RIFF" + struct.pack("<I", 200) + b"AVI LIST" + bytes(200))
    with pytest.raises(UnsupportedFormatError) as err:
        probe(path)
    assert err.value.reason == "this is a RIFF file of type 'AVI ', not an audio file"


def test_truncated_matroska_audio_raises_while_streaming(tmp_path):
    """Matroska states its duration in its header: a file cut in half was read as half a
    song without a word (a WebM cut to 20 s of its 40 s: key D minor for A minor)."""
    path = write_audio(tmp_path / "song.mka", _signal(seconds=6.0), SR)
    assert probe(path).length_stated
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    info = probe(path)
    assert info.duration_s == pytest.approx(6.0, abs=0.05)
    with pytest.raises(CorruptFileError, match=r"cut short: the audio ends at 0:0[23]\.\d "
                                               r".* but its header announces 0:06\.0"):
        for _ in stream(path, info=info):
            pass


def test_matroska_video_with_audio_states_no_audio_length(tmp_path):
    """With a video track the duration Matroska states may be the video's, which can run
    past the audio: no cut-short check then."""
    import av

    path = tmp_path / "clip.mkv"
    with av.open(str(path), "w") as out:
        video = out.add_stream("mpeg4", rate=10)
        video.width, video.height = 64, 48
        audio = out.add_stream("flac", rate=SR)
        audio.layout = "mono"
        for k in range(30):  # 3 s of video
            frame = av.VideoFrame.from_ndarray(np.zeros((48, 64, 3), dtype=np.uint8),
                                               format="rgb24")
            frame.pts = k
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
        samples = (tone(440.0, 1.0, SR)[:, 0] * 32767).astype(np.int16)[None, :]
        for at in range(0, samples.shape[1], 1024):  # 1 s of audio
            frame = av.AudioFrame.from_ndarray(samples[:, at:at + 1024], format="s16",
                                               layout="mono")
            frame.sample_rate, frame.pts = SR, at
            out.mux(audio.encode(frame))
        out.mux(audio.encode(None))
    info = probe(path)
    assert not info.length_stated
    assert sum(len(b) for b in stream(path, info=info)) == pytest.approx(SR, abs=0.05 * SR)


def _faststart_m4a(path, seconds: float):
    """An AAC M4A whose index (moov) comes before its audio, as streaming sites write it."""
    return _aac(path, _signal(seconds=seconds), "ipod", options={"movflags": "faststart"})


def _aac(path, y, container: str, options=None):
    """``y`` (stereo) encoded as AAC by FFmpeg into ``container`` at ``path``."""
    import av

    with av.open(str(path), "w", format=container, options=options or {}) as out:
        st = out.add_stream("aac", rate=SR, layout="stereo")
        for at in range(0, len(y), 4096):
            frame = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(y[at:at + 4096]).reshape(1, -1), format="flt",
                layout="stereo")
            frame.sample_rate, frame.pts = SR, at
            for packet in st.encode(frame):
                out.mux(packet)
        for packet in st.encode(None):
            out.mux(packet)
    return path


def test_m4a_lacking_only_its_last_bytes_is_read(tmp_path):
    """Its last AAC packet cut short failed the whole song as 'the audio data is damaged at
    0:40.0 (40.0 s) (Invalid data found when processing input)'.  Cut in half, its index
    (before the audio) places packets past the end of the file: it was 'damaged at 0:01.5'
    as if its data were broken there, and is cut short, the audio before the cut read."""
    path = _faststart_m4a(tmp_path / "tail.m4a", 3.0)
    data = path.read_bytes()
    assert data.index(b"moov") < data.index(b"mdat")
    path.write_bytes(data[:-10])
    got = sum(len(b) for b in stream(path))
    assert 3 * SR - 0.1 * SR <= got < 3 * SR
    path.write_bytes(data[: len(data) // 2])
    got = 0
    with pytest.raises(CorruptFileError, match=r"cut short: the audio ends at 0:01\.\d .* "
                                               r"announces 0:03\.0"):
        for block in stream(path, block_seconds=0.5):
            got += len(block)
    assert 1.3 * SR < got < 1.7 * SR


def test_m4a_cut_at_a_packet_boundary_is_cut_short(tmp_path):
    """An M4A whose index comes first, cut exactly where a packet ends: FFmpeg decodes no
    error and the song read 1.5 s of 3 s without a word."""
    path = _faststart_m4a(tmp_path / "cut.m4a", 3.0)
    import av

    with av.open(str(path)) as container:
        ends = [p.pos + p.size for p in container.demux(container.streams.audio[0])
                if p.pos is not None]
    path.write_bytes(path.read_bytes()[:ends[len(ends) // 2]])
    with pytest.raises(CorruptFileError, match=r"cut short: the audio ends at 0:01\.\d"):
        for _ in stream(path):
            pass


def test_truncated_flac_raises_while_streaming(tmp_path):
    path = write_audio(tmp_path / "cut.flac", _signal(seconds=4.0), SR)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    info = probe(path)  # the header is intact
    got = []
    with pytest.raises(CorruptFileError, match=r"\d+\.\d s"):
        for block in stream(path, info=info, block_seconds=0.5):
            got.append(block)
    assert 0 < sum(map(len, got)) < info.frames


def _flac_audio_start(data: bytes) -> int:
    """Where the first audio frame of FLAC ``data`` starts (after its metadata blocks)."""
    pos = 4
    while True:
        last, length = data[pos] & 0x80, int.from_bytes(data[pos + 1:pos + 4], "big")
        pos += 4 + length
        if last:
            return pos


@pytest.mark.parametrize("where", ["stream information", "tags", "picture", "end of header"])
def test_flac_cut_within_its_header_is_cut_short(tmp_path, where):
    """A FLAC cut within its metadata blocks (a download stopped early) said "its header or
    data is damaged" (cut in the stream information) or "damaged at 0:00.0" (cut in the
    blocks after it)."""
    import mutagen.flac

    path = write_audio(tmp_path / "cut.flac", _signal(seconds=1.0), SR)
    tagged = mutagen.flac.FLAC(path)
    tagged["title"] = "Intro"
    picture = mutagen.flac.Picture()
    picture.mime, picture.data = "image/jpeg", b"\xff\xd8\xff" + bytes(20_000)
    tagged.add_picture(picture)
    tagged.save()
    data = path.read_bytes()
    keep = {"stream information": 20, "tags": 50, "picture": 10_000,
            "end of header": _flac_audio_start(data)}[where]
    path.write_bytes(data[:keep])
    said = (r"right after its header \(stream information, tags, pictures\)" if where == "end of header"
            else rf"within its header \(stream information, tags, pictures\): it ends after "
                 rf"{keep} bytes")
    with pytest.raises(CorruptFileError, match=rf"the file is cut short {said}, with no audio"):
        probe(path)


@pytest.mark.parametrize("keep", [0.02, 0.5])
def test_flac_cut_within_its_audio_is_cut_short_not_damaged(tmp_path, keep):
    """A FLAC cut within its audio said "the audio data is damaged at 0:01.0 (flac decoder
    lost sync.)": the data ends there, which the reader should hear as "cut short"."""
    path = write_audio(tmp_path / "cut.flac", _signal(seconds=2.0), SR)
    data = path.read_bytes()
    path.write_bytes(data[:round(len(data) * keep)])
    info = probe(path)
    with pytest.raises(CorruptFileError, match=r": the file is cut short: the audio ends at "
                                               r"0:0\d\.\d .* but its header announces 0:02\.0"):
        for _ in stream(path, info=info):
            pass


def test_flac_with_its_whole_header_and_first_frame_is_read(tmp_path):
    path = write_audio(tmp_path / "short.flac", _signal(seconds=0.05), SR)
    assert probe(path).frames == round(0.05 * SR)


def test_truncated_mp3_raises_while_streaming(tmp_path):
    path = write_audio(tmp_path / "cut.mp3", _signal(seconds=4.0), SR)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CorruptFileError, match="cut short"):
        list(stream(path))


def test_truncated_ogg_is_cut_short(tmp_path):
    # OGG declares no length, but its last page carries an end-of-stream flag: a file cut
    # in half was read as half the song (tests/core/test_oggpages.py for the details).
    path = write_audio(tmp_path / "cut.ogg", _signal(seconds=4.0), SR)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CorruptFileError, match="cut short: its audio ends at 0:0[0-2]"):
        probe(path)


def test_chained_ogg_whose_streams_differ_has_their_whole_length(tmp_path):
    # Two OGG files joined (mono 22.05 kHz, then stereo 44.1 kHz): libsndfile gives its
    # "length unknown" count (2**63 - 1 frames), which was taken for a length and reported
    # as "cut short: its header announces 6971558606844:07.4", and reads the first link
    # only.  Each link is read on its own, at the first one's rate and channels.
    first = write_audio(tmp_path / "a.ogg", tone(330.0, 2.0, 22050), 22050)
    second = write_audio(tmp_path / "b.ogg", _signal(seconds=5.0), SR)
    path = tmp_path / "chained.ogg"
    path.write_bytes(first.read_bytes() + second.read_bytes())
    info = probe(path)
    assert (info.sample_rate, info.channels) == (22050, 1)
    assert info.duration_s == pytest.approx(7.0) and info.frames == round(7.0 * 22050)
    assert abs(len(_decode(path, info=info)) - info.frames) < 0.02 * 22050


def test_mpeg_stream_whose_rate_and_channels_change_is_read_to_its_end(tmp_path):
    # Two MP2 files joined: 22.05 kHz mono, then 44.1 kHz stereo.  FFmpeg's resampler
    # refused the first frame unlike its first ("Frame does not match AudioResampler
    # setup", reported as damage); every part is converted to the rate and channels probed.
    first = write_audio(tmp_path / "a.mp2", tone(330.0, 2.0, 22050), 22050)
    second = write_audio(tmp_path / "b.mp2", _signal(seconds=2.0), SR)
    path = tmp_path / "joined.mp2"
    path.write_bytes(first.read_bytes() + second.read_bytes())
    info = probe(path)  # FFmpeg's probe may take either part's rate and channels
    rate = info.sample_rate
    got = _decode(path, info=info, block_seconds=0.5)
    assert got.shape[1] == info.channels and abs(len(got) - 4.0 * rate) < 0.1 * rate
    assert np.abs(got[: rate]).max() > 0.3 and np.abs(got[-rate:]).max() > 0.3  # both parts


def test_truncated_m4a_is_corrupt(tmp_path):
    path = write_audio(tmp_path / "cut.m4a", _signal(seconds=2.0), SR)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CorruptFileError, match="MP4"):
        probe(path)


@pytest.mark.parametrize("keep", ["half", "into the index"])
def test_m4a_cut_before_or_within_its_index_says_so(tmp_path, keep):
    """An M4A keeps its index (moov) after its audio unless written for streaming: cut short
    it was "looks like MP4 audio but cannot be decoded" (cut before its index) or, cut within
    it, "the file holds no audio track", as if it were no song at all."""
    path = write_audio(tmp_path / "cut.m4a", _signal(seconds=2.0), SR)
    data = path.read_bytes()
    moov = data.rfind(b"moov") - 4
    assert moov > len(data) // 2  # the index comes after the audio
    path.write_bytes(data[:len(data) // 2 if keep == "half" else moov + 100])
    said = ("its MP4 index (the moov atom, which says where the audio is, and which this "
            "file would hold after its audio) is missing" if keep == "half"
            else "the file is cut short within its MP4 index")
    with pytest.raises(CorruptFileError, match=re.escape(said)):
        probe(path)


def test_m4a_with_damaged_audio_data_is_corrupt(tmp_path):
    # The container is intact, the first AAC frames are not: FFmpeg's own error becomes a
    # corrupt-file error that names the file.
    path = write_audio(tmp_path / "hurt.m4a", _signal(seconds=2.0), SR)
    data = bytearray(path.read_bytes())
    start = data.find(b"mdat") + 4
    data[start:start + 2000] = np.random.default_rng(7).bytes(2000)
    path.write_bytes(bytes(data))
    with pytest.raises(CorruptFileError, match="cannot be decoded") as err:
        probe(path)
    assert err.value.path == os.fspath(path)


def test_overwritten_header_is_corrupt(tmp_path):
    path = write_audio(tmp_path / "hurt.wav", _signal(seconds=1.0), SR)
    data = bytearray(path.read_bytes())
    data[:64] = np.random.default_rng(5).bytes(64)
    path.write_bytes(bytes(data))
    with pytest.raises(CorruptFileError):
        probe(path)


def test_damaged_flac_streaminfo_is_corrupt(tmp_path):
    path = write_audio(tmp_path / "hurt.flac", _signal(seconds=1.0), SR)
    data = bytearray(path.read_bytes())
    data[4:42] = b"\xff" * 38  # keep "fLaC", destroy the STREAMINFO block
    path.write_bytes(bytes(data))
    with pytest.raises(CorruptFileError, match="FLAC"):
        probe(path)


def _hurt(path, seconds: float, damage: bytes):
    """A song of ``seconds`` at ``path`` whose bytes from its middle on are ``damage``."""
    write_audio(path, _signal(seconds=seconds), SR)
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle:middle + len(damage)] = damage
    path.write_bytes(bytes(data))
    return path


def test_damaged_flac_data_raises_with_position(tmp_path):
    path = _hurt(tmp_path / "hurt.flac", 4.0, np.random.default_rng(6).bytes(20000))
    with pytest.raises(CorruptFileError, match="damaged at"):
        list(stream(path, block_seconds=0.5))


def test_damage_in_a_long_block_is_placed_where_it_is(tmp_path):
    # One 30 s block holds the whole 6 s song: its failed read used to be reported at the
    # block's start (0:00.0), and libsndfile's "Unspecified internal error." said nothing.
    path = _hurt(tmp_path / "hurt.flac", 6.0, bytes(4000))
    with pytest.raises(CorruptFileError, match="damaged at") as err:
        list(stream(path, block_seconds=30.0))
    at = float(re.search(r"damaged at \d+:\d+\.\d \((\d+\.\d) s\)", err.value.reason)[1])
    assert 2.0 <= at <= 4.0, err.value.reason
    assert "internal error" not in err.value.reason


def test_damage_in_the_middle_of_an_mp3_is_skipped_and_placed_in_the_note(tmp_path):
    # libsndfile failed at the damage ("damaged at 0:03.0"); FFmpeg finds the frames after
    # it, as an MP3 decoder is made to (core.analysis.mp3frames), and the note places it.
    path = _hurt(tmp_path / "hurt.mp3", 6.0, bytes(4000))
    info = probe(path)
    got = sum(len(block) for block in stream(path, info=info, block_seconds=30.0))
    at = float(re.search(r"broken in one place, at \d+:\d+\.\d \((\d+\.\d) s\)",
                         info.notice)[1])
    assert 2.0 <= at <= 4.0, info.notice
    assert 5.5 * SR < got < 6.0 * SR


def test_missing_file_is_unreadable(tmp_path):
    with pytest.raises(UnreadableFileError, match="does not exist"):
        probe(tmp_path / "nothing.wav")


def test_directory_is_unreadable(tmp_path):
    folder = tmp_path / "album.wav"
    folder.mkdir()
    with pytest.raises(UnreadableFileError, match="folder"):
        probe(folder)


def test_dangling_link_is_unreadable(tmp_path):
    link = tmp_path / "gone.flac"
    link.symlink_to(tmp_path / "deleted.flac")
    with pytest.raises(UnreadableFileError, match="no longer exists"):
        probe(link)


def test_loop_of_links_is_unreadable_as_a_loop(tmp_path):
    os.symlink(tmp_path / "b.wav", tmp_path / "a.wav")
    os.symlink(tmp_path / "a.wav", tmp_path / "b.wav")
    with pytest.raises(UnreadableFileError, match="loop of links"):
        probe(tmp_path / "a.wav")


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0,
                    reason="root reads files whatever their permissions")
def test_permission_denied_is_unreadable(tmp_path):
    path = write_audio(tmp_path / "locked.wav", _signal(seconds=0.1), SR)
    path.chmod(0)
    try:
        with pytest.raises(UnreadableFileError, match="permission"):
            probe(path)
    finally:
        path.chmod(0o644)


def test_file_deleted_between_probe_and_stream(tmp_path):
    path = write_audio(tmp_path / "a.flac", _signal(seconds=0.5), SR)
    info = probe(path)
    shutil.move(path, tmp_path / "moved.flac")
    with pytest.raises(AudioFileError):
        list(stream(path, info=info))


def test_permission_error_on_open_is_unreadable(tmp_path, monkeypatch):
    # The same case as above, made visible to root too: opening the file is refused.
    import core.analysis.sniff as sniff

    path = write_audio(tmp_path / "locked.wav", _signal(seconds=0.1), SR)

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(sniff.os, "open", refuse)
    with pytest.raises(UnreadableFileError, match="permission denied"):
        probe(path)


# -- FLAC through dr_flac ---------------------------------------------------------------------
@pytest.mark.parametrize(("subtype", "channels"), [("PCM_16", 2), ("PCM_24", 1),
                                                   ("PCM_S8", 2), ("PCM_16", 6)])
def test_flac_reads_the_same_samples_as_libsndfile_in_blocks(tmp_path, subtype, channels):
    import soundfile as sf

    from core.analysis import blocks

    path = write_audio(tmp_path / "song.flac", _signal(seconds=2.3, channels=channels), SR,
                       subtype=subtype)
    info = probe(path)
    ours = list(blocks.flac_blocks(os.fspath(path), info, 22050))
    theirs = list(blocks.soundfile_blocks(os.fspath(path), info, 22050))
    assert [b.shape for b in ours] == [b.shape for b in theirs]
    assert [len(b) for b in ours[:-1]] == [22050] * (len(ours) - 1)
    assert all(b.dtype == np.float32 for b in ours)
    np.testing.assert_array_equal(np.concatenate(ours), np.concatenate(theirs))
    assert np.concatenate(ours).shape == (info.frames, channels)
    assert np.abs(np.concatenate(ours) - sf.read(path, dtype="float32",
                                                 always_2d=True)[0]).max() == 0.0


def test_flac_is_streamed_by_dr_flac_when_miniaudio_is_installed(tmp_path, monkeypatch):
    pytest.importorskip("miniaudio")
    from core.analysis import blocks

    def no_libsndfile(*a, **kw):
        raise AssertionError("libsndfile was asked to decode a sound FLAC file")

    monkeypatch.setattr(blocks, "soundfile_blocks", no_libsndfile)
    path = write_audio(tmp_path / "song.flac", _signal(seconds=1.5), SR)
    assert sum(len(b) for b in stream(path, block_seconds=0.5)) == round(1.5 * SR)


def test_flac_blocks_come_from_the_c_interface_or_else_from_the_generator(tmp_path,
                                                                          monkeypatch):
    """dr_flac decodes into numpy arrays through miniaudio's C interface; when that lacks a
    function, miniaudio's own generator gives the same samples."""
    miniaudio = pytest.importorskip("miniaudio")
    from core.analysis import blocks

    path = write_audio(tmp_path / "song.flac", _signal(seconds=2.3, channels=2), SR)
    info = probe(path)
    calls = []
    generator = miniaudio.stream_file
    monkeypatch.setattr(miniaudio, "stream_file", lambda *a, **kw: calls.append(a) or
                        generator(*a, **kw))
    direct = list(blocks.flac_blocks(os.fspath(path), info, 22050))
    assert calls == []
    monkeypatch.setattr(blocks, "_C_CALLS", blocks._C_CALLS + ("ma_no_such_function",))
    fallback = list(blocks.flac_blocks(os.fspath(path), info, 22050))
    assert len(calls) == 1
    assert [b.shape for b in direct] == [b.shape for b in fallback]
    assert [len(b) for b in direct] == [22050] * 4 + [round(2.3 * SR) - 4 * 22050]
    np.testing.assert_array_equal(np.concatenate(direct), np.concatenate(fallback))


@pytest.mark.parametrize("seed", range(6))
def test_damaged_flac_reads_alike_through_the_c_interface_and_the_generator(tmp_path,
                                                                           monkeypatch, seed):
    """Flipped bytes, a cut and a zeroed run: both paths give the same samples or the same
    error."""
    pytest.importorskip("miniaudio")
    from core.analysis import blocks

    path = write_audio(tmp_path / "song.flac", _signal(seconds=3.0, channels=2), SR)
    data = bytearray(path.read_bytes())
    rng = np.random.default_rng(seed)
    if seed % 3 == 0:
        for k in rng.integers(200, len(data), size=8):
            data[k] ^= 0x5A
    elif seed % 3 == 1:
        data = data[: int(rng.integers(len(data) // 3, len(data)))]
    else:
        k = int(rng.integers(200, len(data) - 3000))
        data[k:k + 3000] = bytes(3000)
    path.write_bytes(bytes(data))

    def read():
        try:
            return np.concatenate(list(blocks.flac_blocks(os.fspath(path), info, 22050)))
        except CorruptFileError as err:
            return err.reason

    info = probe(path)
    direct = read()
    monkeypatch.setattr(blocks, "_C_CALLS", blocks._C_CALLS + ("ma_no_such_function",))
    fallback = read()
    if isinstance(direct, str):
        assert direct == fallback
    else:
        np.testing.assert_array_equal(direct, fallback)


def test_flac_longer_than_its_header_keeps_all_its_audio(tmp_path):
    # A STREAMINFO whose sample count is smaller than the audio (a header written before the
    # encoder knew the length): the audio past it is decoded, not reported as damage.
    pytest.importorskip("miniaudio")
    path = write_audio(tmp_path / "long.flac", _signal(seconds=3.0, channels=1), SR)
    data = bytearray(path.read_bytes())
    assert data[:4] == b"fLaC"
    fields = int.from_bytes(data[18:26], "big")  # rate, channels, depth, 36-bit sample count
    assert fields & (2**36 - 1) == 3 * SR
    data[18:26] = ((fields & ~(2**36 - 1)) | 2 * SR).to_bytes(8, "big")
    path.write_bytes(bytes(data))
    info = probe(path)
    assert info.frames == 2 * SR
    got = np.concatenate(list(stream(path, info=info, block_seconds=0.5)))
    assert got.shape == (3 * SR, 1)


@pytest.mark.parametrize("block_seconds", [0.5, 30.0])
def test_flac_lacking_only_its_last_bytes_is_read(tmp_path, block_seconds):
    """A copy that lost its last byte lacks its last frame: the whole song failed as
    'the audio data is damaged at 0:39.8 (flac decoder lost sync.)'.  Half of it lost is
    still a song cut short."""
    pytest.importorskip("miniaudio")
    path = write_audio(tmp_path / "tail.flac", _signal(seconds=3.0), SR)
    data = path.read_bytes()
    path.write_bytes(data[:-1])
    got = sum(len(b) for b in stream(path, block_seconds=block_seconds))
    assert 3 * SR - 4608 <= got < 3 * SR
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CorruptFileError):
        for _ in stream(path, block_seconds=block_seconds):
            pass


def test_flac_falls_back_to_libsndfile_without_miniaudio(tmp_path, monkeypatch):
    import sys

    path = write_audio(tmp_path / "song.flac", _signal(seconds=1.5), SR)
    expected = np.concatenate(list(stream(path, block_seconds=0.5)))
    monkeypatch.setitem(sys.modules, "miniaudio", None)  # import miniaudio now fails
    got = np.concatenate(list(stream(path, block_seconds=0.5)))
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("ext", ["flac", "m4a"])  # read by libFLAC, and by PyAV from an open file
def test_a_file_whose_name_is_not_utf8_is_read(tmp_path, ext):
    if os.name == "nt":
        pytest.skip("Windows file names are Unicode")
    name = os.fsdecode(b"caf\xe9." + ext.encode())  # Latin-1 bytes: a surrogate escape in str
    path = write_audio(tmp_path / f"plain.{ext}", _signal(seconds=1.2), SR)
    target = os.path.join(os.fspath(tmp_path), name)
    os.rename(path, target)
    assert sum(len(b) for b in stream(target)) == round(1.2 * SR)


def test_an_mp3_of_three_frames_is_an_mp3(tmp_path):
    # Fewer frames than the check asks for, but consistent up to the end of the file: a
    # very short MP3 (a jingle, a cut sound effect) is MPEG audio, not a file named .mp3.
    import soundfile as sf

    from core.analysis.sniff import has_mpeg_frames

    path = tmp_path / "blip.mp3"
    sf.write(path, 0.1 * np.sin(np.arange(500) * 0.1), 44100, format="MP3")
    assert os.path.getsize(path) < 3000  # a few frames of a few hundred bytes
    assert has_mpeg_frames(str(path), needed=4)
    assert has_mpeg_frames(str(path), needed=40)
    truncated = tmp_path / "cut.mp3"
    truncated.write_bytes(path.read_bytes()[:4] + b"\0" * 2000)  # one frame header, then none
    assert not has_mpeg_frames(str(truncated))


def _adts(path, seconds=3.0):
    """Raw AAC (ADTS frames, no container), stereo, written by FFmpeg."""
    import av

    y = _signal(seconds)
    with av.open(str(path), "w", format="adts") as out:
        st = out.add_stream("aac", rate=SR, layout="stereo")
        for start in range(0, len(y), 4096):
            frame = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(y[start:start + 4096]).reshape(1, -1), format="flt",
                layout="stereo")
            frame.sample_rate, frame.pts = SR, start
            for packet in st.encode(frame):
                out.mux(packet)
        for packet in st.encode(None):
            out.mux(packet)
    return path.read_bytes()


@pytest.mark.parametrize("name", ["song.aac", "song.mp3"])
@pytest.mark.parametrize("stated", ["its own size", "268 MB"])
def test_raw_aac_after_an_id3_tag_is_read(tmp_path, capfd, name, stated):
    """Raw AAC after an ID3 tag, named .aac or .mp3: read by FFmpeg, quietly.  After a tag
    stating 268 MB it was "no MPEG audio follows its 1 frame"; the ADTS frames after the
    tag's frames are read, and the note says why."""
    raw = _adts(tmp_path / "raw.aac")
    tag = _id3((b"TIT2", b"\x03Intro")) + bytes(100)
    if stated == "268 MB":
        tag = _stated_size(tag, 2**28 - 1)
    else:
        tag = _stated_size(tag, len(tag) - 10)
    path = tmp_path / name
    path.write_bytes(tag + raw)
    capfd.readouterr()
    info = probe(path)
    y = _decode(path, info=info)
    assert capfd.readouterr().err == ""
    assert (info.format, info.codec) == ("AAC", "AAC")
    assert info.notice == ("" if stated == "its own size" else
                           f"its ID3 tag states a size of 268 MB, more than the whole file "
                           f"({path.stat().st_size / 1e3:.0f} kB): the audio after its 1 "
                           "frame is read")
    np.testing.assert_array_equal(y, _decode(tmp_path / "raw.aac"))


def _mp4_tracks(path, tracks, video: bool = False, seconds: float = 1.0,
                container: str = "mp4"):
    """An MP4 (or, with ``container="mov"``, a QuickTime file) holding an AAC track of each
    channel count in ``tracks`` (of a different tone each) and, with ``video``, a short video
    track."""
    import av

    n = round(seconds * SR)
    with av.open(str(path), "w", format=container) as out:
        # Every track is added before the first packet is written (the header goes first).
        vs = out.add_stream("mpeg4", rate=25) if video else None
        if vs is not None:
            vs.width, vs.height, vs.pix_fmt = 64, 48, "yuv420p"
        audio = [out.add_stream("aac", rate=SR, layout="stereo" if c == 2 else "mono")
                 for c in tracks]
        for k, (st, channels) in enumerate(zip(audio, tracks, strict=True)):
            y = tone(330.0 * (k + 1), seconds, SR, channels=channels)
            for at in range(0, n, 4096):
                frame = av.AudioFrame.from_ndarray(
                    np.ascontiguousarray(y[at:at + 4096]).reshape(1, -1), format="flt",
                    layout=st.layout.name)
                frame.sample_rate, frame.pts = SR, at
                for packet in st.encode(frame):
                    out.mux(packet)
            for packet in st.encode(None):
                out.mux(packet)
        if vs is not None:
            for i in range(round(seconds * 25)):
                frame = av.VideoFrame.from_ndarray(np.zeros((48, 64, 3), np.uint8),
                                                   format="rgb24")
                frame.pts = i
                for packet in vs.encode(frame):
                    out.mux(packet)
            for packet in vs.encode(None):
                out.mux(packet)
    return path


def test_mp4_with_two_audio_tracks_says_which_is_read(tmp_path):
    """A video's second language or commentary track: the first track was read without a
    word about the other."""
    info = probe(_mp4_tracks(tmp_path / "two.mp4", [1, 2]))
    assert info.channels == 1
    assert info.notice == ("it holds 2 audio tracks: the first (1 channel, AAC) is read, the "
                           "others are not")
    assert sum(len(b) for b in stream(tmp_path / "two.mp4", info=info)) == SR


def test_mp4_video_with_sound_is_read_and_without_says_so(tmp_path):
    info = probe(_mp4_tracks(tmp_path / "clip.mp4", [2], video=True))
    assert (info.channels, info.notice) == (2, "")
    assert sum(len(b) for b in stream(tmp_path / "clip.mp4", info=info)) == SR
    with pytest.raises(UnsupportedFormatError,
                       match=r"holds no audio track \(it is a video without sound\)$"):
        probe(_mp4_tracks(tmp_path / "silent.mp4", [], video=True))


@pytest.mark.parametrize(("name", "container", "fmt"),
                         [("clip.MOV", "mov", "MOV"), ("clip.m4v", "mp4", "M4V")])
def test_quicktime_and_m4v_video_sound_is_read_whole_by_pyav(tmp_path, name, container, fmt):
    path = _mp4_tracks(tmp_path / name, [2], video=True, container=container)
    info = probe(path)
    assert (info.backend, info.format, info.codec, info.channels, info.frames) == (
        "pyav", fmt, "AAC", 2, SR)
    y = _decode(path, info=info)
    assert y.shape == (SR, 2)
    assert _best_correlation(y, tone(330.0, 1.0, SR, channels=2)) > 0.99


@pytest.mark.parametrize("make", [
    write_cover_only_m4a,
    lambda path: write_pictures_mp4(path, codec="mjpeg"),
    lambda path: write_pictures_mp4(path, codec="png"),
], ids=["covr-atom", "mjpeg-track", "png-track"])
def test_m4a_holding_only_cover_art_says_so(tmp_path, make):
    """It was called a video without sound."""
    path = make(tmp_path / "cover.m4a")
    with pytest.raises(UnsupportedFormatError,
                       match=r"holds no audio track, only a picture \(cover art\)$"):
        probe(path)


def test_motion_jpeg_video_without_sound_is_no_cover_art(tmp_path):
    path = write_pictures_mp4(tmp_path / "film.mp4", codec="mjpeg", frames=5)
    with pytest.raises(UnsupportedFormatError, match=r"\(it is a video without sound\)$"):
        probe(path)


def test_m4a_whose_audio_track_has_no_samples_is_empty(tmp_path):
    """Its sample tables emptied, its stated duration left: it was 'no audio could be
    decoded from the file', a damaged file, where it holds no audio."""
    path = _faststart_m4a(tmp_path / "none.m4a", 1.0)
    data = bytearray(path.read_bytes())
    for box, count_at in ((b"stts", 12), (b"stsz", 16), (b"stsc", 12), (b"stco", 12)):
        at = data.index(box) - 4
        data[at + count_at:at + count_at + 4] = bytes(4)
    path.write_bytes(bytes(data))
    with pytest.raises(EmptyFileError, match=r"its audio track has 0 samples"):
        probe(path)


def test_opus_length_before_decoding_leaves_out_its_pre_skip(tmp_path):
    """The last Ogg page's position counts the 312 samples of libopus's pre-skip, which the
    decoder drops: a 5 s file was probed 5.0065 s long."""
    path = write_audio(tmp_path / "five.opus", tone(440.0, 5.0, 48000), 48000)
    info = probe(path)
    assert info.frames == 5 * 48000
    assert sum(len(b) for b in stream(path, info=info)) == info.frames


def test_chained_opus_length_is_its_links_added_up_without_their_pre_skips(tmp_path):
    """Two Opus files joined end to end were probed 240,624 samples long for 240,000: the
    pre-skip of each link (312) was left in its duration."""
    first = write_audio(tmp_path / "one.opus", tone(440.0, 2.0, 48000), 48000)
    second = write_audio(tmp_path / "two.opus", tone(660.0, 3.0, 48000), 48000)
    path = tmp_path / "both.opus"
    path.write_bytes(first.read_bytes() + second.read_bytes())
    info = probe(path)
    assert len(info.parts) == 2
    assert info.frames == 240_000 and info.duration_s == pytest.approx(5.0, abs=1e-9)
    got = _decode(path, info=info)
    assert got.shape == (240_000, 1)
    np.testing.assert_array_equal(got, np.concatenate([_decode(first), _decode(second)]))


def test_opus_in_webm_length_before_decoding_leaves_out_its_pre_skip(tmp_path):
    """Matroska states its duration in milliseconds, the pre-skip included: 5.008 s for 5 s."""
    from tests.audio_files import _write_av

    path = tmp_path / "five.webm"
    _write_av(path, tone(440.0, 5.0, 48000), 48000, container="webm", codec="libopus")
    info = probe(path)
    assert abs(info.frames - 5 * 48000) <= 0.002 * 48000
    assert sum(len(b) for b in stream(path, info=info)) == 5 * 48000


@pytest.mark.parametrize(("field", "said"), [(2, "it states 0 channels at 44100 Hz"),
                                             (4, "it states 2 channels at 0 Hz")])
def test_wav_stating_no_channels_or_no_rate_says_so(tmp_path, field, said):
    """Neither decoder opens such a header: it was 'looks like WAV audio but cannot be
    decoded: its header or data is damaged', which did not say what."""
    path = write_audio(tmp_path / "zero.wav", _signal(seconds=0.5), SR)
    data = bytearray(path.read_bytes())
    at = data.index(b"fmt ") + 8 + field
    data[at:at + (2 if field == 2 else 4)] = bytes(2 if field == 2 else 4)
    path.write_bytes(bytes(data))
    with pytest.raises(CorruptFileError, match=f"its header is damaged: {said}$"):
        probe(path)


def test_wav_or_mp3_named_m4a_is_read_as_what_it_is(tmp_path):
    """A WAV renamed .m4a went to FFmpeg by its extension: cut short, it was read up to
    where it ends without a word (2.8 s of 5 s); an MP3 renamed so gave FFmpeg's samples,
    not those of the same file named .mp3."""
    wav = write_audio(tmp_path / "song.wav", _signal(seconds=5.0), SR)
    (tmp_path / "cut.m4a").write_bytes(wav.read_bytes()[:500_000])
    with pytest.raises(CorruptFileError, match=r"cut short: its header announces 0:05\.0"):
        probe(tmp_path / "cut.m4a")
    mp3 = write_audio(tmp_path / "song.mp3", _signal(seconds=2.0), SR)
    shutil.copy(mp3, tmp_path / "song.m4a")
    named = np.concatenate(list(stream(tmp_path / "song.m4a")))
    assert probe(tmp_path / "song.m4a").backend == "soundfile"
    assert np.array_equal(named, np.concatenate(list(stream(mp3))))


def test_rf64_whose_ds64_states_petabytes_is_read_with_a_note(tmp_path):
    """A ds64 chunk stating 10**15 bytes of audio: 'the file is cut short: its header
    announces 94482237:20.4 (5668934240.4 s) of audio but only 0:02.0 (2.0 s) is present',
    though no recording is that long and the whole file reads."""
    path = tmp_path / "huge.wav"
    y = _signal(seconds=2.0)
    sf.write(path, y, SR, format="RF64", subtype="PCM_16")
    data = bytearray(path.read_bytes())
    at = data.index(b"ds64") + 8 + 8  # after the chunk's header and the RIFF size
    data[at:at + 8] = struct.pack("<Q", 10**15)
    path.write_bytes(bytes(data))
    info = probe(path)
    assert info.notice == ("its header announces 65,613 days of audio, a damaged size: the "
                           "0:02.0 (2.0 s) the file holds is read")
    got = np.concatenate(list(stream(path, info=info)))
    np.testing.assert_array_equal(got, sf.read(path, dtype="float32", always_2d=True)[0])
    assert len(got) == 2 * SR


@pytest.mark.parametrize("keep", [10, 0])
def test_m4a_cut_right_after_its_index_is_cut_short(tmp_path, keep):
    """An M4A whose index comes first, cut within its first packet of audio or before it:
    'the audio data cannot be decoded (Invalid data found when processing input)' or 'no
    audio could be decoded from the file', as if the data were damaged."""
    path = _faststart_m4a(tmp_path / "cut.m4a", 1.0)
    data = path.read_bytes()
    path.write_bytes(data[:data.index(b"mdat") + 4 + keep])
    with pytest.raises(CorruptFileError, match=r"cut short: its MP4 index \(the moov atom, "
                                               r"which says where the audio is\) places the "
                                               r"audio past the end of the file"):
        probe(path)


@pytest.mark.parametrize("extensible", [False, True])
def test_wav_in_a_format_no_decoder_knows_names_its_code(tmp_path, extensible):
    """It said 'the codec its header names is unknown, or the header is damaged' without
    naming it; a WAVE_FORMAT_EXTENSIBLE header names it in its sub-format."""
    path = tmp_path / "odd.wav"
    sf.write(path, _signal(seconds=0.5), SR, format="WAVEX" if extensible else "WAV",
             subtype="PCM_16")
    data = bytearray(path.read_bytes())
    at = data.index(b"fmt ") + 8 + (24 if extensible else 0)
    data[at:at + 2] = struct.pack("<H", 0x1234)
    path.write_bytes(bytes(data))
    with pytest.raises(UnsupportedFormatError, match=r"its WAV header names format code "
                                                     r"0x1234, which neither libsndfile nor "
                                                     r"FFmpeg reads"):
        probe(path)


def _id3_tag(title: bytes = b"Song") -> bytes:
    """A small ID3v2.4 tag holding a title."""
    frame = b"TIT2" + struct.pack(">I", len(title) + 1) + b"\x00\x00\x03" + title
    return b"ID3\x04\x00\x00" + bytes([0, 0, 0, len(frame)]) + frame


@pytest.mark.parametrize("faststart", [False, True])
def test_m4a_behind_an_id3_tag_is_read(tmp_path, faststart):
    """A tagger wrote MP3 tags in front of an M4A: 'the file looks like MP3 audio but cannot
    be decoded' (FFmpeg opens no MP4 after an ID3 tag).  It reads the M4A's samples."""
    m4a = (_faststart_m4a(tmp_path / "song.m4a", 1.0) if faststart
           else _aac(tmp_path / "song.m4a", _signal(seconds=1.0), "ipod"))
    tag = _id3_tag()
    path = tmp_path / "tagged.m4a"
    path.write_bytes(tag + m4a.read_bytes())
    info = probe(path)
    assert info.notice == (f"an ID3 tag (MP3 tags, {len(tag)} bytes) was written in front of "
                           "its MP4 audio: read from after it")
    np.testing.assert_array_equal(np.concatenate(list(stream(path, info=info))),
                                  np.concatenate(list(stream(m4a))))


def test_mp4_without_ftyp_cut_before_its_index_says_so(tmp_path):
    """Older QuickTime programs start a file with its boxes, no ftyp: cut before its index,
    it was 'named as audio (.m4a) but no decoder recognizes its content'."""
    data = bytearray(_aac(tmp_path / "song.m4a", _signal(seconds=1.0), "ipod").read_bytes())
    data[4:8] = b"wide"  # the ftyp box becomes padding: the offsets stay right
    whole = tmp_path / "old.m4a"
    whole.write_bytes(bytes(data))
    assert sum(len(b) for b in stream(whole)) == SR
    cut = tmp_path / "cut.m4a"
    cut.write_bytes(bytes(data[:len(data) // 2]))
    with pytest.raises(CorruptFileError, match=r"its MP4 index \(the moov atom.*\) is missing"):
        probe(cut)
