"""Look at a file before any decoder does: its path, its first bytes, its declared length.

Decoders accept more than they should (FFmpeg reads almost anything as MP3) and hang or
allocate on things that are not files at all (a FIFO, a device).  These checks run first:

- :func:`check_path` refuses a missing path, a dangling link, a folder, a FIFO or device
  (without opening it, so nothing blocks) and an empty file;
- :func:`read_head` reads the first bytes (non-blocking, so a path swapped for a FIFO
  between the check and the read cannot hang the worker);
- :func:`sniff` tells audio containers from common non-audio files by their magic bytes,
  and :func:`cut_in_header` a file cut within the first bytes of an audio header;
- :func:`has_mpeg_frames` confirms consecutive MPEG audio frames where FFmpeg would guess;
- :func:`only_id3_tags` tells an MP3 that holds nothing but its tags;
- :func:`mp3_audio_start` says where an MP3's audio starts, after an ID3v2 tag even when
  the size it states lies (:func:`core.io.id3.id3_tag` walks its frames);
- :func:`flac_header_cut` tells a FLAC file that ends within (or right after) the metadata
  blocks before its audio (stream information, tags, pictures);
- :func:`declared_pcm_frames` reads the length a WAV (RF64 and W64 too) or AIFF header
  announces, and :func:`caf_pcm_frames` that of a CAF with the frames present, to spot a
  file cut short; :func:`caf_packet_table` reads the true length of a compressed CAF and
  :func:`caf_desc_after_data` finds one whose description follows its audio; :func:`wav_unsized_audio` finds the audio after a WAV data chunk that
  states 0 bytes (a recording whose writer never came back to its header), and
  :func:`mp4_index_cut` an MP4 whose index is missing or cut;
- :func:`wav_format` reads the channels and sample rate a WAV header states, to name a
  header no decoder opens for stating none.
"""

from __future__ import annotations

import errno
import os
import stat
import struct

from core.errors import EmptyFileError, UnreadableFileError
from core.io.id3 import id3_tag
from core.io.id3 import stated_end as _id3_end
from core.io.inputs import special_kind

__all__ = ["check_path", "read_head", "sniff", "cut_in_header", "SHORTEST_AUDIO",
           "has_mpeg_frames", "only_id3_tags", "flac_header_cut", "mp3_audio_start",
           "mp3_first_frame",
           "declared_pcm_frames", "caf_pcm_frames", "caf_packet_table", "caf_desc_after_data",
           "wav_unsized_audio",
           "mp4_index_cut",
           "wav_format", "dsd_stated_rate",
           "aifc_compression", "fmt_time", "HEAD_BYTES"]

#: Bytes read from the start of a file to recognize its kind.
HEAD_BYTES = 4096
_MPEG_SCAN_BYTES = 256 * 1024


def fmt_time(seconds: float) -> str:
    """A position as ``m:ss.s (N.N s)``, for messages."""
    minutes, sec = divmod(max(0.0, seconds), 60.0)
    return f"{int(minutes)}:{sec:04.1f} ({seconds:.1f} s)"




def check_path(path: str) -> int:
    """Raise for a missing/unreadable/empty path or a non-regular file; return its size.

    Parameters
    ----------
    path : str
        The file.

    Returns
    -------
    int
        Size in bytes.

    Raises
    ------
    core.errors.UnreadableFileError
        Missing, dangling link, loop of links, permission denied, a folder, a FIFO, a device
        or socket.
    core.errors.EmptyFileError
        0 bytes.
    """
    if os.path.islink(path) and not os.path.exists(path):
        try:
            os.stat(path)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise UnreadableFileError(path, "the file is a link in a loop of links that "
                                                "never reaches a file") from None
        raise UnreadableFileError(path, "the file is a link to something that no longer exists")
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise UnreadableFileError(path, "the file does not exist") from None
    except PermissionError:
        raise UnreadableFileError(path, "permission denied: the file cannot be read") from None
    except OSError as exc:
        raise UnreadableFileError(path, f"the file cannot be opened ({exc.strerror})") from None
    if stat.S_ISDIR(st.st_mode):
        raise UnreadableFileError(path, "this is a folder, not a file")
    if not stat.S_ISREG(st.st_mode):
        raise UnreadableFileError(path, f"this is {special_kind(st.st_mode)}, not a regular file")
    if st.st_size == 0:
        raise EmptyFileError(path, "the file is empty (0 bytes)")
    return st.st_size


