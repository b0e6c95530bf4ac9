"""Files joined end to end: audio past the length a decoder trusts.

``cat a.mp3 b.mp3 > mix.mp3`` keeps the first file's Xing (or Info) header, and libsndfile
(mpg123) stops after the number of frames it declares: the second part is left out without
a word.  An MP3 without that header has no declared length, and libsndfile stops at a
length it estimates from the first frame's bit rate, which is wrong when the bit rate
varies (a VBR file, or parts of different bit rates joined).  Two OGG files
joined make a *chained* OGG, and libsndfile reads its first logical stream only.

These checks look at the file's structure, never at its samples, and cost a few small
reads (an MP3) or one search of the file for page headers (an OGG):

- :func:`mp3_unread_audio` says why libsndfile would stop before the end of an MP3's
  frames, or None when it reads them all;
- :func:`mp3_parts` gives the byte ranges of the MP3 files joined in one (each from its
  Xing frame to the end of the stream it declares, the tags between them left out);
- :func:`ogg_chains` gives the byte ranges of the links of a chained OGG.

:mod:`core.analysis.decode` then reads such a file with FFmpeg, each part or link opened
on its own, as the file it was before being joined.  FFmpeg reading the whole file would
take the tags between the parts for damaged audio (a cover picture of the second file
decodes into errors, or noise), keep the encoder's padding of every part but the first,
and stop with an error at a link of a chained OGG whose rate or channels differ.
"""

from __future__ import annotations

import mmap
import os
import struct

from core.analysis.sniff import (
    FREE_SPAN,
    _free_length,
    _id3_end,
    _mpeg_frame,
    fmt_time,
    mp3_audio_start,
)

__all__ = ["mp3_parts", "mp3_unread_audio", "ogg_chains"]

#: Bytes read after the ID3v2 tag to find the first frames (as :func:`has_mpeg_frames`).
_HEAD_BYTES = 256 * 1024
#: Bytes looked through for frames after a declared end, and at the end of the file.
_TAIL_BYTES = 64 * 1024
#: Consecutive, consistent frames that make MPEG audio (not tags, pictures or junk).
_RUN = 4
#: Frames of the first part whose bit rates are compared with the first frame's.
_HEAD_FRAMES = 64


def _run(data: bytes, i: int, limit: int) -> list[int]:
    """Offsets of the consecutive frames of one format starting at ``data[i:]``, at most
    ``limit`` of them (those wholly inside ``data``)."""
    free = _free_length(data, i)  # None for a header that states its bit rate
    first = _mpeg_frame(data, i, free)
    if first is None:
        return []
    ident, found = first[1], []
    while len(found) < limit:
        frame = _mpeg_frame(data, i, free)
        if frame is None or frame[1] != ident or frame[0] < 4 or i + frame[0] > len(data):
            break
        found.append(i)
        i += frame[0]
    return found


def _find_run(data: bytes, start: int = 0) -> int | None:
    """Offset of the first run of :data:`_RUN` frames at or after ``start``, or None."""
    i = data.find(b"\xff", start)
    while 0 <= i < len(data) - 4:
        if len(_run(data, i, _RUN)) == _RUN:
            return i
        i = data.find(b"\xff", i + 1)
    return None


def _samples_per_frame(version: int, layer: int) -> int:
    if layer == 1:
        return 384
    return 1152 if layer == 2 or version == 3 else 576


def _xing(data: bytes, i: int) -> tuple[int | None, int | None] | None:
    """``(frames, bytes)`` of the Xing or Info header, or of the VBRI header, in the Layer
    III frame at ``data[i:]`` (each None when a Xing header leaves it out), or None without
    such a header.  Either counts the frames after its own, which holds no audio."""
    b1 = data[i + 1]
    version, layer = (b1 >> 3) & 3, 4 - ((b1 >> 1) & 3)
    if layer != 3:
        return None
    if _is_vbri(data, i):
        size, frames = struct.unpack(">II", data[i + 46:i + 54])
        return frames, size
    mono = data[i + 3] >> 6 == 3
    side = (17 if mono else 32) if version == 3 else (9 if mono else 17)
    at = i + 4 + side
    if data[at:at + 4] not in (b"Xing", b"Info") or at + 16 > len(data):
        return None
    flags = struct.unpack(">I", data[at + 4:at + 8])[0]
    at += 8
    frames = size = None
    if flags & 1:
        frames = struct.unpack(">I", data[at:at + 4])[0]
        at += 4
    if flags & 2 and at + 4 <= len(data):
        size = struct.unpack(">I", data[at:at + 4])[0]
    return frames, size


