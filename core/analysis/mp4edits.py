"""The edit list of an MP4/M4A file's audio track, and what the song's note says about it.

An MP4 track may carry an edit list (an ``elst`` box in ``moov/trak/edts``) that says which
part of the track's samples is played: an AAC encoder's lead-in (priming, 1024 or 2112
samples) is left out so, and a track can be cut or made of parts.  FFmpeg follows the edit
list it finds, with three exceptions that change what is read:

- an edit list of no edits is ignored: the track is read whole, the encoder's lead-in
  included (an AAC song then starts 23-48 ms late and is that much longer);
- the number of edits FFmpeg reads is the one the box's size gives, not the one it states;
- an edit's playback rate is not followed;
- empty edits (silence) are not read as silence, edits are joined at whole packets (a part
  after the first starts up to a packet early, with a click where it is joined), and an
  edit that runs past the end of the track, or any edit of a fragmented file, is read on
  into the padding of the track's last packet.

For such edit lists (an empty edit, more than one edit, one past the end of the track or one
in a fragmented file; all at ordinary speed, with at most :data:`_MAX_SILENCE_S` of silence
and :data:`_MAX_PASSES` passes) :func:`edit_cuts` gives the ranges of the track's samples
that players play, in order, with silence for an empty edit; the decoder then reads the
whole track and cuts it so, to the sample (once more for each part that goes back in
the track).

:func:`audio_edit_list` reads the edit list of the first audio track with a few small reads
(at most :data:`MAX_BOXES` box headers, and 4 levels of boxes: ``moov``, ``trak``,
``edts`` or ``mdia``, then ``elst``, ``hdlr`` and ``mdhd``; never the whole file), and :func:`edit_list_notice` says what is unusual about it, or nothing.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass

__all__ = ["Edit", "EditList", "audio_edit_list", "edit_cuts", "edit_list_notice",
           "MAX_BOXES"]

#: Box headers read at most while looking for the edit list.
MAX_BOXES = 4096
#: Edits read at most from one edit list.
_MAX_EDITS = 4096
#: Silence (s) of empty edits read at most: an edit list with more (hours, which a damaged
#: box may state) is read as FFmpeg reads it, without the silence.
_MAX_SILENCE_S = 600.0
#: Passes over the track read at most to cut parts that go back in it: an edit list that
#: needs more (each pass decodes the track again) is read as FFmpeg reads it.
_MAX_PASSES = 8
#: Audio (s) an edit list may leave out of a track beyond its lead-in without a note: the
#: priming and the padding of the last packet of an AAC track are below 0.05 s.
_UNPLAYED_S = 0.1


@dataclass(frozen=True)
class Edit:
    """One entry of an edit list.

    Attributes
    ----------
    duration_s : float
        How long the edit plays (s).
    media_s : float or None
        Where in the track it starts (s); None for an empty edit (silence).
    rate : float
        Its playback rate (1.0 for ordinary play).
    """

    duration_s: float
    media_s: float | None
    rate: float


@dataclass(frozen=True)
class EditList:
    """The edit list of a track.

    Attributes
    ----------
    stated : int
        Edits the box states it holds.
    edits : tuple of Edit
        Edits the box holds (as many as its size leaves room for).
    track_s : float or None
        Length (s) of the track's samples, from its media header; None when not known (none
        stated, or a fragmented file).
    """

    stated: int
    edits: tuple[Edit, ...]
    track_s: float | None


class _Walk:
    """Box headers read from an open file, no more than :data:`MAX_BOXES` in all."""

    def __init__(self, fh, size: int):
        self.fh, self.size, self.left = fh, size, MAX_BOXES

    def boxes(self, begin: int, end: int):
        """``(kind, body_at, body_end)`` of the boxes from ``begin`` to ``end``."""
        pos = begin
        while pos + 8 <= end and self.left > 0:
            self.left -= 1
            self.fh.seek(pos)
            hdr = self.fh.read(16)
            if len(hdr) < 8:
                return
            length, kind = struct.unpack(">I4s", hdr[:8])
            body = pos + 8
            if length == 1 and len(hdr) == 16:
                length, body = struct.unpack(">Q", hdr[8:16])[0], pos + 16
            elif length == 0:  # runs to the end of its parent
                length = end - pos
            if length < body - pos or pos + length > end:
                return
            yield kind, body, pos + length
            pos += length

    def read(self, at: int, n: int) -> bytes:
        self.fh.seek(at)
        return self.fh.read(n)


def _timescale(head: bytes) -> tuple[int, int] | None:
    """``(timescale, duration)`` of an ``mvhd`` or ``mdhd`` box body (versions 0 and 1)."""
    if len(head) >= 20 and head[0] == 0:
        return struct.unpack(">II", head[12:20])
    if len(head) >= 32 and head[0] == 1:
        scale, duration = struct.unpack(">IQ", head[20:32])
        return scale, duration
    return None


def _elst(walk: _Walk, at: int, end: int, movie: int, media: int) -> tuple[int, list[Edit]]:
    """Edits stated and held by the ``elst`` box whose body is at ``at``..``end``."""
    head = walk.read(at, 8)
    if len(head) < 8:
        return 0, []
    version, stated = head[0], struct.unpack(">I", head[4:8])[0]
    fmt = ">QqhH" if version == 1 else ">IihH"
    step = struct.calcsize(fmt)
    held = min((end - at - 8) // step, _MAX_EDITS)
    data = walk.read(at + 8, held * step)
    edits = []
    for k in range(len(data) // step):
        duration, media_time, whole, frac = struct.unpack_from(fmt, data, k * step)
        edits.append(Edit(duration_s=duration / movie,
                          media_s=None if media_time == -1 else media_time / media,
                          rate=whole + frac / 65536))
    return stated, edits


def _audio_track(walk: _Walk, at: int, end: int, movie: int) -> EditList | None:
    """The edit list of the ``trak`` box at ``at``..``end`` when it holds audio; an empty
    one when an audio track has none; None for another track."""
    elst = None
    audio, media, track_s = False, 0, None
    for kind, body, stop in walk.boxes(at, end):
        if kind == b"edts":
            elst = next(((b, s) for k, b, s in walk.boxes(body, stop) if k == b"elst"), None)
        elif kind == b"mdia":
            for sub, sbody, _ in walk.boxes(body, stop):
                if sub == b"hdlr":
                    audio = walk.read(sbody + 8, 4) == b"soun"
                elif sub == b"mdhd" and (scaled := _timescale(walk.read(sbody, 32))):
                    media = scaled[0]
                    track_s = scaled[1] / media if media else None
    if not audio:
        return None
    if elst is None or not movie or not media:
        return EditList(stated=-1, edits=(), track_s=track_s)  # no edit list at all
    stated, edits = _elst(walk, *elst, movie, media)
    return EditList(stated=stated, edits=tuple(edits), track_s=track_s)


def audio_edit_list(path: str, start: int = 0) -> EditList | None:
    """The edit list of the first audio track of the MP4 starting at byte ``start`` of
    ``path``; None when the track has none, the file holds no audio track, or its boxes
    cannot be walked."""
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as fh:
            walk = _Walk(fh, size)
            for kind, body, stop in walk.boxes(start, size):
                if kind != b"moov":
                    continue
                movie, found, fragmented = 0, None, False
                for sub, sbody, sstop in walk.boxes(body, stop):
                    if sub == b"mvhd" and (scaled := _timescale(walk.read(sbody, 32))):
                        movie = scaled[0]
                    elif sub == b"trak" and found is None:
                        found = _audio_track(walk, sbody, sstop, movie)
                    fragmented = fragmented or sub == b"mvex"
                if found is None or found.stated < 0:
                    return None
                # A fragmented file's samples are in its fragments: its media header does
                # not give the track's length (it states 0, usually).
                if fragmented or not found.track_s:
                    found = EditList(stated=found.stated, edits=found.edits, track_s=None)
                return found
    except OSError:
        return None
    return None


def _ordinary(edit: Edit) -> bool:
    return abs(edit.rate - 1.0) <= 1e-6


def _past_end(found: EditList, edit: Edit) -> bool:
    """True when ``edit`` plays on past the end of the track (by more than a millisecond)."""
    return found.track_s is not None and edit.media_s is not None \
        and edit.media_s + edit.duration_s > found.track_s + 1e-3


def _cut_by_samples(found: EditList | None) -> bool:
    """True when the edit list ``found`` is read by cutting the whole track by samples
    (:func:`edit_cuts`)."""
    if found is None or not found.edits:
        return False
    edits = found.edits
    played = [e for e in edits if e.media_s is not None]
    if not played or not all(map(_ordinary, played)):
        return False
    if sum(e.duration_s for e in edits if e.media_s is None) > _MAX_SILENCE_S:
        return False
    passes, end = 1, 0.0
    for edit in played:
        passes += edit.media_s < end - 1e-5  # goes back in the track: one more pass
        end = edit.media_s + edit.duration_s
    if passes > _MAX_PASSES:
        return False
    return len(edits) > 1 or found.track_s is None or _past_end(found, edits[0])


def edit_cuts(found: EditList | None, rate: int) -> tuple[tuple[int | None, int], ...]:
    """The samples players play of a track whose edit list FFmpeg does not read as they do.

    Parameters
    ----------
    found : EditList or None
        The track's edit list (:func:`audio_edit_list`).
    rate : int
        The track's sample rate (Hz).

    Returns
    -------
    tuple of (int or None, int)
        ``(first sample, count)`` of each edit in order, ``None`` for an empty edit
        (``count`` samples of silence), counts cut at the end of the track when its length
        is known; empty when
        FFmpeg reads the edit list as written (an ordinary one, none, or one this cannot
        follow either: edits at another rate, more than 600 s of silence, or parts that go
        back in the track more than 7 times).
    """
    if not _cut_by_samples(found):
        return ()
    track = None if found.track_s is None else round(found.track_s * rate)
    cuts = []
    for edit in found.edits:
        count = round(edit.duration_s * rate)
        if edit.media_s is None:
            cuts.append((None, count))
        elif track is None:
            cuts.append((round(edit.media_s * rate), count))
        else:
            first = min(round(edit.media_s * rate), track)
            cuts.append((first, max(0, min(count, track - first))))
    return tuple(cuts)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def edit_list_notice(found: EditList | None) -> str:
    """What the song's note says about the edit list ``found`` (:func:`audio_edit_list`):
    one that is empty, states a number of edits it does not hold, plays at another rate,
    joins parts of the track, or leaves out much of it; "" for an ordinary one or none."""
    if found is None:
        return ""
    edits = found.edits
    if not edits:
        states = "" if found.stated == 0 else f", though it states {_plural(found.stated, 'edit')}"
        return (f"its MP4 edit list is empty{states}: the audio track is read whole from its "
                "first sample, with any lead-in its encoder put first (which an edit list "
                "usually leaves out)")
    notes = []
    if found.stated != len(edits):
        notes.append(f"its MP4 edit list states {_plural(found.stated, 'edit')} but holds "
                     f"{len(edits)}: the {_plural(len(edits), 'edit')} it holds "
                     f"{'are' if len(edits) != 1 else 'is'} followed")
    played = [e for e in edits if e.media_s is not None]
    if not played:
        return "; ".join(notes)
    cut = _cut_by_samples(found)
    if edits[0].media_s is None and edits[0].duration_s > 0:
        lead = edits[0].duration_s
        notes.append(f"its MP4 edit list starts the audio after {lead:.3f} s of silence, " + (
            "which is read as silence, as players play it" if cut else
            f"which is not read: every time in the results is {lead:.3f} s early"))
    if len(played) > 1:
        notes.append(f"its MP4 edit list joins {len(played)} parts of its audio track: " + (
            "they are joined sample by sample, as players join them" if cut else
            "they are joined at whole packets (FFmpeg's), so each part after the first "
            "may start up to a packet early (1024 samples for AAC), with a click at the join"))
    if cut and (late := [e for e in played if _past_end(found, e)]):
        edit = late[0]
        notes.append(f"its MP4 edit list plays {edit.duration_s:.3f} s from "
                     f"{edit.media_s:.3f} s of its {found.track_s:.3f} s audio track, past its "
                     f"end: the {max(0.0, found.track_s - edit.media_s):.3f} s up to its end "
                     "are read")
    if any(abs(e.rate - 1.0) > 1e-6 for e in played):
        rate = next(e.rate for e in played if abs(e.rate - 1.0) > 1e-6)
        notes.append(f"its MP4 edit list plays the audio at {rate:g} times its speed, which "
                     "is not followed: it is read at its own speed")
    total = sum(e.duration_s for e in played)
    if found.track_s is not None and len(played) == 1 \
            and total < found.track_s - played[0].media_s - _UNPLAYED_S:
        notes.append(f"its MP4 edit list plays {total:.3f} s of its "
                     f"{found.track_s:.3f} s audio track: that part is read")
    return "; ".join(notes)
