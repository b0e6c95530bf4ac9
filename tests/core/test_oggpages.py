"""Ogg files cut short or damaged: found from their pages (core.analysis.oggpages)."""

from __future__ import annotations

import re
import struct

import numpy as np
import pytest
import soundfile as sf

from core.analysis.decode import probe, stream
from core.analysis.oggpages import ogg_crc
from core.errors import CorruptFileError
from tests.audio_files import noise, tone, write_audio

SR = 44100


def _signal(seconds, sr=SR, seed=0):
    return (tone(330.0, seconds, sr, channels=2, amplitude=0.5)
            + noise(seconds, sr, channels=2, amplitude=0.05, seed=seed))


def _vorbis(path, seconds=6.0):
    return write_audio(path, _signal(seconds), SR)


def _opus(path, seconds=4.0):
    sf.write(path, _signal(seconds, sr=48000), 48000, format="OGG", subtype="OPUS")
    return path


def _pages(data: bytes) -> list[tuple[int, int, int, int]]:
    """(start, end, flags, granule position) of each page of a well-formed Ogg file."""
    pages, pos = [], 0
    while pos < len(data):
        assert data[pos:pos + 4] == b"OggS"
        flags, granule = data[pos + 5], struct.unpack_from("<q", data, pos + 6)[0]
        count = data[pos + 26]
        end = pos + 27 + count + sum(data[pos + 27:pos + 27 + count])
        pages.append((pos, end, flags, granule))
        pos = end
    return pages


def _seconds(message: str) -> list[float]:
    return [float(s) for s in re.findall(r"\(([\d.]+) s\)", message)]


def _decoded_seconds(path) -> float:
    info = probe(path)
    return sum(len(block) for block in stream(path, info=info)) / info.sample_rate


def test_ogg_crc_matches_the_pages_encoders_write(tmp_path):
    data = _vorbis(tmp_path / "a.ogg").read_bytes()
    data += _opus(tmp_path / "b.opus").read_bytes()
    for start, end, _, _ in _pages(data):
        page = data[start:end]
        assert ogg_crc(page[:22] + bytes(4) + page[26:]) == struct.unpack_from("<I", page, 22)[0]
    assert ogg_crc(b"") == 0 and ogg_crc(b"\x01") == 0x04C11DB7  # the polynomial itself


@pytest.mark.parametrize("kind", ["vorbis", "opus"])
def test_well_formed_ogg_ends_with_its_end_of_stream_page_and_is_read_whole(tmp_path, kind):
    path = _vorbis(tmp_path / "a.ogg") if kind == "vorbis" else _opus(tmp_path / "a.opus")
    assert _pages(path.read_bytes())[-1][2] & 0x04
    assert _decoded_seconds(path) == pytest.approx(6.0 if kind == "vorbis" else 4.0, abs=0.05)


@pytest.mark.parametrize("kind", ["vorbis", "opus"])
@pytest.mark.parametrize("fraction", [0.3, 0.5, 0.8])
def test_ogg_cut_short_names_where_its_audio_ends(tmp_path, kind, fraction):
    """An Ogg file states no length: an Opus file cut in half was analyzed as half the
    song without a word.  Where the audio ends is the last whole page's granule position
    (Vorbis: samples at its rate; Opus: 48 kHz samples less the pre-skip of 312)."""
    if kind == "vorbis":
        path, rate, preskip = _vorbis(tmp_path / "cut.ogg"), SR, 0
    else:
        path, rate, preskip = _opus(tmp_path / "cut.opus"), 48000, 312
    data = path.read_bytes()
    cut = int(len(data) * fraction)
    whole = [g for _, end, _, g in _pages(data) if end <= cut and g >= 0]
    path.write_bytes(data[:cut])
    with pytest.raises(CorruptFileError, match="the file is cut short: its audio ends at ") as err:
        probe(path)
    assert _seconds(err.value.reason)[0] == pytest.approx(max(0, whole[-1] - preskip) / rate,
                                                          abs=0.05)


