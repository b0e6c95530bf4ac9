"""Breaks in an MP3's chain of frames: bytes that are no frame between its frames.

An MP3 is a chain of frames, each header giving the length to the next one.  Damage that
hits a header, or bytes written between frames (a download resumed at the wrong place, an
ID3 tag pasted in the middle), break the chain.  libmpg123 (libsndfile's MP3 decoder)
finds its way back to the next frame, but writes a note about each break straight to the
process's standard error ("Note: Illegal Audio-MPEG-Header 0x... at offset ...", "Note:
Trying to resync...", "Note: Skipped 182 bytes in input."), which no caller can turn off
or catch, and after bytes inserted between frames it may stop early: 12 bytes of junk
inserted every half second made a 6 s song end at 1.7 s, "cut short".

:func:`mp3_chain` walks the chain (frame headers only: 20 ms for 5 minutes at 250 kbit/s, which
take 0.87 s to decode) and says where it
breaks; :mod:`core.analysis.decode` then reads such a file with FFmpeg,
silent, which skips the bytes that are no frame and the frames it cannot decode, and the
song's note says where the breaks are.  A file whose chain is whole is read by libsndfile
as before.  The end of the file is no break: a last frame cut short, zeros, bytes that are
no frame, tags (ID3v1, APEv2, Lyrics3) after the last frame.  Zeros or bytes that are no
frame after the last one make libmpg123 warn, at every opening, that the stream's size its
Xing header states is off: libsndfile is then shown the file up to the end of the chain.
"""

from __future__ import annotations

import mmap
import os
from typing import NamedTuple

from core.analysis.joined import _header_name, _samples_per_frame, _xing
from core.analysis.sniff import FREE_SPAN, _first_frames, _free_length, _mpeg_frame

__all__ = ["mp3_breaks", "mp3_chain", "Mp3Chain"]

#: Bytes searched at a time for the frames that follow a break.
_WINDOW = 64 * 1024
#: Consecutive frames that make the chain found again after a break.
_RESYNC_RUN = 3


class Mp3Chain(NamedTuple):
    """What :func:`mp3_chain` found.

    Attributes
    ----------
    breaks : list of float
        The audio time (s) of each break in the chain of frames.
    junk_at : int or None
        Where the chain ends when bytes that are no frame and no tag follow it (zeros, junk:
        libmpg123 then warns that the size the Xing header states is off); None when the
        file ends with its last frame, tags, or a last frame cut short.
    seconds : float
        Audio (s) in the frames walked, the Xing or Info frame left out.
    declared : float or None
        Audio (s) in the frames the Xing, Info or VBRI header declares (None without one).
    cut : bool
        The file ends within its last frame (a copy or download that lost its end).
    changes_at : float or None
        The audio time (s) where the frames change MPEG version, layer or sample rate
        (files of two kinds joined end to end, which libmpg123 stops at); None when they
        never do.
    header : str
        ``"VBRI"`` when the first frame holds a VBRI header (Fraunhofer's encoders), whose
        length libsndfile does not read; ``"Xing"`` otherwise.
    free : bool
        The frames are in free format: their headers state no bit rate (FFmpeg reads no
        such stream).
    stated_bytes : int or None
        The stream's size (bytes) its Xing or VBRI header states (None without one, or
        when the header leaves it out).
    first : int
        Where the first frame starts (byte).
    """

    breaks: list[float]
    junk_at: int | None
    seconds: float = 0.0
    declared: float | None = None
    cut: bool = False
    changes_at: float | None = None
    header: str = "Xing"
    free: bool = False
    stated_bytes: int | None = None
    first: int = 0


def mp3_chain(path: str, start: int = 0) -> Mp3Chain:
    """Walk the chain of MPEG frames of an MP3 from ``start`` (where its audio starts, after
    its ID3v2 tag): where it breaks, and where it ends when junk follows it.  A file whose
    first frames cannot be found has neither."""
    try:
        size = os.path.getsize(path)
        if size <= start + 4:
            return Mp3Chain([], None)
        with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            return _walk(mm, start, size)
    except (OSError, ValueError):
        return Mp3Chain([], None)


def mp3_breaks(path: str, start: int = 0) -> list[float]:
    """The audio time (s) of each place where bytes that are no frame come between two
    frames of an MP3 (:attr:`Mp3Chain.breaks` of :func:`mp3_chain`); empty for a whole
    chain."""
    return mp3_chain(path, start).breaks


def _walk(mm, start: int, size: int) -> Mp3Chain:
    first = _first_frames(mm[start:start + 4 * _WINDOW])
    if first is None:
        return Mp3Chain([], None)
    pos = start + first
    seconds, breaks, declared, changes_at, header = 0.0, [], None, None, "Xing"
    stated_bytes, first = None, pos
    # A free-format stream's frames have one length (but for padding), found once.
    free = _free_length(mm[pos:pos + FREE_SPAN], 0)
    ident = _mpeg_frame(mm[pos:pos + 4], 0, free)[1]
    if (xing := _xing(mm[pos:pos + 256], 0)) is not None:  # the Xing frame holds no audio
        header = _header_name(mm[pos:pos + 256], 0)
        version, layer, rate = ident
        seconds = -_samples_per_frame(version, layer) / rate
        if xing[0]:
            declared = xing[0] * _samples_per_frame(version, layer) / rate
        stated_bytes = xing[1]

    def chain(junk_at: int | None, cut: bool = False) -> Mp3Chain:
        return Mp3Chain(breaks, junk_at, max(0.0, seconds), declared, cut, changes_at, header,
                        free is not None, stated_bytes, first)

    while pos + 4 <= size:
        frame = _mpeg_frame(mm[pos:pos + 4], 0, free)
        if frame is not None and frame[0] >= 4:
            if pos + frame[0] > size:  # the last frame, cut short: the end of the file
                return chain(None, cut=True)
            if frame[1] != ident and changes_at is None:
                changes_at = max(0.0, seconds)
            version, layer, rate = frame[1]
            seconds += _samples_per_frame(version, layer) / rate
            pos += frame[0]
            continue
        if mm[pos:pos + 3] in (b"TAG", b"APE", b"LYR", b"ID3"):  # tags after the last frame
            found = _resync(mm, pos, size)
            if found is None:
                return chain(None)
        else:
            found = _resync(mm, pos, size)
            if found is None:  # nothing but bytes that are no frame up to the end
                return chain(pos)
        breaks.append(seconds)
        pos = found
    return chain(None)


def _resync(mm, pos: int, size: int) -> int | None:
    """Where the next run of :data:`_RESYNC_RUN` frames after ``pos`` starts, or None."""
    at = pos + 1
    while at < size - 4:
        found = _first_frames(mm[at:at + _WINDOW], _RESYNC_RUN)
        if found is not None:
            return at + found
        # The windows overlap by the span a run's three headers take at most (free-format
        # frames of up to 2880 bytes): a run that starts near a window's end and is cut by
        # it starts within the next window.
        at += _WINDOW - FREE_SPAN
    return None
