"""The walk over a Musepack SV8 file's packets (core.analysis.mpcpackets), on streams built
byte by byte: the stream header's fields, a file cut or damaged at each place a packet can
break.  The whole files, cut and damaged, are read in ``test_ape_mpc_amr.py``."""

from __future__ import annotations

import pytest

from core.analysis.mpcpackets import sv8_packets


def _number(value: int) -> bytes:
    """``value`` as SV8 writes a size or a count: 7 bits a byte, the high bit set on every
    byte but the last."""
    out = [value & 0x7F]
    value >>= 7
    while value:
        out.append(0x80 | value & 0x7F)
        value >>= 7
    return bytes(reversed(out))


def _packet(key: bytes, body: bytes = b"") -> bytes:
    """A packet: its key, its size (counting the key and the size's own bytes), its body."""
    for width in range(1, 10):
        size = _number(2 + width + len(body))
        if len(size) == width:
            return key + size + body
    raise AssertionError("no size fits")


def _header(samples: int = 44100, *, silence: int = 0, rate: int = 0,
            frames: int = 3) -> bytes:
    """A stream header's body: CRC, version 8, the sample count, the beginning silence,
    the sample rate's index (top 3 bits) with 17 bands, then one channel and the frames
    per audio packet (4 ** ``frames``)."""
    return (bytes(4) + b"\x08" + _number(samples) + _number(silence)
            + bytes((rate << 5 | 17, frames)))


_AUDIO = _packet(b"AP", bytes(100))


def _file(tmp_path, data: bytes, name: str = "song.mpc") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def _stream(*packets: bytes, end: bool = True) -> bytes:
    return b"MPCK" + b"".join(packets) + (_packet(b"SE") if end else b"")


def test_a_whole_stream_states_its_length(tmp_path):
    walked = sv8_packets(_file(tmp_path, _stream(_packet(b"SH", _header(1_000_000)),
                                                 _AUDIO, _AUDIO)))
    assert (walked.rate, walked.samples, walked.cut_short, walked.damaged) == (
        44100, 1_000_000, False, "")
    assert walked.seconds == pytest.approx(2 * 73728 / 44100)  # two packets of 64 frames
    short = sv8_packets(_file(tmp_path, _stream(_packet(b"SH", _header(100_000)),
                                                _AUDIO, _AUDIO), "short.mpc"))
    assert short.seconds == 100_000 / 44100  # the last packet holds the song's end


@pytest.mark.parametrize(("rate", "hz"), [(0, 44100), (1, 48000), (2, 37800), (3, 32000)])
def test_the_sample_rate_is_the_headers(tmp_path, rate, hz):
    walked = sv8_packets(_file(tmp_path, _stream(_packet(b"SH", _header(rate=rate)))))
    assert walked.rate == hz and walked.stated_seconds == 44100 / hz


@pytest.mark.parametrize("silence", [0, 300, 70_000])
def test_a_beginning_silence_of_several_bytes_is_stepped_over(tmp_path, silence):
    # 300 is written in two bytes, the second of which read as the rate would say 48 kHz.
    walked = sv8_packets(_file(tmp_path, _stream(
        _packet(b"SH", _header(5_000_000, silence=silence, frames=0)), _AUDIO)))
    assert (walked.rate, walked.samples, walked.seconds) == (44100, 5_000_000, 1152 / 44100)


@pytest.mark.parametrize("body", [
    bytes(3),                            # too short for its version
    bytes(4) + b"\x07" + bytes(4),       # version 7
    bytes(4) + b"\x08" + b"\x80" * 9 + b"\x01" + bytes(3),  # a count of 10 bytes
    bytes(4) + b"\x08" + _number(1000) + _number(0),        # no rate and channels
    bytes(4) + b"\x08" + _number(1000) + _number(0) + b"\x11",  # no channels
    bytes(4) + b"\x08" + _number(1000) + _number(0) + bytes((4 << 5 | 17, 3)),  # rate 4
    bytes(4) + b"\x08" + _number(1000) + _number(0) + bytes((7 << 5 | 17, 3)),  # rate 7
], ids=["short", "version", "long-count", "no-rate", "no-channels", "rate-4", "rate-7"])
def test_a_stream_header_that_is_none_gives_no_walk(tmp_path, body):
    assert sv8_packets(_file(tmp_path, _stream(_packet(b"SH", body), _AUDIO))) is None


def test_packets_before_the_stream_header_are_stepped_over(tmp_path):
    walked = sv8_packets(_file(tmp_path, _stream(_packet(b"SO", b"\x10"), _packet(
        b"SH", _header(200_000)), _packet(b"RG", bytes(9)), _AUDIO)))
    assert walked.samples == 200_000 and walked.seconds == pytest.approx(73728 / 44100)


def test_the_walk_starts_where_it_is_told(tmp_path):
    path = _file(tmp_path, bytes(10) + _stream(_packet(b"SH", _header()), _AUDIO))
    assert sv8_packets(path) is None
    assert sv8_packets(path, start=10).samples == 44100


@pytest.mark.parametrize("tail", [b"A", b"AP", b"AP\x81", b"AP\x81\x80"],
                         ids=["key", "no-size", "size", "size-2"])
def test_a_file_cut_within_a_packets_key_or_size_is_cut_short(tmp_path, tail):
    walked = sv8_packets(_file(tmp_path, _stream(_packet(b"SH", _header(500_000)), _AUDIO,
                                                 end=False) + tail))
    assert walked.cut_short is True and walked.damaged == ""
    assert walked.seconds == pytest.approx(73728 / 44100)


def test_a_file_ending_after_whole_packets_without_its_stream_end_is_cut_short(tmp_path):
    walked = sv8_packets(_file(tmp_path, _stream(_packet(b"SH", _header()), _AUDIO,
                                                 end=False)))
    assert walked.cut_short is True and walked.seconds == 1.0  # up to the stated length


@pytest.mark.parametrize("junk", [
    b"AP" + b"\xff" * 9 + bytes(20),   # a size that does not end within 9 bytes
    b"ap" + _number(20) + bytes(17),   # a key in small letters
    b"A1" + _number(20) + bytes(17),   # a key that is no two letters
    b"AP\x02" + bytes(40),             # a size smaller than the key and the size
], ids=["endless-size", "small-letters", "digit", "size-2"])
def test_bytes_that_are_no_packet_are_damage_after_the_audio_before_them(tmp_path, junk):
    walked = sv8_packets(_file(tmp_path, _stream(_packet(b"SH", _header(500_000)), _AUDIO,
                                                 junk, _AUDIO)))
    assert walked.damaged == "bytes that are no packet" and walked.cut_short is False
    assert walked.seconds == pytest.approx(73728 / 44100)


def test_a_file_that_is_no_musepack_sv8_stream_gives_no_walk(tmp_path):
    assert sv8_packets(_file(tmp_path, b"MP+\x17" + bytes(100))) is None  # SV7
    assert sv8_packets(str(tmp_path / "missing.mpc")) is None
    assert sv8_packets(_file(tmp_path, _stream(_AUDIO, _packet(b"SH", _header())))) is None
