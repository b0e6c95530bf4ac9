"""Ogg files cut short or damaged, found from their pages without decoding.

An Ogg file states no length: Vorbis and Opus decoders read the pages that are there and
stop, so a file cut in half reads as half a song without a word.  The container says more
than the codecs do, though.  Every page starts with a 27-byte header (``OggS``, version,
flags, granule position, stream serial number, page sequence number, CRC, segment count)
and a segment table giving its body's length; the last page of each logical stream carries
the end-of-stream flag; page numbers of a stream run on without a gap; and every page
holds a CRC-32 of itself (polynomial 0x04C11DB7, not reflected, no inversion).

:func:`ogg_damage` walks the pages from header to header and checks, for each audio stream
(Vorbis, Opus, FLAC, Speex; a video or Skeleton stream is passed over):

- that its last page carries the end-of-stream flag and is whole: else the file is cut
  short where the last whole page ends, unless the last page's header is there, carries
  the flag and the audio missing from its body is no more than :data:`MISSING_TAIL_S`;
- that its pages run on without a gap in their numbers, that each one's CRC holds, and that
  nothing but pages lies between them: else the file is damaged there.

Positions are the audio time of the last whole page before the break, from its granule
position (Vorbis, FLAC, Speex: samples at the stream's rate; Opus: 48 kHz samples less the
pre-skip), counted from the start of the file across the links of a chained Ogg (files
joined end to end).  The walk reads the whole file once; the CRCs are computed by zlib on
bit-reversed bytes (the same polynomial, reflected): 6 ms for a 5-minute Vorbis file of
4.6 MB and 4 ms for an Opus one, against 0.4 and 0.75 s to decode them
(``python -m benchmarks.ogg_pages``).
"""

from __future__ import annotations

import mmap
import struct
import zlib
from dataclasses import dataclass

__all__ = ["OggDamage", "ogg_damage", "ogg_crc", "MISSING_TAIL_S"]

#: Audio (s) the last page may lack before the file counts as cut short (as a WAV's).
MISSING_TAIL_S = 0.1

_HEADER = struct.Struct("<4sBBqIIIB")
_BOS, _EOS = 0x02, 0x04
#: Every byte with its bits in reverse order: Ogg's CRC is zlib's CRC-32 mirrored.
_MIRROR = bytes(int(f"{b:08b}"[::-1], 2) for b in range(256))


def ogg_crc(data: bytes) -> int:
    """Ogg's CRC-32 of ``data`` (polynomial 0x04C11DB7, initial value 0, not reflected).

    zlib computes the reflected CRC of the same polynomial; fed the bytes with their bits
    mirrored, from an initial register of 0 and without the final inversion, it gives the
    Ogg CRC with its 32 bits mirrored.
    """
    raw = zlib.crc32(bytes(data).translate(_MIRROR), 0xFFFFFFFF) ^ 0xFFFFFFFF
    return int(f"{raw:032b}"[::-1], 2)


@dataclass(frozen=True)
class OggDamage:
    """What :func:`ogg_damage` found wrong with an Ogg file.

    Attributes
    ----------
    cut_short : bool
        True when the file ends before its audio does (no end-of-stream page, or a last
        page cut within its body); False for damage in the middle.
    seconds : float
        Audio time (s) where the break is: the end of the last whole page before it.
    detail : str
        What is wrong, for messages (e.g. ``"3 pages missing"``).
    announced : float or None
        For a file cut within its last page: the audio time (s) that page's header says the
        stream ends at; None otherwise.
    at_page_end : bool
        True when the file ends with a whole page that is not its stream's last: cut where a
        page ends, or saved from a live stream that never ended (an internet radio
        recording); what it holds reads whole.
    """

    cut_short: bool
    seconds: float
    detail: str
    announced: float | None = None
    at_page_end: bool = False


@dataclass
class _Stream:
    """An audio stream of the link being walked."""

    rate: int  # granule positions per second
    preskip: int  # granule positions before the first sample (Opus)
    seq: int  # sequence number of its last page
    granule: int = 0  # granule position at the end of its last whole page
    ended: bool = False

    def seconds(self, granule: int) -> float:
        return max(0, granule - self.preskip) / self.rate if self.rate > 0 else 0.0


def _audio_stream(body: bytes, seq: int) -> _Stream | None:
    """The audio stream a logical stream's first packet (``body``) opens, or None (video,
    Skeleton, an unknown codec)."""
    if body[:7] == b"\x01vorbis" and len(body) >= 16:
        return _Stream(rate=struct.unpack_from("<I", body, 12)[0], preskip=0, seq=seq)
    if body[:8] == b"OpusHead" and len(body) >= 12:
        return _Stream(rate=48000, preskip=struct.unpack_from("<H", body, 10)[0], seq=seq)
    if body[:5] == b"\x7fFLAC" and len(body) >= 30:  # mapping header, then STREAMINFO
        return _Stream(rate=int.from_bytes(body[27:30], "big") >> 4, preskip=0, seq=seq)
    if body[:8] == b"Speex   " and len(body) >= 40:  # a signed rate, unlike Vorbis's
        return _Stream(rate=struct.unpack_from("<i", body, 36)[0], preskip=0, seq=seq)
    return None


