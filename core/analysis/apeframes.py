"""Where a Monkey's Audio file's frames end, by its header, without decoding them.

FFmpeg's decoder fails on a frame the end of the file cuts as it fails on a damaged one,
and drops the rest of a damaged last frame without an error: the two look alike from the
audio.  A Monkey's Audio file of version 3.98 or later (every one written since 2003)
starts with a descriptor that states the size of each of its parts in turn: the
descriptor itself, the header (which states the frame count, the samples per frame and
those of the last one), the seek table (where each frame starts), the header of the WAV
file it was made from, and the frames.  A file whose size reaches the end of the frames so
stated holds every byte of its audio: audio that breaks off before the stated length is
damage there, not a file cut short.  Older files state no size of their frames.
"""

from __future__ import annotations

import struct

__all__ = ["ape_frames_end"]

#: The first version whose file starts with a descriptor of the sizes of its parts.
_DESCRIPTOR_VERSION = 3980


def ape_frames_end(path: str, *, start: int = 0) -> int | None:
    """Where the frames of the Monkey's Audio stream at ``start`` end by its descriptor.

    Parameters
    ----------
    path : str
        The file.
    start : int
        Where its Monkey's Audio stream starts (bytes; after an ID3 tag written in front of
        it).  The seek table counts from there.

    Returns
    -------
    int or None
        The byte after the last frame, from the start of the file; None for another file,
        a version without a descriptor (before 3.98), a descriptor whose sizes disagree with
        its seek table (the last frame starting past the frames' end), and a file that
        cannot be read.
    """
    try:
        with open(path, "rb") as fh:
            fh.seek(start)
            head = fh.read(40)
            if len(head) < 40 or head[:4] != b"MAC ":
                return None
            version = struct.unpack_from("<H", head, 4)[0]
            if version < _DESCRIPTOR_VERSION:
                return None
            (descriptor, header, table, wav_header, data_low,
             data_high) = struct.unpack_from("<6I", head, 8)
            frames_at = descriptor + header + table + wav_header
            end = frames_at + (data_high << 32 | data_low)
            fh.seek(start + descriptor)
            stated = fh.read(16)  # compression, flags, samples per frame, in the last, frames
            if len(stated) < 16 or end <= frames_at:
                return None
            count = struct.unpack_from("<I", stated, 12)[0]
            if not 0 < 4 * count <= table:
                return None
            fh.seek(start + descriptor + header + 4 * (count - 1))  # the last frame's entry
            last = fh.read(4)
    except OSError:
        return None
    if len(last) < 4 or not frames_at <= struct.unpack("<I", last)[0] < end:
        return None
    return start + end