def _is_vbri(data: bytes, i: int) -> bool:
    """True when the frame at ``data[i:]`` holds a VBRI header, which Fraunhofer's encoders
    write where others write a Xing header: 32 bytes after the frame header, whatever the
    version and channels, ``VBRI``, its version (1), the encoder delay, a quality, then the
    stream's bytes and its frames (4 bytes each, big-endian)."""
    return data[i + 36:i + 40] == b"VBRI" and data[i + 40:i + 42] == b"\x00\x01" \
        and i + 54 <= len(data)


def _header_name(data: bytes, i: int) -> str:
    """``"VBRI"`` for a frame holding a VBRI header, ``"Xing"`` otherwise (for a Xing or
    Info header), as the song's note names the header."""
    return "VBRI" if _is_vbri(data, i) else "Xing"


def _skip_tags(fh, pos: int, size: int) -> tuple[int, bytes]:
    """``(offset, bytes from there)`` past the tags that may sit between two joined files
    (the first one's ID3v1 or APE tag, the second one's ID3v2 tag, pictures and all)."""
    chunk = b""
    for _ in range(8):
        if pos >= size:
            return size, b""
        fh.seek(pos)
        chunk = fh.read(_TAIL_BYTES)
        if chunk[:3] == b"ID3":
            pos += max(10, _id3_end(chunk[:10]))
        elif chunk[:8] == b"APETAGEX" and len(chunk) >= 16:
            pos += 32 + struct.unpack("<I", chunk[12:16])[0]  # its header, then the rest
        elif chunk[:3] == b"TAG":
            pos += 128
        else:
            break
    return pos, chunk


def _hop(fh, pos: int, count: int, size: int) -> int | None:
    """Where ``count`` frames from ``pos`` end, or None when they do not follow each other."""
    with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        free = _free_length(mm[pos:pos + FREE_SPAN], 0)
        for _ in range(count):
            frame = _mpeg_frame(mm[pos:pos + 4], 0, free) if pos + 4 <= size else None
            if frame is None:
                return None
            pos += frame[0]
    return pos


#: Most parts an MP3 is split into (a DJ mix of single tracks has a few dozen).
_MAX_PARTS = 1000


def mp3_parts(path: str) -> list[tuple[int, int]]:
    """Byte ranges of the MP3 files joined end to end in ``path``: one range (from the
    first frame to the end of the file) for an ordinary file, none without MPEG frames.

    A part whose first frame holds a Xing or Info header ends where the stream it declares
    ends; MPEG frames after that (past any tags) start the next part.  A part without that
    header runs to the end of the file.

    Parameters
    ----------
    path : str
        An MP3 file.

    Returns
    -------
    list of (int, int)
        ``(start, end)`` of each part, ``end`` excluded; the tags between parts are in none.
    """
    parts: list[tuple[int, int]] = []
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as fh:
            pos = mp3_audio_start(path)
            fh.seek(pos)
            data = fh.read(_HEAD_BYTES)
            while len(parts) < _MAX_PARTS:
                i = _find_run(data)
                if i is None:
                    break
                start = pos + i
                xing = _xing(data, i)
                if xing is None or not xing[0]:
                    parts.append((start, size))
                    break
                frames, length = xing
                end = start + length if length else _hop(fh, start, frames + 1, size)
                if end is None or end >= size:
                    parts.append((start, size))
                    break
                parts.append((start, end))
                pos, data = _skip_tags(fh, end, size)
    except OSError:
        return parts
    return parts