@pytest.mark.parametrize("kind", ["vorbis", "opus"])
def test_ogg_ending_with_a_whole_page_that_is_not_its_last_is_read_with_a_note(tmp_path, kind):
    """A recording of a live stream (internet radio) ends with a whole page and no
    end-of-stream flag, as does a copy cut where a page ends: what it holds is read up to
    there and the song's note says so, where a file cut within a page fails."""
    from core.analysis.analyze import analyze_file

    path = _vorbis(tmp_path / "live.ogg") if kind == "vorbis" else _opus(tmp_path / "live.opus")
    data = path.read_bytes()
    pages = _pages(data)
    start, end, _, granule = pages[len(pages) // 2]
    path.write_bytes(data[:end])
    rate, preskip = (SR, 0) if kind == "vorbis" else (48000, 312)
    ends = max(0, granule - preskip) / rate
    info = probe(path)
    assert "without its last page" in info.notice
    assert _seconds(info.notice)[0] == pytest.approx(ends, abs=0.05)
    assert _decoded_seconds(path) == pytest.approx(ends, abs=0.1)
    result = analyze_file(path)
    assert result.status == "done" and info.notice in result.note
    # The same file cut one byte into its next page is cut short.
    path.write_bytes(data[:end + 1])
    with pytest.raises(CorruptFileError, match="the file is cut short"):
        probe(path)


def test_ogg_cut_within_its_last_page_names_the_length_that_page_announces(tmp_path):
    path = _vorbis(tmp_path / "cut.ogg")
    data = path.read_bytes()
    last_start, _, _, last_granule = _pages(data)[-1]
    kept = _pages(data)[-2][3] / SR
    assert last_granule / SR - kept > 0.1  # libsndfile's last page holds more than 0.1 s
    path.write_bytes(data[:-1])
    with pytest.raises(CorruptFileError, match="cut short: its audio ends at .* but its last "
                                               "page announces 0:06.0") as err:
        probe(path)
    assert _seconds(err.value.reason)[0] == pytest.approx(kept, abs=0.05)


def test_ogg_missing_only_its_last_tenth_of_a_second_is_read(tmp_path):
    """As a WAV: a copy that lost its last bytes, its last page holding under 0.1 s."""
    path = _opus(tmp_path / "a.opus", seconds=3.9)
    data = path.read_bytes()
    pages = _pages(data)
    lost = (pages[-1][3] - pages[-2][3]) / 48000
    assert lost <= 0.1  # libsndfile's last page of this Opus file holds 86 ms
    path.write_bytes(data[:-1])
    assert _decoded_seconds(path) == pytest.approx(3.9 - lost, abs=0.03)


def test_ogg_with_a_page_missing_is_damaged_there(tmp_path):
    path = _opus(tmp_path / "gap.opus")
    data = path.read_bytes()
    pages = _pages(data)
    start, end, _, _ = pages[4]
    path.write_bytes(data[:start] + data[end:])
    with pytest.raises(CorruptFileError, match=r"damaged at .* \(1 page missing\)") as err:
        probe(path)
    assert _seconds(err.value.reason)[0] == pytest.approx((pages[3][3] - 312) / 48000, abs=0.05)


def test_ogg_with_garbage_inserted_in_its_middle_is_damaged_there(tmp_path):
    path = _vorbis(tmp_path / "junk.ogg")
    data = path.read_bytes()
    pages = _pages(data)
    at = pages[3][1]
    junk = np.random.default_rng(1).integers(0, 256, 3000, dtype=np.uint8).tobytes()
    path.write_bytes(data[:at] + junk + data[at:])
    with pytest.raises(CorruptFileError, match=r"damaged at .* \(3000 bytes that are not Ogg "
                                               r"pages\)") as err:
        probe(path)
    assert _seconds(err.value.reason)[0] == pytest.approx(pages[3][3] / SR, abs=0.05)


@pytest.mark.parametrize("kind", ["vorbis", "opus"])
def test_ogg_with_garbage_written_over_a_page_body_fails_its_checksum(tmp_path, kind):
    path = _vorbis(tmp_path / "hurt.ogg") if kind == "vorbis" else _opus(tmp_path / "hurt.opus")
    data = bytearray(path.read_bytes())
    pages = _pages(bytes(data))
    start, end, _, _ = pages[len(pages) // 2]
    middle = (start + end) // 2
    data[middle:middle + 64] = np.random.default_rng(2).integers(0, 256, 64,
                                                                 dtype=np.uint8).tobytes()
    path.write_bytes(bytes(data))
    with pytest.raises(CorruptFileError, match=r"damaged at .* \(a page fails its checksum\)"):
        probe(path)


def test_chained_ogg_is_read_whole_and_timed_across_its_links(tmp_path):
    """Links (files joined end to end) each end with their end-of-stream page; a cut in the
    second is placed after the first link's 6 s."""
    a = _vorbis(tmp_path / "a.ogg")
    b = _opus(tmp_path / "b.opus")
    path = tmp_path / "chained.ogg"
    path.write_bytes(a.read_bytes() + b.read_bytes())
    assert _decoded_seconds(path) == pytest.approx(10.0, abs=0.1)
    data = path.read_bytes()
    path.write_bytes(data[:len(data) - b.stat().st_size // 2])
    with pytest.raises(CorruptFileError, match="cut short") as err:
        probe(path)
    assert 6.0 <= _seconds(err.value.reason)[0] < 9.0


def _page(serial: int, seq: int, flags: int, body: bytes) -> bytes:
    """An Ogg page holding ``body`` (under 255 bytes) with its CRC."""
    page = bytearray(b"OggS\x00" + bytes([flags]) + struct.pack("<qIII", 0, serial, seq, 0)
                     + (bytes([1, len(body)]) if body else b"\x00") + body)
    page[22:26] = struct.pack("<I", ogg_crc(bytes(page)))
    return bytes(page)


@pytest.mark.parametrize("other_ends", [True, False])
def test_ogg_with_a_stream_not_audio_is_judged_by_its_audio(tmp_path, other_ends):
    """A stream of another kind beside the audio (a video, a Skeleton) is passed over,
    whether or not its last page carries the end-of-stream flag."""
    path = _opus(tmp_path / "clip.opus", seconds=3.0)
    data = path.read_bytes()
    pages = _pages(data)
    other = _page(7, 0, 0x02, b"\x80other stream")  # its first page goes first
    end = _page(7, 1, 0x04, b"") if other_ends else b""
    head = pages[1][1]  # after the Opus header pages
    path.write_bytes(other + data[:head] + end + data[head:])
    assert _decoded_seconds(path) == pytest.approx(3.0, abs=0.05)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 3 // 4])
    with pytest.raises(CorruptFileError, match="cut short"):
        probe(path)


def test_chained_ogg_whose_first_link_is_cut_is_damaged_where_it_breaks(tmp_path):
    """A file cut short with another joined after it: the first link's stream breaks off
    without its end-of-stream page where the second begins."""
    a = _vorbis(tmp_path / "a.ogg")
    b = _opus(tmp_path / "b.opus")
    data = a.read_bytes()
    pages = _pages(data)
    path = tmp_path / "chained.ogg"
    path.write_bytes(data[:pages[5][1]] + b.read_bytes())
    with pytest.raises(CorruptFileError, match="damaged at .* another begins") as err:
        probe(path)
    assert _seconds(err.value.reason)[0] == pytest.approx(pages[5][3] / SR, abs=0.05)


def _granule_page(serial: int, seq: int, flags: int, granule: int, body: bytes) -> bytes:
    """An Ogg page holding ``body`` (under 255 bytes) at ``granule``, with its CRC."""
    page = bytearray(b"OggS\x00" + bytes([flags]) + struct.pack("<qIII", granule, serial, seq, 0)
                     + bytes([1, len(body)]) + body)
    page[22:26] = struct.pack("<I", ogg_crc(bytes(page)))
    return bytes(page)


#: The first packet of each codec the page walk times, at its shortest (the fields it reads
#: and nothing after them), and the rate and pre-skip it states.
_FIRST_PACKETS = {
    "vorbis": (b"\x01vorbis" + bytes(5) + struct.pack("<I", 44100), 44100, 0),
    "opus": (b"OpusHead\x01\x02" + struct.pack("<H", 312), 48000, 312),
    "flac": (b"\x7fFLAC" + bytes(22) + (22050 << 4 | 0x1).to_bytes(3, "big"), 22050, 0),
    "speex": (b"Speex   " + bytes(28) + struct.pack("<I", 16000), 16000, 0),
}


@pytest.mark.parametrize("tail", [b"", b"\xff" * 24])
@pytest.mark.parametrize("codec", sorted(_FIRST_PACKETS))
def test_each_codec_is_timed_from_its_first_packet(tmp_path, codec, tail):
    """Vorbis, Opus, FLAC and Speex streams state their rate (and Opus its pre-skip) in
    their first packet, which may end right after those fields or go on."""
    from core.analysis.oggpages import ogg_damage

    first, rate, preskip = _FIRST_PACKETS[codec]
    granule = 3 * rate + preskip + rate // 2
    path = tmp_path / "cut.ogg"
    path.write_bytes(_granule_page(5, 0, 0x02, 0, first + tail)
                     + _granule_page(5, 1, 0x00, granule, b"audio"))
    damage = ogg_damage(str(path))
    assert (damage.cut_short, damage.seconds) == (True, pytest.approx(3.5))
    assert damage.detail == "no end-of-stream page"


def test_a_stream_stating_no_rate_is_timed_at_zero(tmp_path):
    from core.analysis.oggpages import ogg_damage

    first = b"\x01vorbis" + bytes(9)
    path = tmp_path / "cut.ogg"
    path.write_bytes(_granule_page(5, 0, 0x02, 0, first) + _granule_page(5, 1, 0, 4800, b"a"))
    assert ogg_damage(str(path)).seconds == 0.0


def test_opus_audio_before_its_pre_skip_ends_is_at_zero(tmp_path):
    from core.analysis.oggpages import ogg_damage

    first = _FIRST_PACKETS["opus"][0]
    path = tmp_path / "cut.opus"
    path.write_bytes(_granule_page(5, 0, 0x02, 0, first) + _granule_page(5, 1, 0, 200, b"a"))
    assert ogg_damage(str(path)).seconds == 0.0


def _ogg_page(serial: int, seq: int, flags: int, granule: int, body: bytes) -> bytes:
    """An Ogg page holding ``body`` (any length up to 65,024 bytes) at ``granule``, with
    its segment table and CRC."""
    lacing = [255] * (len(body) // 255) + [len(body) % 255]
    page = bytearray(b"OggS\x00" + bytes([flags]) + struct.pack("<qIII", granule, serial, seq, 0)
                     + bytes([len(lacing)]) + bytes(lacing) + body)
    page[22:26] = struct.pack("<I", ogg_crc(bytes(page)))
    return bytes(page)


def _damage(path):
    from core.analysis.oggpages import ogg_damage

    return ogg_damage(str(path))


@pytest.mark.parametrize("codec, first, rate, preskip", [
    # Vorbis states its rate as an unsigned 32-bit number, Opus its pre-skip as an unsigned
    # 16-bit one: a value with its top bit set is large, not negative.
    ("vorbis", b"\x01vorbis" + bytes(5) + struct.pack("<I", 3_000_000_000), 3_000_000_000, 0),
    ("opus", b"OpusHead\x01\x02" + struct.pack("<H", 40000), 48000, 40000),
    # A stream at 1 Hz: each granule position is a second.
    ("vorbis", b"\x01vorbis" + bytes(5) + struct.pack("<I", 1), 1, 0),
    ("flac", b"\x7fFLAC" + bytes(22) + (1 << 4 | 0x1).to_bytes(3, "big"), 1, 0),
    ("speex", b"Speex   " + bytes(28) + struct.pack("<i", 1), 1, 0),
])
def test_rates_and_pre_skips_are_read_as_the_codecs_state_them(tmp_path, codec, first, rate,
                                                                preskip):
    path = tmp_path / "cut.ogg"
    granule = preskip + 7 * rate // 2 if rate > 1 else 3
    path.write_bytes(_ogg_page(5, 0, 0x02, 0, first) + _ogg_page(5, 1, 0, granule, b"audio"))
    assert _damage(path).seconds == pytest.approx(3.5 if rate > 1 else 3.0)


def test_a_speex_stream_stating_a_negative_rate_is_timed_at_zero(tmp_path):
    """Speex states its rate as a signed 32-bit number: with the top bit set it is no rate."""
    path = tmp_path / "cut.spx"
    first = b"Speex   " + bytes(28) + struct.pack("<i", -16000)
    path.write_bytes(_ogg_page(5, 0, 0x02, 0, first) + _ogg_page(5, 1, 0, 2 ** 40, b"a"))
    assert _damage(path).seconds == 0.0


#: First packets of streams that are not audio, longer than any audio first packet the walk
#: needs: Theora's identification header (42 bytes) and Skeleton's fishead (64 bytes).
_NOT_AUDIO = {
    "short": b"\x80other stream",
    "theora": (b"\x80theora\x03\x02\x01" + struct.pack(">HH", 20, 15)
               + (320).to_bytes(3, "big") + (240).to_bytes(3, "big") + bytes(2)
               + struct.pack(">II", 25, 1) + (1).to_bytes(3, "big") + (1).to_bytes(3, "big")
               + bytes(4) + b"\xc0\x00"),
    "skeleton": b"fishead\x00\x03\x00\x00\x00" + bytes(52),
}


@pytest.mark.parametrize("where", ["first", "after the audio's first page"])
@pytest.mark.parametrize("kind", sorted(_NOT_AUDIO))
def test_a_stream_of_another_kind_is_passed_over_wherever_it_begins(tmp_path, kind, where):
    """A video or Skeleton stream's first packet is no audio stream's, however long, and its
    first page may come before or after the audio's (every first page of a link comes
    before its other pages): the file is whole, and cut short where its audio is cut."""
    first = _NOT_AUDIO[kind]
    assert len(first) in (13, 42, 64)
    data = _opus(tmp_path / "a.opus", seconds=3.0).read_bytes()
    pages = _pages(data)
    other = _ogg_page(7, 0, 0x02, 0, first)
    head = pages[0][1]
    data = other + data if where == "first" else data[:head] + other + data[head:]
    at = pages[1][1] + len(other)  # after the Opus header pages: the other stream's pages
    data = data[:at] + _ogg_page(7, 1, 0, 0, b"frame") + data[at:]  # (it never ends)
    path = tmp_path / "clip.opus"
    path.write_bytes(data)
    assert _damage(path) is None
    cut = [p for p in _pages(data) if p[1] <= len(data) * 3 // 4][-1]
    path.write_bytes(data[:cut[1]])
    granule = max(g for s, e, _, g in _pages(data) if e <= cut[1] and g > 0)
    from core.analysis.oggpages import OggDamage

    assert _damage(path) == OggDamage(True, pytest.approx((granule - 312) / 48000),
                                      "no end-of-stream page", None, at_page_end=True)


def test_a_stream_ending_with_an_empty_end_of_stream_page_is_whole(tmp_path):
    """Some muxers end a stream with a page that holds no packet: its 27-byte header with
    the end-of-stream flag and an empty segment table, the file's last 27 bytes."""
    path = _opus(tmp_path / "a.opus", seconds=3.0)
    data = bytearray(path.read_bytes())
    pages = _pages(bytes(data))
    start, end, flags, granule = pages[-1]
    data[start + 5] = flags & ~0x04  # the last page with audio no longer ends the stream
    page = bytes(data[start:end])
    data[start + 22:start + 26] = struct.pack("<I", ogg_crc(page[:22] + bytes(4) + page[26:]))
    serial, seq = struct.unpack_from("<II", data, start + 14)
    empty = bytearray(b"OggS\x00\x04" + struct.pack("<qIII", granule, serial, seq + 1, 0) + b"\x00")
    empty[22:26] = struct.pack("<I", ogg_crc(bytes(empty)))
    assert len(empty) == 27
    path.write_bytes(bytes(data) + bytes(empty))
    assert _damage(path) is None
    assert probe(path).notice == ""
    assert _decoded_seconds(path) == pytest.approx(3.0, abs=0.05)


def test_ogg_cut_anywhere_within_a_page_is_cut_short_at_the_page_before(tmp_path):
    """Within the next page's capture pattern, the rest of its header, its segment table or
    its body: the file is cut short where the last whole page ends, and no page that ends
    the stream says how long it is."""
    from core.analysis.oggpages import OggDamage

    data = _vorbis(tmp_path / "a.ogg").read_bytes()
    pages = _pages(data)
    _, end, _, granule = pages[5]
    nxt = pages[6][1]
    table_end = end + 27 + data[end + 26]
    cuts = [*range(end + 1, table_end + 2), *range(table_end + 2, nxt, 97)]
    path = tmp_path / "cut.ogg"
    for cut in cuts:
        path.write_bytes(data[:cut])
        assert _damage(path) == OggDamage(True, pytest.approx(granule / SR),
                                          "no end-of-stream page"), cut
    path.write_bytes(data[:nxt])  # the page whole: a file that ends where a page ends
    assert _damage(path) == OggDamage(True, pytest.approx(pages[6][3] / SR),
                                      "no end-of-stream page", at_page_end=True)


def _damaged(path, seconds, detail):
    """Check that ``path`` is damaged (not cut short) at ``seconds`` for ``detail``."""
    from core.analysis.oggpages import OggDamage

    assert _damage(path) == OggDamage(False, pytest.approx(seconds, abs=1e-9), detail)


@pytest.mark.parametrize("junk, detail", [
    (b"\x00" * 4096, "4096 bytes that are not Ogg pages"),  # a hole of zeros
    (b"\x5a", "1 byte that is not an Ogg page"),  # a stray byte
    # A capture pattern that opens no page (its version byte is not 0) is junk too.
    (bytes(100) + b"OggS\x07" + bytes(100), "205 bytes that are not Ogg pages"),
    (b"OggS\x01" + bytes(22), "27 bytes that are not Ogg pages"),
])
def test_bytes_between_pages_that_are_not_a_page_are_damage(tmp_path, junk, detail):
    data = _vorbis(tmp_path / "a.ogg").read_bytes()
    pages = _pages(data)
    at = pages[4][1]
    path = tmp_path / "junk.ogg"
    path.write_bytes(data[:at] + junk + data[at:])
    _damaged(path, pages[4][3] / SR, detail)
    # Cut within the capture pattern of the page after them: the same bytes are counted.
    path.write_bytes(data[:at] + junk + data[at:at + 4])
    _damaged(path, pages[4][3] / SR, detail)


def test_junk_short_of_a_page_header_at_the_end_is_damage(tmp_path):
    """Fewer bytes than a page header after the last page, which are no capture pattern's
    start, are no page cut short: the file is damaged there."""
    data = _vorbis(tmp_path / "a.ogg").read_bytes()
    pages = _pages(data)
    path = tmp_path / "junk.ogg"
    path.write_bytes(data[:pages[4][1]] + b"\x00" * 16)
    _damaged(path, pages[4][3] / SR, "16 bytes that are not Ogg pages")


@pytest.mark.parametrize("tail", [b"TAG" + bytes(125), b"APETAGEX" + bytes(24) + b"OggS"])
def test_bytes_after_the_end_of_the_stream_are_passed_over(tmp_path, tail):
    """A tag appended after the last page (ID3v1, APE), even one ending with a capture
    pattern, leaves the audio whole."""
    path = _vorbis(tmp_path / "a.ogg")
    path.write_bytes(path.read_bytes() + tail)
    assert _damage(path) is None


def test_chained_ogg_with_bytes_between_its_links_reads_both(tmp_path):
    """Bytes between two links (after the first's end) are passed over: the second link is
    walked, and a cut in it is placed after the first link's 6 s."""
    from core.analysis.oggpages import OggDamage

    a = _vorbis(tmp_path / "a.ogg").read_bytes()
    b = _opus(tmp_path / "b.opus").read_bytes()
    path = tmp_path / "chained.ogg"
    path.write_bytes(a + b"TAG" + bytes(125) + b)
    assert _damage(path) is None
    pages = _pages(b)
    _, end, _, granule = pages[len(pages) // 2]
    path.write_bytes(a + b"TAG" + bytes(125) + b[:end])
    assert _damage(path) == OggDamage(True, pytest.approx(6.0 + (granule - 312) / 48000),
                                      "no end-of-stream page", at_page_end=True)


def test_chained_ogg_whose_second_link_holds_another_stream_is_whole(tmp_path):
    """The first pages of a link's streams come one after the other: an audio stream's
    first page followed by another stream's does not begin a new link."""
    a = _vorbis(tmp_path / "a.ogg").read_bytes()
    b = _opus(tmp_path / "b.opus").read_bytes()
    head = _pages(b)[0][1]
    b = b[:head] + _ogg_page(7, 0, 0x02, 0, _NOT_AUDIO["skeleton"]) + b[head:]
    path = tmp_path / "chained.ogg"
    path.write_bytes(a + b)
    assert _damage(path) is None
    path.write_bytes(b + a)
    assert _damage(path) is None


def test_ogg_with_a_page_repeated_is_damaged_there(tmp_path):
    """A page written twice: the one after it has the number of a page already read."""
    data = _opus(tmp_path / "a.opus").read_bytes()
    start, end, _, granule = _pages(data)[4]
    path = tmp_path / "a.opus"
    path.write_bytes(data[:end] + data[start:end] + data[end:])
    _damaged(path, (granule - 312) / 48000, "pages out of order")


def test_damage_names_what_is_wrong(tmp_path):
    """Each kind of damage, as :func:`ogg_damage` gives it: not cut short, the time of the
    last whole page before the break, what is wrong."""
    data = _opus(tmp_path / "a.opus").read_bytes()
    pages = _pages(data)
    path = tmp_path / "hurt.opus"
    path.write_bytes(data[:pages[4][0]] + data[pages[6][0]:])
    _damaged(path, (pages[3][3] - 312) / 48000, "2 pages missing")
    path.write_bytes(data[:pages[4][0]] + data[pages[5][0]:])
    _damaged(path, (pages[3][3] - 312) / 48000, "1 page missing")
    hurt = bytearray(data)
    hurt[pages[4][1] - 10] ^= 0xFF
    path.write_bytes(bytes(hurt))
    _damaged(path, (pages[3][3] - 312) / 48000, "a page fails its checksum")
    a = _vorbis(tmp_path / "a.ogg").read_bytes()
    path.write_bytes(a[:_pages(a)[5][1]] + data)
    _damaged(path, _pages(a)[5][3] / SR,
             "a logical stream breaks off without its end, and another begins")


def test_pages_whose_checksum_is_not_read(tmp_path):
    """Only the audio streams' pages are checked, and none with ``check_crc=False`` (the
    page headers alone are read)."""
    from core.analysis.oggpages import ogg_damage

    data = _opus(tmp_path / "a.opus", seconds=3.0).read_bytes()
    pages = _pages(data)
    hurt = bytearray(data)
    hurt[pages[4][1] - 10] ^= 0xFF
    path = tmp_path / "a.opus"
    path.write_bytes(bytes(hurt))
    assert ogg_damage(str(path), check_crc=False) is None
    other = bytearray(_ogg_page(7, 0, 0x02, 0, _NOT_AUDIO["theora"]))
    other[-1] ^= 0xFF  # its checksum fails
    path.write_bytes(bytes(other) + data)
    assert ogg_damage(str(path)) is None


@pytest.mark.parametrize("missing, whole", [(100, True), (101, False)])
def test_a_last_page_cut_within_is_forgiven_up_to_a_tenth_of_a_second(tmp_path, missing, whole):
    """At 1000 Hz: a last page whose header announces 100 more samples than the page before
    lacks exactly 0.1 s (forgiven), 101 more lacks more."""
    from core.analysis.oggpages import OggDamage

    first = b"\x01vorbis" + bytes(5) + struct.pack("<I", 1000)
    path = tmp_path / "cut.ogg"
    data = (_ogg_page(5, 0, 0x02, 0, first) + _ogg_page(5, 1, 0, 0, b"setup")
            + _ogg_page(5, 2, 0x04, missing, b"audio"))
    path.write_bytes(data[:-1])
    expected = None if whole else OggDamage(True, 0.0, "no end-of-stream page", 0.101)
    assert _damage(path) == expected


def test_a_stream_with_no_audio_whose_last_page_is_cut_within_is_forgiven(tmp_path):
    """Its end-of-stream page, at granule position 0, announces no audio to lack."""
    first = b"\x01vorbis" + bytes(5) + struct.pack("<I", 44100)
    path = tmp_path / "empty.ogg"
    path.write_bytes((_ogg_page(5, 0, 0x02, 0, first) + _ogg_page(5, 1, 0x04, 0, b"setup"))[:-1])
    assert _damage(path) is None


def test_junk_after_a_page_ending_with_the_capture_patterns_first_byte_is_counted(tmp_path):
    """Bytes that are no page are searched past from the byte after their start: a page
    whose body ends with "O" followed by junk starting with "ggS\\x00" holds no capture
    pattern across the two, and the junk is counted from its first byte to the next page."""
    first = b"\x01vorbis" + bytes(5) + struct.pack("<I", 1000)
    junk = b"ggS\x00" + bytes(20)
    path = tmp_path / "junk.ogg"
    path.write_bytes(_ogg_page(5, 0, 0x02, 0, first) + _ogg_page(5, 1, 0, 1500, b"audio O")
                     + junk + _ogg_page(5, 2, 0x04, 3000, b"audio"))
    _damaged(path, 1.5, "24 bytes that are not Ogg pages")


def test_a_granule_position_of_zero_is_a_position(tmp_path):
    """Only -1 says that no packet ends on a page (the time of the page before holds); 0 is
    a position, the start, and a page stating it times a break after it at 0 s, as it
    states, even after a page stating more."""
    first = b"\x01vorbis" + bytes(5) + struct.pack("<I", 1000)
    head = _ogg_page(5, 0, 0x02, 0, first) + _ogg_page(5, 1, 0, 1500, b"audio")
    path = tmp_path / "gap.ogg"
    for granule, seconds in [(-1, 1.5), (0, 0.0), (2500, 2.5)]:
        path.write_bytes(head + _ogg_page(5, 2, 0, granule, b"audio")
                         + _ogg_page(5, 4, 0x04, 4000, b"audio"))
        _damaged(path, seconds, "1 page missing")
