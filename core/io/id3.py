"""The layout of an ID3v2 tag (the tag at the start of most MP3 files): where it ends and
what frames it holds, read from the frame headers without decoding the frames.

Decoders and mutagen trust the size a tag's header states and parse every frame.  A tag
may state a size past the end of the file (268 MB, the largest it can state, before
3 minutes of MP3), and may hold tens of thousands of frames: :func:`id3_tag` measures
the tag by its frames, for :mod:`core.analysis.sniff` to find the audio after them and
:mod:`core.io.tags` to read the title and artist alone.
"""

from __future__ import annotations

import os
import re
import struct
from dataclasses import dataclass, field

__all__ = ["Id3Tag", "id3_tag", "stated_end", "MANY_FRAMES"]

#: Frames beyond which a tag is read for its title and artist alone, and libsndfile is shown
#: the MP3 after it: libmpg123 walks a tag's frames each time the file is opened, in time
#: growing faster than their count (20,000 frames of text: 0.53 s, 5,000: 49 ms, 1,000:
#: 2 ms), and mutagen parses every one (20,000: 0.28 s); ``python -m benchmarks.id3_tags``.
MANY_FRAMES = 1000


def stated_end(head: bytes) -> int:
    """Where the ID3v2 tag at the start of ``head`` (a file's first 10 bytes or more) ends
    by the size its header states, its footer included (0 without a tag)."""
    if head[:3] != b"ID3" or len(head) < 10:
        return 0
    return 10 + _syncsafe(head[6:10]) + (10 if head[5] & 0x10 else 0)


#: A frame id of ID3v2.3/2.4 (four capitals or digits) or of ID3v2.2 (three).
_ID3_FRAME_ID = {2: re.compile(rb"[A-Z0-9]{3}"), 3: re.compile(rb"[A-Z0-9]{4}"),
                 4: re.compile(rb"[A-Z0-9]{4}")}


@dataclass(frozen=True)
class Id3Tag:
    """The layout of the ID3v2 tag at the start of a file, as :func:`id3_tag` walks it.

    Attributes
    ----------
    version : int
        2, 3 or 4 (ID3v2.2, 2.3, 2.4).
    flags : int
        The flags byte of its header.
    stated_end : int
        Where the tag ends by the size its header states (the footer included).
    frames_end : int
        Where its last whole frame ends (its padding, if any, follows).
    count : int
        Frames walked.
    cut : bool
        A frame runs past the end of the file (a file cut within its tag).
    found : dict of bytes to bytes
        The first frame (header and body) of each id asked for.
    """

    version: int
    flags: int
    stated_end: int
    frames_end: int
    count: int
    cut: bool
    found: dict[bytes, bytes] = field(default_factory=dict)


def id3_tag(path: str, wanted: frozenset[bytes] = frozenset()) -> Id3Tag | None:
    """Walk the frames of the ID3v2 tag at the start of ``path`` (frame headers only, and
    the frames whose id is in ``wanted``); None without a tag, or for a tag whose frames
    cannot be walked without decoding it first (ID3v2.2/2.3 unsynchronised as a whole).

    The walk stops at the first bytes that are no frame header (the padding), at the
    end the tag states, or, when that is past the end of the file, at the end of the
    file: a tag whose stated size lies is measured by its frames.
    """
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as fh:
            head = fh.read(10)
            if head[:3] != b"ID3" or len(head) < 10 or head[3] not in (2, 3, 4):
                return None
            version, flags = head[3], head[5]
            if flags & 0x80 and version < 4:
                return None
            stated = stated_end(head)
            limit = min(stated, size)
            pos = 10
            if flags & 0x40 and version > 2:  # an extended header
                ext = fh.read(4)
                pos += (4 + struct.unpack(">I", ext)[0] if version == 3
                        else _syncsafe(ext)) if len(ext) == 4 else 0
            hdr_len, id_len = (6, 3) if version == 2 else (10, 4)
            count, cut, found = 0, False, {}
            while pos + hdr_len <= limit:
                fh.seek(pos)
                hdr = fh.read(hdr_len)
                fid = hdr[:id_len]
                if not _ID3_FRAME_ID[version].fullmatch(fid):
                    break
                if version == 2:
                    length = int.from_bytes(hdr[3:6], "big")
                elif version == 4 and not any(b & 0x80 for b in hdr[4:8]):
                    length = _syncsafe(hdr[4:8])
                else:  # ID3v2.3, or a v2.4 frame some writers size as in v2.3
                    length = struct.unpack(">I", hdr[4:8])[0]
                end = pos + hdr_len + length
                if end > size:
                    cut = True
                    break
                count += 1
                if fid in wanted and fid not in found:
                    found[fid] = hdr + fh.read(length)
                pos = end
    except OSError:
        return None
    return Id3Tag(version=version, flags=flags, stated_end=stated, frames_end=pos,
                  count=count, cut=cut, found=found)


def _syncsafe(data: bytes) -> int:
    return (data[0] << 21) | (data[1] << 14) | (data[2] << 7) | data[3]
