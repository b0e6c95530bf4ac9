"""Files joined end to end (``cat a.mp3 b.mp3``, chained OGG) are read to their end."""

from __future__ import annotations

import shutil
import struct

import numpy as np
import pytest
import soundfile as sf

from core.analysis.decode import probe, stream
from core.analysis.joined import mp3_parts, mp3_unread_audio, ogg_chains
from core.analysis.sniff import _mpeg_frame
from core.errors import CorruptFileError
from tests.audio_files import noise, tone, write_audio

SR = 44100


def _signal(seconds, sr=SR, channels=2, seed=0):
    """A tone whose level swells and fades, plus noise: the bit rate of a VBR file varies."""
    t = np.arange(round(seconds * sr)) / sr
    swell = (0.5 + 0.5 * np.sin(2 * np.pi * 0.7 * t))[:, None]
    return (tone(330.0, seconds, sr, channels=channels) * swell
            + noise(seconds, sr, channels=channels, amplitude=0.2, seed=seed) * swell**4
            ).astype(np.float32)


def _decode(path):
    info = probe(path)
    return info, np.concatenate(list(stream(path, info=info, block_seconds=0.7)))


def _join(path, *parts):
    path.write_bytes(b"".join(p.read_bytes() for p in parts))
    return path


def _id3_picture(size, seed=1):
    """An ID3v2.3 tag with a title and a cover picture of random bytes (full of bytes that
    look like MPEG frame headers)."""
    picture = (b"\x00image/jpeg\x00\x03\x00\xff\xd8\xff"
               + np.random.default_rng(seed).bytes(size))
    body = b"".join(fid + struct.pack(">I", len(data)) + b"\x00\x00" + data
                    for fid, data in ((b"TIT2", b"\x03Part"), (b"APIC", picture)))
    n = len(body)
    return b"ID3\x03\x00\x00" + bytes((n >> s) & 0x7F for s in (21, 14, 7, 0)) + body


# -- MP3 --------------------------------------------------------------------------------------
def test_two_mp3_files_joined_are_read_to_the_end(tmp_path):
    # libsndfile trusts the first file's Xing header and stopped after 3 s of 6, silently.
    a = write_audio(tmp_path / "a.mp3", _signal(3.0), SR)
    b = write_audio(tmp_path / "b.mp3", 0.5 * _signal(3.0, seed=1), SR)
    info, x = _decode(_join(tmp_path / "mix.mp3", a, b))
    assert info.duration_s == pytest.approx(6.0, abs=0.01)
    assert len(x) == 2 * round(3.0 * SR)  # each part without its encoder's padding
    first, _ = sf.read(a, dtype="float32")
    second, _ = sf.read(b, dtype="float32")
    np.testing.assert_allclose(x, np.concatenate([first, second]), atol=1e-4)


def test_joined_mp3_parts_with_tags_and_pictures_between_them_are_read_whole(tmp_path):
    # Each part keeps its tags: an ID3v1 and an APE tag at the end of the first, a cover
    # picture at the start of the second.  FFmpeg reading the whole file took the picture
    # for damaged audio.
    a = write_audio(tmp_path / "a.mp3", _signal(3.0), SR)
    ape = (b"APETAGEX" + struct.pack("<IIII", 2000, 70_032, 1, 0xA0000000) + bytes(8)
           + np.random.default_rng(3).bytes(70_000) + b"APETAGEX" + bytes(24))
    a.write_bytes(a.read_bytes() + ape + b"TAG" + bytes(125))
    b = write_audio(tmp_path / "b.mp3", _signal(2.0, seed=1), SR)
    b.write_bytes(_id3_picture(1_000_000) + b.read_bytes())
    path = _join(tmp_path / "mix.mp3", a, b)
    assert len(mp3_parts(str(path))) == 2
    info, x = _decode(path)
    assert info.duration_s == pytest.approx(5.0, abs=0.01)
    assert len(x) == round(5.0 * SR)


def test_joined_mp3_parts_of_different_rates_and_channels_are_converted(tmp_path):
    a = write_audio(tmp_path / "a.mp3", _signal(3.0), SR)
    b = write_audio(tmp_path / "b.mp3", _signal(3.0, sr=22050, channels=1), 22050)
    info, x = _decode(_join(tmp_path / "mix.mp3", a, b))
    assert (info.sample_rate, info.channels) == (SR, 2)
    assert info.duration_s == pytest.approx(6.0, abs=0.01)
    assert abs(len(x) - 6.0 * SR) < 0.02 * SR
    assert np.abs(x[-SR:]).max() > 0.2  # the second part is there