def read_head(path: str, size: int = HEAD_BYTES) -> bytes:
    """The first ``size`` bytes of a regular file.

    The file is opened without blocking and checked again once open, so a path replaced by
    a FIFO after :func:`check_path` fails instead of waiting for a writer.

    Raises
    ------
    core.errors.UnreadableFileError
        Permission denied, an I/O error, or no longer a regular file.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except PermissionError:
        raise UnreadableFileError(path, "permission denied: the file cannot be read") from None
    except OSError as exc:
        raise UnreadableFileError(path, f"the file cannot be read ({exc.strerror})") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise UnreadableFileError(path, f"this is {special_kind(st.st_mode)}, "
                                            "not a regular file")
        with os.fdopen(fd, "rb", closefd=False) as fh:
            return fh.read(size)
    except OSError as exc:
        raise UnreadableFileError(path, f"the file cannot be read ({exc.strerror})") from None
    finally:
        os.close(fd)


_NON_AUDIO_MAGIC = [
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"\x89PNG", "a PNG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (or an Office document)"),
    (b"\x7fELF", "a program"),
    (b"MZ", "a Windows program"),
    (b"MThd", "a MIDI file (notes, not recorded sound)"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"SQLite format 3", "an SQLite database"),
]


_AUDIO_MAGIC = ((b"fLaC", "FLAC"), (b"OggS", "OGG"), (b"ID3", "MP3"), (b"caff", "CAF"),
                (b".snd", "AU"), (b"riff", "W64"), (b"\x30\x26\xb2\x75", "WMA"),
                (b"\x1a\x45\xdf\xa3", "MKV"), (b"wvpk", "WAVPACK"), (b"MAC ", "APE"),
                (b"ADIF", "AAC"), (b"DSD ", "DSF"), (b"FRM8", "DFF"), (b"MPCK", "MPC"),
                (b"MP+", "MPC"), (b"#!AMR\n", "AMR"), (b"#!AMR-WB\n", "AMR"))
#: The first 12 bytes of a WAV (its three spellings) and of an AIFF, by kind.
_RIFF_STARTS = ((b"RIFF", b"WAVE", "WAV"), (b"RF64", b"WAVE", "WAV"), (b"BW64", b"WAVE", "WAV"),
                (b"FORM", b"AIFF", "AIFF"), (b"FORM", b"AIFC", "AIFF"))

#: Bytes every audio file SongCal reads holds at least (a WAV's or AIFF's first 12 name the
#: file's kind, its chunks come after).
SHORTEST_AUDIO = 12


def cut_in_header(head: bytes) -> str | None:
    """The kind of audio (``"WAV"``, ``"FLAC"``...) whose first bytes are the whole of
    ``head``, a file shorter than :data:`SHORTEST_AUDIO` bytes: one cut within its header
    (``RIF``, ``RIFF`` and its size, ``fLa``); None for anything else, a single byte
    included (too little to tell)."""
    if not 2 <= len(head) < SHORTEST_AUDIO:
        return None
    for magic, kind in _AUDIO_MAGIC:
        if head.startswith(magic) or magic.startswith(head):
            return kind
    for magic, form, kind in _RIFF_STARTS:
        if magic.startswith(head[:4]) and form.startswith(head[8:12]):
            return kind
    return None


def _is_text(head: bytes) -> bool:
    """True when ``head`` reads as text (UTF-8/ASCII, printable, no NUL bytes)."""
    if not head or b"\x00" in head:
        return False
    text = head.decode("utf-8", errors="ignore")
    if len(text.encode("utf-8")) < 0.95 * len(head):
        return False
    printable = sum(ch.isprintable() or ch in "\r\n\t\f" for ch in text)
    return printable >= 0.97 * len(text)


def _adts(head: bytes) -> bool:
    """True when ``head`` starts with two AAC frames in ADTS framing (a raw ``.aac`` stream,
    whose sync word MPEG audio shares: its layer bits are 0)."""
    at = 0
    for _ in range(2):
        if len(head) < at + 7 or head[at] != 0xFF or head[at + 1] & 0xF6 != 0xF0:
            return False
        length = ((head[at + 3] & 3) << 11) | (head[at + 4] << 3) | (head[at + 5] >> 5)
        if length < 7:
            return False
        at += length
    return True


#: Boxes an MP4 or QuickTime file without an ``ftyp`` box (written by older QuickTime
#: programs) starts with.
_QUICKTIME_FIRST = (b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot")


def _quicktime(head: bytes) -> bool:
    """True when ``head`` starts with a box of :data:`_QUICKTIME_FIRST` whose size (at
    least its 8-byte header) leads to another box whose type is four printable characters,
    or to the end of ``head``."""
    if len(head) < 8 or head[4:8] not in _QUICKTIME_FIRST:
        return False
    size = struct.unpack(">I", head[:4])[0]
    if size < 8:
        return size in (0, 1)  # the box runs to the end, or states a 64-bit size
    kind = head[size + 4:size + 8]
    return size + 8 > len(head) or all(32 <= b < 127 for b in kind)


def _dsd_header(path: str) -> tuple[int, float | None] | None:
    """``(rate, seconds)`` a DSF or DSDIFF file's header states: its sample rate (bits a
    second per channel: 2,822,400 for DSD64) and the length of its audio (None when the
    header does not say it); None for another file or a header without a rate."""
    try:
        with open(path, "rb") as f:
            head = f.read(80)
            if head[:4] == b"DSD " and head[28:32] == b"fmt " and len(head) >= 72:
                rate = struct.unpack("<I", head[56:60])[0]
                count = struct.unpack("<Q", head[64:72])[0]
                return (rate, count / rate) if rate else None
            if head[:4] != b"FRM8" or head[12:16] != b"DSD ":
                return None
            rate = channels = None
            for cid, size, body_at in _chunks(f, 16, "dff"):  # FVER, PROP, then the audio
                if cid == b"PROP":  # "SND ", then chunks of its own
                    for sub, _, sub_at in _chunks(f, body_at + 4, "dff"):
                        if sub_at > body_at + size:
                            break
                        if sub == b"FS  ":
                            rate = struct.unpack(">I", f.read(4))[0]
                        elif sub == b"CHNL":
                            channels = struct.unpack(">H", f.read(2))[0]
                elif cid == b"DSD ":
                    if not rate:
                        return None
                    return rate, size * 8 / channels / rate if channels else None
    except (OSError, struct.error):
        return None
    return (rate, None) if rate else None


def dsd_stated_seconds(path: str) -> float | None:
    """The length (s) the header of a DSF or DSDIFF file states for its audio (the sample
    count of a DSF's ``fmt`` chunk; the size of a DSDIFF's ``DSD`` chunk, with its sample
    rate and channels), or None for another file or a header that does not say.  FFmpeg
    takes a cut file's length from what is left of it."""
    header = _dsd_header(path)
    return None if header is None else header[1]