def _plural(n: int, what: str) -> str:
    return f"{n} {what}{'s' if n != 1 else ''}"


def _not_pages(n: int) -> str:
    return "1 byte that is not an Ogg page" if n == 1 else f"{n} bytes that are not Ogg pages"


def ogg_damage(path: str, *, check_crc: bool = True) -> OggDamage | None:
    """Walk an Ogg file's pages and say where it is cut short or damaged.

    Parameters
    ----------
    path : str
        A file starting with an Ogg page.
    check_crc : bool, optional
        Also check each audio page's CRC (a whole read of the file; off, only the page
        headers are read).

    Returns
    -------
    OggDamage or None
        The first break found, or None for a file whose audio streams are whole (or that
        holds no audio stream this walk knows, or cannot be read: the decoders judge it).
    """
    try:
        with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            return _walk(mm, check_crc)
    except (OSError, ValueError):  # ValueError: an empty file cannot be mapped
        return None


def _walk(mm, check_crc: bool) -> OggDamage | None:
    size = len(mm)
    streams: dict[int, _Stream] = {}  # audio streams of the current link, by serial
    main: _Stream | None = None  # the link's first audio stream, which times the song
    offset = 0.0  # audio time of the links before the current one
    pos = 0
    in_link = False  # a page other than a stream's first has been seen in this link
    announced = None  # where the last page, cut within its body, says the audio ends
    mid_page = False  # the file ends within a page (its header, table or body)

    def now() -> float:
        return offset + (main.seconds(main.granule) if main else 0.0)

    while pos < size:
        if size - pos < 27 and b"OggS".startswith(mm[pos:min(size, pos + 4)]):
            mid_page = True
            break  # a page header cut short, within its capture pattern or after it
        if mm[pos:pos + 5] != b"OggS\x00":  # a capture pattern here has a whole header
            # Bytes that are not a page: find the next page.
            at = mm.find(b"OggS", pos + 1)
            while at >= 0 and mm[at + 4:at + 5] not in (b"\x00", b""):
                at = mm.find(b"OggS", at + 1)
            if streams and not all(s.ended for s in streams.values()):
                return OggDamage(False, now(), _not_pages((at if at >= 0 else size) - pos))
            if at < 0:
                break  # trailing bytes after the last stream's end (a tag...)
            pos = at
            continue
        _, _, flags, granule, serial, seq, crc, count = _HEADER.unpack_from(mm, pos)
        table = mm[pos + 27:pos + 27 + count]
        if len(table) < count:
            mid_page = True
            break
        end = pos + 27 + count + sum(table)
        if end > size:
            mid_page = True
            # The last page, cut within its body: the audio its header says it ends with is
            # missing, which a copy that lost its last bytes may be forgiven.
            st = streams.get(serial)
            if st is not None and flags & _EOS and granule >= 0:
                if st.seconds(granule) - st.seconds(st.granule) <= MISSING_TAIL_S:
                    st.ended = True
                elif st is main:
                    announced = offset + st.seconds(granule)
            break
        if flags & _BOS:
            if in_link and streams:  # a new link: the audio of this one is done
                if not all(s.ended for s in streams.values()):
                    return OggDamage(False, now(), "a logical stream breaks off without its "
                                                   "end, and another begins")
                offset, streams, main, in_link = now(), {}, None, False
            st = _audio_stream(mm[pos + 27 + count:end], seq)
            if st is not None:  # (a stream of another kind is passed over)
                streams[serial] = st
                main = main or st
        else:
            in_link = True
            st = streams.get(serial)
            if st is None:
                pos = end  # a video or Skeleton page, or one of a stream whose start is lost
                continue
            if seq != st.seq + 1:
                missing = seq - st.seq - 1
                return OggDamage(False, now(), _plural(missing, "page") + " missing"
                                 if missing > 0 else "pages out of order")
            st.seq = seq
        if check_crc and serial in streams:
            page = mm[pos:end]
            if ogg_crc(page[:22] + bytes(4) + page[26:]) != crc:
                return OggDamage(False, now(), "a page fails its checksum")
        if serial in streams:
            st = streams[serial]
            if granule >= 0:
                st.granule = granule
            if flags & _EOS:
                st.ended = True
        pos = end
    if any(not s.ended for s in streams.values()):
        return OggDamage(True, now(), "no end-of-stream page", announced,
                         at_page_end=not mid_page)
    return None