@pytest.mark.parametrize("mode", ["VARIABLE", "CONSTANT"])
def test_mp3_with_a_large_cover_picture_is_read_as_before(tmp_path, mode):
    plain = tmp_path / "plain.mp3"
    sf.write(plain, _signal(3.0), SR, format="MP3", bitrate_mode=mode, compression_level=0.5)
    tagged = tmp_path / "tagged.mp3"
    tagged.write_bytes(_id3_picture(2_000_000) + plain.read_bytes() + b"TAG" + bytes(125))
    assert mp3_unread_audio(str(tagged)) is None
    info, x = _decode(tagged)
    assert info.backend == "soundfile"
    np.testing.assert_array_equal(x, sf.read(plain, dtype="float32")[0])


@pytest.mark.parametrize("tail", [b"", bytes(50_000), b"\xff\xfb" * 3000, b"junk" * 5000],
                         ids=["none", "zeros", "sync-like", "junk"])
def test_vbr_mp3_with_or_without_trailing_bytes_is_read_as_before(tmp_path, tail):
    plain = tmp_path / "plain.mp3"
    sf.write(plain, _signal(4.0), SR, format="MP3", bitrate_mode="VARIABLE")
    path = tmp_path / "vbr.mp3"
    path.write_bytes(plain.read_bytes() + tail)
    assert mp3_unread_audio(str(path)) is None and len(mp3_parts(str(path))) == 1
    info, x = _decode(path)
    assert info.backend == "soundfile" and info.frames == round(4.0 * SR)
    np.testing.assert_array_equal(x, sf.read(plain, dtype="float32")[0])


def test_vbr_mp3_without_a_xing_header_is_read_to_the_end(tmp_path):
    # Without a Xing header, libsndfile stops at a length estimated from the first frame's
    # bit rate: 2.2 s of this 5 s file.
    sf.write(tmp_path / "vbr.mp3", _signal(5.0), SR, format="MP3", bitrate_mode="VARIABLE")
    data = (tmp_path / "vbr.mp3").read_bytes()
    path = tmp_path / "raw.mp3"
    path.write_bytes(data[_mpeg_frame(data, 0)[0]:])  # without its Xing frame
    assert "bit rate varies" in mp3_unread_audio(str(path))
    _, x = _decode(path)
    assert abs(len(x) - 5.0 * SR) < 0.1 * SR


def test_cbr_mp3_without_a_xing_header_stays_with_libsndfile(tmp_path):
    sf.write(tmp_path / "cbr.mp3", _signal(3.0), SR, format="MP3", bitrate_mode="CONSTANT",
             compression_level=0.5)
    data = (tmp_path / "cbr.mp3").read_bytes()
    path = tmp_path / "raw.mp3"
    path.write_bytes(data[_mpeg_frame(data, 0)[0]:])
    assert mp3_unread_audio(str(path)) is None
    info, x = _decode(path)
    assert info.backend == "soundfile" and abs(len(x) - 3.0 * SR) < 0.1 * SR


