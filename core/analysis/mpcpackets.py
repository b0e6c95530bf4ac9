"""Musepack SV8 files cut short or damaged, found from their packets without decoding.

FFmpeg reads no audio at all of an SV8 file cut short as ``mpcenc`` writes it: the file
starts with the offset of its seek table, which comes after the audio, and the demuxer
that does not find it there reads no packet after.  Damage that breaks the chain of packets
ends the demuxer's reading there without a word: the song is read shorter than it is.

An SV8 file is ``MPCK`` followed by packets, each a two-letter key (``SH`` stream header,
``RG`` replay gain, ``EI`` encoder, ``SO`` seek table offset, ``AP`` audio, ``ST`` seek
table, ``CT`` chapter, ``SE`` stream end), a size (7 bits a byte, high bit set on every
byte but the last) counting the key and the size's own bytes, and a body.  The stream
header states the number of samples, the sample rate and the samples an audio packet
holds.  :func:`sv8_packets` walks the packets up to the stream end and says where the
chain breaks: a packet running past the end of the file or a file ending without a stream
end (cut short), or bytes that are no packet (damaged).  Positions are the audio time of
the whole audio packets before the break.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

__all__ = ["Sv8Packets", "sv8_packets"]

#: Sample rates by the stream header's 3-bit index (the other four are not defined).
_RATES = (44100, 48000, 37800, 32000)
#: Samples of one Musepack frame; an audio packet holds 1, 4, 16 or 64 of them.
_FRAME = 1152
#: Packets walked at most (a 10-minute song at 44.1 kHz holds about 360 audio packets of
#: 64 frames, 23,000 of one frame).
_MAX_PACKETS = 1_000_000


@dataclass(frozen=True)
class Sv8Packets:
    """What :func:`sv8_packets` read of a Musepack SV8 file.

    Attributes
    ----------
    rate : int
        Sample rate (Hz) the stream header states.
    samples : int
        Samples per channel the stream header states (the song's length).
    seconds : float
        Audio time (s) of the whole audio packets before the end of the stream, or before
        the break when there is one.
    cut_short : bool
        True when the file ends within a packet, or after whole packets without the packet
        that ends the stream.
    damaged : str
        What breaks the chain of packets (``"bytes that are no packet"``), or ``""``.
    """

    rate: int
    samples: int
    seconds: float
    cut_short: bool = False
    damaged: str = ""

    @property
    def stated_seconds(self) -> float:
        """The length (s) the stream header states."""
        return self.samples / self.rate


def _varint(data: bytes, at: int) -> tuple[int, int] | None:
    """``(value, bytes)`` of the size or number at ``data[at:]``, or None when it runs past
    the end of ``data`` or over 9 bytes."""
    value = 0
    for n in range(9):
        if at + n >= len(data):
            return None
        byte = data[at + n]
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            return value, n + 1
    return None


def _stream_header(body: bytes) -> tuple[int, int, int] | None:
    """``(rate, samples, samples per audio packet)`` of a stream header's body (after its
    CRC: version 8, the sample count, the beginning silence, then two bytes of rate,
    bands, channels and frames per packet), or None when it is not one."""
    if len(body) < 5 or body[4] != 8:
        return None
    samples = _varint(body, 5)
    silence = samples and _varint(body, 5 + samples[1])
    if not silence:
        return None
    at = 5 + samples[1] + silence[1]
    if at + 2 > len(body) or body[at] >> 5 >= len(_RATES):
        return None
    return _RATES[body[at] >> 5], samples[0], _FRAME << 2 * (body[at + 1] & 3)


def sv8_packets(path: str, *, start: int = 0) -> Sv8Packets | None:
    """Walk the packets of a Musepack SV8 file.

    Parameters
    ----------
    path : str
        The file.
    start : int
        Where its Musepack stream starts (bytes; after an ID3 tag written in front of it).

    Returns
    -------
    Sv8Packets or None
        The stated length and where the chain of packets ends or breaks; None for another
        file, a file without a stream header before its audio, and one that cannot be read.
    """
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as fh:
            fh.seek(start)
            if fh.read(4) != b"MPCK":
                return None
            pos, header, audio = start + 4, None, 0
            for _ in range(_MAX_PACKETS):
                fh.seek(pos)
                start = fh.read(11)
                if not start and header is not None:
                    return _found(header, audio, cut_short=True)  # no stream end
                length = _varint(start, 2)
                if len(start) < 3 or length is None:
                    if header is not None and pos + len(start) == size:
                        return _found(header, audio, cut_short=True)  # within a header
                    return _found(header, audio, damaged="bytes that are no packet")
                key, (total, count) = start[:2], length
                if not (key.isalpha() and key.isupper()) or total < 2 + count:
                    return _found(header, audio, damaged="bytes that are no packet")
                if pos + total > size:
                    return _found(header, audio, cut_short=True)  # within a packet
                if key == b"SH" and header is None:
                    fh.seek(pos + 2 + count)
                    header = _stream_header(fh.read(total - 2 - count))
                    if header is None:
                        return None
                elif key == b"AP":
                    if header is None:
                        return None
                    audio += 1
                elif key == b"SE":
                    return _found(header, audio)
                pos += total
    except OSError:
        return None
    return None


def _found(header, audio: int, *, cut_short: bool = False,
           damaged: str = "") -> Sv8Packets | None:
    """The :class:`Sv8Packets` of a walk that ended after ``audio`` audio packets."""
    if header is None:
        return None
    rate, samples, per_packet = header
    seconds = min(audio * per_packet, samples) / rate
    return Sv8Packets(rate=rate, samples=samples, seconds=seconds, cut_short=cut_short,
                      damaged=damaged)