def mp3_unread_audio(path: str) -> str | None:
    """Why libsndfile would stop before the end of this MP3's audio, or None.

    With a Xing or Info header, libsndfile stops after the frames it declares: MPEG frames
    after the stream it declares (:func:`mp3_parts`) are left out.  Without one, it stops
    at a length estimated from the first frame's bit rate, wrong when the bit rate varies
    (too short when later frames have fewer bits; when they have more, the file is
    reported as cut short): the first frames and the last ones are compared with it.

    Parameters
    ----------
    path : str
        An MP3 file.

    Returns
    -------
    str or None
        The reason, e.g. ``"MPEG audio goes on after the 0:05.0 (5.0 s) its header
        declares"``; None when libsndfile reads every frame (or no frames are found).
    """
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as fh:
            start = mp3_audio_start(path)
            fh.seek(start)
            data = fh.read(_HEAD_BYTES)
            i = _find_run(data)
            if i is None:
                return None
            version, layer, rate = _mpeg_frame(data, i, _free_length(data, i))[1]
            xing = _xing(data, i)
            if xing is not None and xing[0]:
                if len(mp3_parts(path)) < 2:
                    return None
                declared = xing[0] * _samples_per_frame(version, layer) / rate
                return (f"MPEG audio goes on after the {fmt_time(declared)} its header "
                        "declares (files joined end to end)")
            # No declared length: libsndfile's estimate is the file's size at the first
            # frame's bit rate.
            first_rate = data[i + 2] >> 4
            rates = [data[j + 2] >> 4 for j in _run(data, i, _HEAD_FRAMES)]
            fh.seek(max(start + i, size - _TAIL_BYTES))
            tail = fh.read(_TAIL_BYTES)
    except OSError:
        return None
    j = _find_run(tail)
    if j is not None:
        if _mpeg_frame(tail, j, _free_length(tail, j))[1] != (version, layer, rate):
            return "its format changes after the first frames (files joined end to end)"
        rates += [tail[k + 2] >> 4 for k in _run(tail, j, _HEAD_FRAMES)]
    if any(r != first_rate for r in rates):
        return ("it has no Xing header and its bit rate varies: the length libsndfile "
                "estimates from the first frame is wrong")
    return None


#: A page that starts a logical stream: capture pattern, version 0, the BOS flag (alone or
#: with EOS), then a granule position of 0.
_BOS_PAGES = (b"OggS\x00\x02" + bytes(8), b"OggS\x00\x06" + bytes(8))


def _page_length(mm, pos: int) -> int | None:
    """Length of the OGG page at ``pos`` (header, segment table, body), or None."""
    if mm[pos:pos + 5] != b"OggS\x00" or pos + 27 > len(mm):
        return None
    segments = mm[pos + 26]
    table = mm[pos + 27:pos + 27 + segments]
    if len(table) < segments:
        return None
    return 27 + segments + sum(table)


def ogg_chains(path: str) -> list[tuple[int, int]]:
    """Byte ranges of the links of a chained OGG: one range, the whole file, for an
    ordinary file.

    A link starts with the pages that begin its logical streams (the BOS flag, a granule
    position and a page number of 0); the first link's are at the start of the file, a
    later one's follow the end of the link before.

    Parameters
    ----------
    path : str
        An OGG file.

    Returns
    -------
    list of (int, int)
        ``(start, end)`` of each link, ``end`` excluded.
    """
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            pos = 0
            while (mm[pos + 5:pos + 6] in (b"\x02", b"\x06")
                   and (length := _page_length(mm, pos)) is not None):
                pos += length  # the first link's opening pages (one per logical stream)
            hits = []
            for pattern in _BOS_PAGES:
                at = mm.find(pattern, pos)
                while at >= 0:
                    if mm[at + 18:at + 22] == bytes(4) and _page_length(mm, at):
                        hits.append(at)
                    at = mm.find(pattern, at + 1)
            starts, group_end = [0], None
            for at in sorted(hits):
                if at != group_end:  # not the next opening page of the same link
                    starts.append(at)
                group_end = at + _page_length(mm, at)
    except (OSError, ValueError):  # ValueError: an empty file cannot be mapped
        return [(0, 0)]
    return list(zip(starts, [*starts[1:], size], strict=True))