def test_mp3_cut_short_whose_xing_header_states_no_byte_count_is_one_part(tmp_path):
    """A Xing header may state the frame count and leave the stream's bytes out: where the
    part ends is then found by walking that many frames.  In a copy cut short the walk runs
    off the end of the file; the file is one part all the same, and the song fails as cut
    short (not with an internal error)."""
    sf.write(tmp_path / "vbr.mp3", _signal(3.0), SR, format="MP3", bitrate_mode="VARIABLE")
    data = bytearray((tmp_path / "vbr.mp3").read_bytes())
    at = data.find(b"Xing", 0, 64)
    assert at > 0
    flags = struct.unpack(">I", data[at + 4:at + 8])[0]
    data[at + 4:at + 8] = struct.pack(">I", flags & ~2)  # no byte count
    path = tmp_path / "cut.mp3"
    path.write_bytes(data[:len(data) * 2 // 3])
    assert mp3_parts(str(path)) == [(0, path.stat().st_size)]
    with pytest.raises(CorruptFileError, match=r"the file is cut short: the audio ends at "
                                               r"0:01\.9 .* its header announces 0:03\.0"):
        _decode(path)


def test_short_last_mp3_part_before_a_large_tag_is_read(tmp_path):
    """The last part runs to the end of the file, its tags included.  Five frames without
    a Xing header before a 70 kB APE tag are too few for FFmpeg's probe to call MP3 among
    so many bytes ("Invalid data found"): each part is opened as MP3 without being probed,
    and the short one is read."""
    a = write_audio(tmp_path / "a.mp3", _signal(1.0), SR)
    sf.write(tmp_path / "b.mp3", _signal(0.1, seed=1), SR, format="MP3")
    data = (tmp_path / "b.mp3").read_bytes()
    frames = data[_mpeg_frame(data, 0)[0]:]  # without its Xing frame
    ape = (b"APETAGEX" + struct.pack("<IIII", 2000, 70_032, 1, 0xA0000000) + bytes(8)
           + np.random.default_rng(3).bytes(70_000) + b"APETAGEX" + bytes(24))
    path = tmp_path / "mix.mp3"
    path.write_bytes(a.read_bytes() + frames + ape)
    assert [start for start, _ in mp3_parts(str(path))] == [0, a.stat().st_size]
    _, x = _decode(path)
    assert len(x) == round(1.0 * SR) + 5 * 1152  # FFmpeg keeps every frame of the second
    assert np.abs(x[round(1.0 * SR):]).max() > 0.2


# -- OGG --------------------------------------------------------------------------------------
def test_chained_ogg_of_like_streams_is_read_to_the_end(tmp_path):
    # libsndfile read the first link only (3 s of 6), silently.
    a = write_audio(tmp_path / "a.ogg", _signal(3.0), SR)
    b = write_audio(tmp_path / "b.ogg", 0.5 * _signal(3.0, seed=1), SR)
    path = _join(tmp_path / "chained.ogg", a, b)
    assert [start for start, _ in ogg_chains(str(path))] == [0, a.stat().st_size]
    info, x = _decode(path)
    assert info.duration_s == pytest.approx(6.0) and info.frames == round(6.0 * SR)
    first, _ = sf.read(a, dtype="float32")
    second, _ = sf.read(b, dtype="float32")
    np.testing.assert_allclose(x, np.concatenate([first, second]), atol=1e-5)


def test_the_same_ogg_file_joined_twice_is_read_twice(tmp_path):
    # Both links have the same stream serial number: libsndfile even gave a length.
    a = write_audio(tmp_path / "a.ogg", _signal(2.0), SR)
    info, x = _decode(_join(tmp_path / "twice.ogg", a, a))
    assert info.frames == len(x) == round(4.0 * SR)


@pytest.mark.parametrize(("rate", "channels"), [(22050, 1), (48000, 2), (SR, 1)])
def test_chained_ogg_whose_links_differ_is_read_to_the_end(tmp_path, rate, channels):
    # FFmpeg reading the whole file stops at the second link ("not yet implemented").
    a = write_audio(tmp_path / "a.ogg", _signal(2.0), SR)
    b = write_audio(tmp_path / "b.ogg", _signal(2.0, sr=rate, channels=channels), rate)
    info, x = _decode(_join(tmp_path / "chained.ogg", a, b))
    assert (info.sample_rate, info.channels) == (SR, 2)
    assert info.duration_s == pytest.approx(4.0)
    assert abs(len(x) - 4.0 * SR) < 0.02 * SR and x.shape[1] == 2
    assert np.abs(x[-SR // 2:]).max() > 0.2


def test_ogg_with_a_cover_picture_and_trailing_bytes_is_not_chained(tmp_path):
    import base64

    import mutagen.flac
    import mutagen.oggvorbis

    path = write_audio(tmp_path / "a.ogg", _signal(2.0), SR)
    plain = sf.read(path, dtype="float32")[0]
    tags = mutagen.oggvorbis.OggVorbis(path)
    picture = mutagen.flac.Picture()
    picture.data, picture.type, picture.mime = _id3_picture(300_000), 3, "image/jpeg"
    tags["metadata_block_picture"] = [base64.b64encode(picture.write()).decode("ascii")]
    tags.save()
    path.write_bytes(path.read_bytes() + np.random.default_rng(2).bytes(5000))
    assert len(ogg_chains(str(path))) == 1
    info, x = _decode(path)
    assert info.backend == "soundfile"
    np.testing.assert_array_equal(x, plain)


def test_joined_file_moved_between_probe_and_stream_is_an_audio_error(tmp_path):
    from core.errors import AudioFileError

    a = write_audio(tmp_path / "a.ogg", _signal(1.0), SR)
    path = _join(tmp_path / "chained.ogg", a, a)
    info = probe(path)
    shutil.move(path, tmp_path / "moved.ogg")
    with pytest.raises(AudioFileError):
        list(stream(path, info=info))