def dsd_stated_rate(path: str) -> int | None:
    """The sample rate (bits a second per channel) the header of a DSF or DSDIFF file
    states: 2,822,400 for DSD64, 5,644,800 for DSD128, as the analysis gives it
    (:attr:`core.analysis.decode.AudioInfo.file_rate`); None for another file or a header
    that does not say."""
    header = _dsd_header(path)
    return None if header is None else header[0]


def sniff(head: bytes) -> tuple[str | None, str | None]:
    """``(audio_kind, non_audio_description)`` from a file's first bytes.

    ``audio_kind`` is a container name such as ``"WAV"`` or ``"MP3"`` when the bytes start
    like audio; ``non_audio_description`` says what the file is (``"a PNG image"``) when
    they start like a known non-audio kind; both are None when unknown.
    """
    for magic, what in _NON_AUDIO_MAGIC:
        if head.startswith(magic):
            return None, what
    if head[:4] in (b"RIFF", b"RF64", b"BW64"):
        if head[8:12] == b"WAVE":
            return "WAV", None
        return None, f"a RIFF file of type {head[8:12].decode('latin-1')!r}"
    if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
        return "AIFF", None
    for magic, kind in _AUDIO_MAGIC:
        if head.startswith(magic):
            return kind, None
    if head[4:8] == b"ftyp" or _quicktime(head):
        return "MP4", None
    if _adts(head):
        return "AAC", None
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:
        return "MPEG", None
    if _is_text(head):
        return None, "a text file"
    return None, None


