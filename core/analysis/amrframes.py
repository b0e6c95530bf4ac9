"""The length of an AMR file, counted from its frame headers without decoding them.

An AMR file (``.amr``: AMR-NB, ``.awb``: AMR-WB, RFC 4867's storage format) states no
length.  It is its magic (``#!AMR\\n`` or ``#!AMR-WB\\n``) and then frames of 20 ms each,
whose first byte's frame type (bits 3-6) says how long the frame is: speech at one of the
codec's rates, comfort noise (SID) or no data.  FFmpeg guesses the length from the size of
the file and the bit rate of its first frame, which is close for a file of speech frames
alone (8.28 s for 8 s) but not for a recording made with discontinuous transmission (DTX,
as phones record speech), whose pauses are frames of 6 bytes or 1 byte among frames of 32
or 61: a test file of 8 s starting in a pause was guessed 14.6 s long (AMR-NB) and 21.1 s
(AMR-WB), and one starting in speech with long pauses would be guessed several times too
short.  :func:`amr_seconds` walks the frame headers, as FFmpeg's demuxer does, and counts.
"""

from __future__ import annotations

import os

__all__ = ["amr_seconds", "frame_type", "FRAME_S"]

#: The audio time of one AMR frame, whatever its type (s).
FRAME_S = 0.02

#: Bytes of a frame (its header byte included) by frame type, as FFmpeg's demuxer reads
#: them: speech at each rate, then comfort noise (SID), then types with no speech data.
_FRAME_BYTES = {
    b"#!AMR\n": (13, 14, 16, 18, 20, 21, 27, 32, 6, 1, 1, 1, 1, 1, 1, 1),
    b"#!AMR-WB\n": (18, 24, 33, 37, 41, 47, 51, 59, 61, 6, 1, 1, 1, 1, 1, 1),
}

#: Frames walked at most (67 minutes of audio, walked in 0.03 s here); the length of the
#: rest of a longer file is estimated from the bytes per frame of those walked.
_MAX_FRAMES = 200_000

#: Bytes read at a time.
_CHUNK = 1 << 16


def frame_type(first: int) -> int:
    """The frame type (0-15) an AMR frame's first byte holds in its bits 3-6."""
    return first >> 3 & 15


def amr_seconds(path: str) -> float | None:
    """The audio time (s) of the frames of an AMR file, counted from their headers.

    Parameters
    ----------
    path : str
        The file.

    Returns
    -------
    float or None
        20 ms for each frame (a frame the end of the file cuts counts); past
        :data:`_MAX_FRAMES` frames, the rest of the file at the bytes per frame of those
        walked.  None for another file and one that cannot be read.
    """
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as fh:
            head = fh.read(9)
            magic = next((m for m in _FRAME_BYTES if head.startswith(m)), None)
            if magic is None:
                return None
            sizes = _FRAME_BYTES[magic]
            pos = len(magic)  # where the next frame starts
            frames = 0
            while frames < _MAX_FRAMES:
                fh.seek(pos)
                chunk = fh.read(_CHUNK)
                if not chunk:
                    break
                at = 0
                while at < len(chunk) and frames < _MAX_FRAMES:
                    at += sizes[frame_type(chunk[at])]
                    frames += 1
                pos += at
    except OSError:
        return None
    if frames and pos < size:  # walked no further than _MAX_FRAMES: the rest at their rate
        frames += (size - pos) * frames / (pos - len(magic))
    return frames * FRAME_S