_MPEG_BITRATES = {  # (version_is_1, layer) -> kbit/s by index
    (True, 1): [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
    (True, 2): [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
    (True, 3): [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
    (False, 1): [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
    (False, 2): [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
    (False, 3): [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
}
_MPEG_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}


def _mpeg_frame(data: bytes, i: int, free: int | None = None) -> tuple[int, tuple] | None:
    """Length and identity of an MPEG audio frame header at ``data[i:]``, or None.

    A free-format header (bit rate index 0) states no bit rate: its length is ``free``
    (the stream's length without padding, :func:`_free_length`) plus its padding, and it
    is None when ``free`` is not given."""
    if i + 4 > len(data) or data[i] != 0xFF or data[i + 1] & 0xE0 != 0xE0:
        return None
    b1, b2 = data[i + 1], data[i + 2]
    version, layer_bits = (b1 >> 3) & 3, (b1 >> 1) & 3
    br_index, sr_index, padding = b2 >> 4, (b2 >> 2) & 3, (b2 >> 1) & 1
    if version == 1 or layer_bits == 0 or br_index == 15 or sr_index == 3:
        return None
    layer = 4 - layer_bits
    rate = _MPEG_RATES[version][sr_index]
    if br_index == 0:
        if free is None:
            return None
        return free + padding * (4 if layer == 1 else 1), (version, layer, rate)
    bitrate = _MPEG_BITRATES[(version == 3, layer)][br_index] * 1000
    if layer == 1:
        length = (12 * bitrate // rate + padding) * 4
    elif layer == 3 and version != 3:
        length = 72 * bitrate // rate + padding
    else:
        length = 144 * bitrate // rate + padding
    return length, (version, layer, rate)


#: Longest free-format frame looked for (bytes): Layer III at 640 kbit/s and 32 kHz, the
#: most any encoder writes, takes 2880 bytes; the standard's own limits take less.
_FREE_MAX = 2881
#: Bytes from a free-format frame that hold it, the next and the start of the one after.
FREE_SPAN = 2 * _FREE_MAX + 8


def _same_stream(data: bytes, i: int, j: int) -> bool:
    """True when the frame headers at ``data[i:]`` and ``data[j:]`` belong to one stream:
    the same version, layer, protection, bit rate index, sample rate and channel mode (the
    padding, private, mode extension and other flag bits may differ)."""
    return (j + 4 <= len(data) and data[j] == 0xFF and data[j + 1] == data[i + 1]
            and (data[j + 2] ^ data[i + 2]) & 0xFC == 0 and (data[j + 3] ^ data[i + 3]) & 0xC0 == 0)


def _free_length(data: bytes, i: int) -> int | None:
    """The length without padding of the frames of the free-format stream whose frame
    header is at ``data[i:]``; None when it is no free-format header, or when no frame of
    the same stream follows within :data:`_FREE_MAX` bytes.

    A free-format stream states no bit rate (index 0 in every header): its frames all have
    one length but for the padding byte that the header's padding bit adds, and each frame's length is the distance to the next header.  The
    first header of the same stream after this one gives the length when the header that
    length leads to after it is of the stream too (a byte pair inside the audio data that
    looks like a header rarely has another at the right distance).

    Only Layer III counts: libmpg123 decodes free-format Layer II with the wrong tables
    (hundreds of "missing bits in layer II step two" on standard error for a 4 s MP2) and
    FFmpeg decodes none, so such a file stays refused as damaged."""
    if (i + 4 > len(data) or data[i + 2] >> 4 or (data[i + 1] >> 1) & 3 != 1
            or _mpeg_frame(data, i, 0) is None):
        return None
    pad = (data[i + 2] >> 1) & 1
    j = data.find(b"\xff", i + 4, i + _FREE_MAX + 1)
    while j >= 0:
        if _same_stream(data, i, j):
            free = j - i - pad
            after = j + free + ((data[j + 2] >> 1) & 1)
            if free > 4 and _same_stream(data, i, after):
                return free
        j = data.find(b"\xff", j + 1, i + _FREE_MAX + 1)
    return None


def has_mpeg_frames(path: str, *, needed: int = 4) -> bool:
    """True when ``needed`` consecutive, consistent MPEG audio frames are found near the start.

    FFmpeg's MP3 detection accepts almost anything; this check keeps a text or binary file
    named ``.mp3`` from being "decoded" into noise.
    """
    try:
        with open(path, "rb") as fh:
            fh.seek(mp3_audio_start(path))
            data = fh.read(_MPEG_SCAN_BYTES)
    except OSError:
        return False
    return _first_frames(data, needed) is not None


def _first_frames(data: bytes, needed: int = 4) -> int | None:
    """Offset in ``data`` of the first ``needed`` consecutive, consistent MPEG audio frames
    (or of fewer, at least 2, that run to the end of ``data``); None when there are none."""
    i = data.find(b"\xff")
    while 0 <= i < len(data) - 4:
        free = _free_length(data, i)  # None for a header that states its bit rate
        first = _mpeg_frame(data, i, free)
        if first is not None:
            j, count, ident = i, 0, first[1]
            while count < needed:
                frame = _mpeg_frame(data, j, free)
                if frame is None or frame[1] != ident or frame[0] < 4:
                    break
                count += 1
                j += frame[0]
                if j >= len(data) and count >= 2:
                    count = needed
            if count >= needed:
                return i
        i = data.find(b"\xff", i + 1)
    return None


def mp3_audio_start(path: str) -> int:
    """Where the audio of an MP3 starts: after its ID3v2 tag (0 without one), at the end
    the tag states, or, when the tag's stated size lies, at the first MPEG frames after
    the tag's frames (the stated end when there are none).

    A stated size lies when it runs past the end of the file, or when MPEG frames start
    after the tag's frames, within the size it states, and run on past it (where padding
    of zeros should be).  Its frames are walked only when no frame starts at the stated
    end."""
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as fh:
            stated = _id3_end(fh.read(10))
            if not stated:
                return 0
            if stated <= size:
                fh.seek(stated)
                if _first_frames(fh.read(_FRAME_BYTES), 2) == 0:  # the usual case
                    return stated
    except OSError:
        return 0
    tag = id3_tag(path)
    if tag is None or tag.frames_end >= stated:
        return stated
    try:
        with open(path, "rb") as fh:
            fh.seek(tag.frames_end)
            data = fh.read(max(_MPEG_SCAN_BYTES, stated - tag.frames_end + _FRAME_BYTES))
    except OSError:
        return stated
    found = _first_frames(data[:_MPEG_SCAN_BYTES])
    if found is None:
        return stated
    if stated > size or _runs_past(data, found, stated - tag.frames_end):
        return tag.frames_end + found
    return stated


#: Bytes that hold a few MPEG frames of any bit rate (the longest is 2881 bytes).
_FRAME_BYTES = 16 * 1024


def _runs_past(data: bytes, i: int, end: int) -> bool:
    """True when the chain of MPEG frames at ``data[i:]`` runs, unbroken, past ``end``
    and on for two more frames."""
    after, free = 0, _free_length(data, i)
    while after < 2:
        frame = _mpeg_frame(data, i, free)
        if frame is None or frame[0] < 4:
            return False
        i += frame[0]
        after += i > end
    return True


def mp3_first_frame(path: str) -> int | None:
    """Where an MP3's first MPEG frames are (a run of consistent frames within 256 KiB of
    where its audio starts, :func:`mp3_audio_start`); None when there are none."""
    try:
        start = mp3_audio_start(path)
        with open(path, "rb") as fh:
            fh.seek(start)
            found = _first_frames(fh.read(_MPEG_SCAN_BYTES))
    except OSError:
        return None
    return None if found is None else start + found


def only_id3_tags(path: str, head: bytes) -> bool:
    """True when the file is an ID3v2 tag (from ``head``, its first bytes) with nothing after
    it but zero padding and an ID3v1 tag: tags (title, pictures...) without audio.

    A tag that states a size past the end of the file counts when only zero padding follows
    its frames (or its last frame is cut).
    """
    end = _id3_end(head)
    if not end:
        return False
    try:
        size = os.path.getsize(path)
        if end > size and (tag := id3_tag(path)) is not None and not tag.cut:
            end = tag.frames_end
        if size - end > _MPEG_SCAN_BYTES:
            return False
        with open(path, "rb") as fh:
            fh.seek(min(end, size))
            rest = fh.read()
    except OSError:
        return False
    if len(rest) >= 128 and rest[-128:-125] == b"TAG":
        rest = rest[:-128]
    return not rest.strip(b"\x00")


def flac_header_cut(path: str) -> tuple[int, int] | None:
    """``(size, header_end)`` of a FLAC file that ends at byte ``size``, within or right at
    the end of the metadata blocks before its first audio frame (``header_end`` bytes, or
    as far as the blocks present tell); None when audio follows them, when the file is no
    FLAC, when its blocks are not those FLAC defines (a damaged header, not one cut short)
    or when its stream information announces no audio at all.

    A copy or download stopped early keeps the first bytes: of a FLAC with a cover picture,
    often only part of the header.  Decoders then report a damaged file, or damage at
    0:00.0.
    """
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as fh:
            if fh.read(4) != b"fLaC":
                return None
            pos, samples = 4, None
            while True:
                block = fh.read(4)
                if len(block) < 4:
                    return size, max(size, pos + 4)
                length = int.from_bytes(block[1:4], "big")
                kind = block[0] & 0x7F
                if kind > 6 or (pos == 4) != (kind == 0) or (kind == 0 and length != 34):
                    return None  # no block FLAC defines, or no STREAMINFO first: damage
                if kind == 0:
                    info = fh.read(min(length, 34))
                    if len(info) >= 18:
                        samples = int.from_bytes(info[13:18], "big") & 0xF_FFFF_FFFF
                pos += 4 + length
                if pos > size or (block[0] & 0x80 and pos == size):
                    break
                if block[0] & 0x80:  # the last metadata block: audio frames follow
                    return None
                fh.seek(pos)
    except OSError:
        return None
    if samples == 0 and pos == size:  # a header announcing no audio, and nothing more
        return None
    return size, pos


#: How each chunked container lays out a chunk's header: its bytes, where its size is and
#: how it is packed, whether the size counts the header too, and the multiple of bytes the
#: next chunk starts on.
_CHUNK_LAYOUTS = {
    "riff": (8, slice(4, 8), "<I", False, 2),   # WAV, RF64, BW64
    "aiff": (8, slice(4, 8), ">I", False, 2),   # AIFF, AIFF-C
    "w64": (24, slice(16, 24), "<Q", True, 8),  # Sony Wave64: 16-byte GUIDs
    "caf": (12, slice(4, 12), ">q", False, 1),  # Core Audio Format (-1: up to the end)
    "dff": (12, slice(4, 12), ">Q", False, 2),  # DSDIFF (a FRM8 form of chunks)
}


def _block_align(fh, known: int | None) -> int | None:
    """The bytes per frame a WAV-style ``fmt `` chunk states (the file at its body), else
    ``known``."""
    fmt = fh.read(16)
    return struct.unpack("<H", fmt[12:14])[0] if len(fmt) == 16 else known


def _chunks(fh, start: int, layout: str, limit: int = 64):
    """``(id, body_size, body_at)`` of the first ``limit`` chunks from ``start`` in ``fh``
    (``id``: the first four bytes of the chunk's name), the file at ``body_at`` each time;
    ends at a header cut short and after a body size below zero."""
    header, where, fmt, counts_header, align = _CHUNK_LAYOUTS[layout]
    fh.seek(start)
    for _ in range(limit):
        hdr = fh.read(header)
        if len(hdr) < header:
            return
        size = struct.unpack(fmt, hdr[where])[0] - (header if counts_header else 0)
        body_at = fh.tell()
        yield hdr[:4], size, body_at
        if size < 0:
            return
        fh.seek(body_at + size + (-(size + (header if counts_header else 0)) % align))


def declared_pcm_frames(path: str, kind: str) -> int | None:
    """Frames a WAV (RIFF, RF64, BW64), W64 or AIFF header declares (data size / block size),
    or None when unknown."""
    if kind == "W64":
        return _declared_w64_frames(path)
    big = kind == "AIFF"
    try:
        with open(path, "rb") as fh:
            wide = fh.read(4) in (b"RF64", b"BW64")  # 64-bit sizes in a ds64 chunk
            block_align = comm_frames = data_size = wide_size = None
            for cid, size, _ in _chunks(fh, 12, "aiff" if big else "riff"):
                if cid == b"ds64" and wide:
                    ds64 = fh.read(16)
                    if len(ds64) == 16:
                        wide_size = struct.unpack("<Q", ds64[8:16])[0]
                elif cid == b"fmt " and not big:
                    block_align = _block_align(fh, block_align)
                elif cid == b"COMM" and big:
                    comm = fh.read(6)
                    if len(comm) == 6:
                        comm_frames = struct.unpack(">I", comm[2:6])[0]
                elif cid in (b"data", b"SSND"):
                    data_size = size
                    break
    except OSError:
        return None
    if big:
        return comm_frames
    if wide and data_size == 0xFFFFFFFF:
        data_size = wide_size
    if data_size is None or not block_align or data_size in (0, 0xFFFFFFFF):
        return None
    return data_size // block_align


def wav_unsized_audio(path: str) -> tuple[int, int] | None:
    """``(bytes, block_align)`` of the audio after a WAV's data chunk whose header states 0
    bytes, as a recording program that streams its output writes it and, stopped before
    it could go back, leaves it; None for any other WAV, and when what follows is another
    chunk (an empty WAV with a LIST chunk after its data).
    """
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as fh:
            if fh.read(4) != b"RIFF":
                return None
            block_align = None
            for cid, length, body_at in _chunks(fh, 12, "riff"):
                if cid == b"fmt ":
                    block_align = _block_align(fh, block_align)
                elif cid == b"data":
                    if length or not block_align:
                        return None
                    after = fh.read(8)
                    if (len(after) == 8 and after[:4].isalnum()
                            and body_at + 8 + struct.unpack("<I", after[4:])[0] <= size):
                        return None  # another chunk: the data is really empty
                    audio = (size - body_at) // block_align * block_align
                    return (audio, block_align) if audio else None
    except OSError:
        return None
    return None


def wav_format(path: str) -> tuple[int, int, int] | None:
    """``(format_tag, channels, sample_rate)`` a WAV's (RIFF, RF64, BW64) ``fmt `` chunk
    states, the tag of a WAVE_FORMAT_EXTENSIBLE header (0xFFFE) being that of its
    sub-format (the first two bytes of its GUID); None when the file has no ``fmt ``
    chunk that can be read."""
    try:
        with open(path, "rb") as fh:
            if fh.read(4) not in (b"RIFF", b"RF64", b"BW64"):
                return None
            for cid, length, _ in _chunks(fh, 12, "riff"):
                if cid == b"fmt ":
                    fmt = fh.read(min(length, 26))
                    if length < 8 or len(fmt) < 8:
                        return None
                    tag, channels, rate = struct.unpack("<HHI", fmt[:8])
                    if tag == 0xFFFE and len(fmt) == 26:
                        tag = struct.unpack("<H", fmt[24:26])[0]
                    return tag, channels, rate
    except OSError:
        return None
    return None


def aifc_compression(path: str) -> tuple[str, str] | None:
    """``(type, name)`` of the compression an AIFF-C file's COMM chunk names (``("sowt",
    "")``, ``("QDM2", "QDesign Music 2")``); None for a plain AIFF or a header that cannot
    be read."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(12)
            if head[:4] != b"FORM" or head[8:12] != b"AIFC":
                return None
            for cid, length, _ in _chunks(fh, 12, "aiff"):
                if cid == b"COMM":
                    comm = fh.read(min(length, 22 + 256))
                    if len(comm) < 22:
                        return None
                    name = comm[23:23 + comm[22]] if len(comm) > 22 else b""
                    return (comm[18:22].decode("latin-1"),
                            name.decode("latin-1", errors="replace").strip())
    except OSError:
        return None
    return None


def mp4_index_cut(path: str, start: int = 0) -> str | None:
    """``"cut"`` when the index of an MP4/M4A file (its moov box, which places every
    packet of audio) runs past the end of the file, ``"missing"`` when the file's boxes end
    without one; None when it has a whole index, and when its boxes cannot be walked (a
    damaged file, not one cut short).  ``start``: where the MP4 starts (after an ID3 tag
    written in front of it).

    Many programs write the index after the audio: such a file cut short, or a recording
    stopped before its end, holds audio no decoder can place.
    """
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as fh:
            pos = start
            for _ in range(4096):
                if pos >= size:
                    return "missing"
                fh.seek(pos)
                hdr = fh.read(16)
                if len(hdr) < 8:
                    return "missing"
                length, kind = struct.unpack(">I", hdr[:4])[0], hdr[4:8]
                if not all(32 <= b < 127 for b in kind):
                    return None
                if length == 1 and len(hdr) == 16:
                    length = struct.unpack(">Q", hdr[8:16])[0]
                elif length == 0:  # runs to the end of the file
                    length = size - pos
                if length < 8:
                    return None
                if kind == b"moov":
                    return "cut" if pos + length > size else None
                if pos + length > size:
                    return "missing"
                pos += length
    except OSError:
        return None
    return None


def _declared_w64_frames(path: str) -> int | None:
    """Frames a Sony Wave64 header declares: its chunks are named by 16-byte GUIDs (whose
    first four bytes are those of the WAV chunk names) and sized in 64 bits, the 24 bytes
    of their own header included, each starting on a multiple of 8 bytes."""
    try:
        with open(path, "rb") as fh:
            block_align = None
            # (after the riff GUID, the file's size and the wave GUID)
            for cid, size, _ in _chunks(fh, 40, "w64"):
                if cid == b"fmt ":
                    block_align = _block_align(fh, block_align)
                elif cid == b"data":
                    if not block_align or size <= 0:
                        return None
                    return size // block_align
    except OSError:
        return None
    return None


def caf_pcm_frames(path: str) -> tuple[int, int] | None:
    """``(declared, present)`` frames of a CAF of uncompressed samples: the length its data
    chunk announces and the whole frames the file holds after that chunk's start; None for
    another codec, a data chunk of unknown length (-1: up to the end of the file) or a
    header that cannot be read."""
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as fh:
            bytes_per_frame = None
            for cid, length, body_at in _chunks(fh, 8, "caf"):  # (after "caff", version, flags)
                if cid == b"desc":
                    desc = fh.read(32)
                    if len(desc) < 32 or desc[8:12] != b"lpcm":
                        return None
                    per_packet, frames_per_packet = struct.unpack(">II", desc[16:24])
                    if frames_per_packet != 1 or not per_packet:
                        return None
                    bytes_per_frame = per_packet
                elif cid == b"data":
                    if bytes_per_frame is None or length < 4:
                        return None
                    audio_at = body_at + 4  # after the edit count
                    return ((length - 4) // bytes_per_frame,
                            max(0, size - audio_at) // bytes_per_frame)
    except OSError:
        return None
    return None


def caf_packet_table(path: str) -> tuple[int, int, int] | None:
    """``(valid, priming, remainder)`` frames the packet table of a CAF states (its
    ``pakt`` chunk): the frames of audio the packets hold, those the decoder drops at the
    start (an encoder's delay) and those at the end of the last packet that are no audio;
    None for a CAF without a packet table (uncompressed samples), another file, or a
    table that cannot be read or states negative counts."""
    try:
        with open(path, "rb") as fh:
            if fh.read(4) != b"caff":
                return None
            for cid, length, _ in _chunks(fh, 8, "caf"):
                if cid == b"pakt":
                    head = fh.read(24)
                    if length < 24 or len(head) < 24:
                        return None
                    _, valid, priming, remainder = struct.unpack(">qqii", head)
                    return (valid, priming, remainder) if min(valid, priming,
                                                              remainder) >= 0 else None
    except OSError:
        return None
    return None


def caf_desc_after_data(path: str) -> str | None:
    """Where a CAF's audio description (its ``desc`` chunk, which the format requires
    first) is when its audio data (the ``data`` chunk) comes before it: ``"after"`` when
    a ``desc`` chunk follows the data, ``"none"`` when none is found (the data runs to the
    end of the file, or no chunk after it describes it); None for a CAF described before
    its data, another file, or one whose chunks cannot be read."""
    try:
        with open(path, "rb") as fh:
            if fh.read(4) != b"caff":
                return None
            data = False
            for cid, _, _ in _chunks(fh, 8, "caf"):
                if cid == b"desc":
                    return "after" if data else None
                data = data or cid == b"data"
    except OSError:
        return None
    return "none" if data else None


def caf_described_first(path: str) -> tuple[tuple[int, int], ...] | None:
    """The byte ranges of a CAF whose audio data (its ``data`` chunk) comes before its
    description (``desc``), in the order the format requires: the file header, the
    description, the other chunks as they come (an ALAC packet table and decoder setup),
    and the audio data last.  None for any other file (audio described first, no
    description after the data, a data chunk of unknown length, or chunks that cannot be
    read)."""
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as fh:
            if fh.read(4) != b"caff":
                return None
            desc = data = None
            others = []
            for cid, length, body_at in _chunks(fh, 8, "caf"):
                piece = (body_at - 12, body_at + length)
                if length < 0 or piece[1] > size:
                    return None
                if cid == b"desc":
                    if data is None:
                        return None
                    desc = piece
                elif cid == b"data":
                    data = piece
                else:
                    others.append(piece)
                if piece[1] == size:
                    break
    except OSError:
        return None
    if desc is None or data is None:
        return None
    return ((0, 8), desc, *others, data)
