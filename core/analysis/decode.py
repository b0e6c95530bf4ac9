"""Open audio files and stream their samples block by block, never loading a whole file.

Two back ends: soundfile (libsndfile) reads WAV, AIFF, FLAC, OGG and MP3; PyAV (FFmpeg) reads
M4A/MP4 (AAC, ALAC), Opus, WMA and anything libsndfile cannot open.  Every failure of either
library or of the operating system is translated here, once, into :mod:`core.errors`:

- :class:`~core.errors.UnreadableFileError`: missing file, a folder, a dangling link,
  permission denied;
- :class:`~core.errors.EmptyFileError`: 0 bytes, or a valid header announcing no audio;
- :class:`~core.errors.UnsupportedFormatError`: the content is not audio (text, an image, a
  document...) whatever its extension says;
- :class:`~core.errors.CorruptFileError`: the file starts as audio (or is named as audio and is
  not a known non-audio type) but cannot be decoded, or its data is damaged or cut short.

Cut-short files.  A WAV or AIFF whose header declares more audio than the file holds is
reported as corrupt by :func:`probe` (the decoders would otherwise silently return the part
that is present).  For other formats whose header declares a length (FLAC, MP3 with a Xing or
LAME header), :func:`stream` yields the audio that decodes and then raises
:class:`~core.errors.CorruptFileError` naming the position where the data ends.  Formats
without a declared length (OGG, raw MP3 streams) simply end early.
"""

from __future__ import annotations

import logging
import os
import stat
import struct
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import soundfile as sf

from core.errors import (
    CorruptFileError,
    EmptyFileError,
    UnreadableFileError,
    UnsupportedFormatError,
)

__all__ = ["AudioInfo", "probe", "stream", "PYAV_EXTENSIONS"]

#: Extensions decoded with PyAV directly (libsndfile cannot read them, or reads them badly).
PYAV_EXTENSIONS = frozenset({".m4a", ".m4b", ".mp4", ".aac", ".alac", ".opus", ".wma", ".mka",
                             ".webm"})

_log = logging.getLogger(__name__)
_HEAD_BYTES = 4096
_MPEG_SCAN_BYTES = 256 * 1024


@dataclass(frozen=True)
class AudioInfo:
    """What :func:`probe` learned about an audio file.

    Attributes
    ----------
    path : str
        The file.
    format : str
        Container, e.g. ``"WAV"``, ``"FLAC"``, ``"MP3"``, ``"M4A"``.
    codec : str
        Sample coding, e.g. ``"PCM_24"``, ``"VORBIS"``, ``"AAC"``, ``"ALAC"``.
    sample_rate : int
        Samples per second per channel (Hz).
    channels : int
        Channel count.
    frames : int or None
        Frames (samples per channel) the header declares; estimated from the duration for
        PyAV files; None when unknown.
    duration_s : float or None
        Duration (s); None when unknown.
    backend : str
        ``"soundfile"`` or ``"pyav"``.
    """

    path: str
    format: str
    codec: str
    sample_rate: int
    channels: int
    frames: int | None
    duration_s: float | None
    backend: str


# ----------------------------------------------------------------------------------------
# Looking at the file before any decoder does


def _check_path(path: str) -> int:
    """Raise for a missing/unreadable/empty path; return its size in bytes."""
    if os.path.islink(path) and not os.path.exists(path):
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
        raise UnreadableFileError(path, "this is not a regular file")
    if st.st_size == 0:
        raise EmptyFileError(path, "the file is empty (0 bytes)")
    return st.st_size


def _read_head(path: str) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read(_HEAD_BYTES)
    except PermissionError:
        raise UnreadableFileError(path, "permission denied: the file cannot be read") from None
    except OSError as exc:
        raise UnreadableFileError(path, f"the file cannot be read ({exc.strerror})") from None


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


def _is_text(head: bytes) -> bool:
    """True when ``head`` reads as text (UTF-8/ASCII, printable, no NUL bytes)."""
    if not head or b"\x00" in head:
        return False
    text = head.decode("utf-8", errors="ignore")
    if len(text.encode("utf-8")) < 0.95 * len(head):
        return False
    printable = sum(ch.isprintable() or ch in "\r\n\t\f" for ch in text)
    return printable >= 0.97 * len(text)


def _sniff(head: bytes) -> tuple[str | None, str | None]:
    """Return ``(audio_kind, non_audio_description)`` from a file's first bytes."""
    for magic, what in _NON_AUDIO_MAGIC:
        if head.startswith(magic):
            return None, what
    if head[:4] in (b"RIFF", b"RF64", b"BW64"):
        if head[8:12] == b"WAVE":
            return "WAV", None
        return None, f"a RIFF file of type {head[8:12].decode('latin-1')!r}, not audio"
    if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
        return "AIFF", None
    for magic, kind in ((b"fLaC", "FLAC"), (b"OggS", "OGG"), (b"ID3", "MP3"), (b"caff", "CAF"),
                        (b".snd", "AU"), (b"riff", "W64"), (b"\x30\x26\xb2\x75", "WMA"),
                        (b"\x1a\x45\xdf\xa3", "MKV"), (b"wvpk", "WAVPACK"), (b"MAC ", "APE"),
                        (b"ADIF", "AAC")):
        if head.startswith(magic):
            return kind, None
    if head[4:8] == b"ftyp":
        return "MP4", None
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


def _mpeg_frame(data: bytes, i: int) -> tuple[int, tuple] | None:
    """Length and identity of an MPEG audio frame header at ``data[i:]``, or None."""
    if i + 4 > len(data) or data[i] != 0xFF or data[i + 1] & 0xE0 != 0xE0:
        return None
    b1, b2 = data[i + 1], data[i + 2]
    version, layer_bits = (b1 >> 3) & 3, (b1 >> 1) & 3
    br_index, sr_index, padding = b2 >> 4, (b2 >> 2) & 3, (b2 >> 1) & 1
    if version == 1 or layer_bits == 0 or br_index in (0, 15) or sr_index == 3:
        return None
    layer = 4 - layer_bits
    bitrate = _MPEG_BITRATES[(version == 3, layer)][br_index] * 1000
    rate = _MPEG_RATES[version][sr_index]
    if layer == 1:
        length = (12 * bitrate // rate + padding) * 4
    elif layer == 3 and version != 3:
        length = 72 * bitrate // rate + padding
    else:
        length = 144 * bitrate // rate + padding
    return length, (version, layer, rate)


def _has_mpeg_frames(path: str, *, needed: int = 4) -> bool:
    """True when ``needed`` consecutive, consistent MPEG audio frames are found near the start.

    FFmpeg's MP3 detection accepts almost anything; this check keeps a text or binary file
    named ``.mp3`` from being "decoded" into noise.
    """
    try:
        with open(path, "rb") as fh:
            head = fh.read(10)
            start = 0
            if head[:3] == b"ID3" and len(head) == 10:
                size = (head[6] << 21) | (head[7] << 14) | (head[8] << 7) | head[9]
                start = 10 + size + (10 if head[5] & 0x10 else 0)
            fh.seek(start)
            data = fh.read(_MPEG_SCAN_BYTES)
    except OSError:
        return False
    i = data.find(b"\xff")
    while 0 <= i < len(data) - 4:
        first = _mpeg_frame(data, i)
        if first is not None:
            j, count, ident = i, 0, first[1]
            while count < needed:
                frame = _mpeg_frame(data, j)
                if frame is None or frame[1] != ident or frame[0] < 4:
                    break
                count += 1
                j += frame[0]
                if j >= len(data) and count >= 2:
                    count = needed
            if count >= needed:
                return True
        i = data.find(b"\xff", i + 1)
    return False


def _declared_pcm_frames(path: str, kind: str) -> int | None:
    """Frames a WAV/AIFF header declares (data size / block size), or None when unknown."""
    big = kind == "AIFF"
    endian = ">" if big else "<"
    try:
        with open(path, "rb") as fh:
            fh.seek(12)
            block_align = comm_frames = data_size = None
            for _ in range(64):
                hdr = fh.read(8)
                if len(hdr) < 8:
                    break
                cid, size = hdr[:4], struct.unpack(endian + "I", hdr[4:])[0]
                body_at = fh.tell()
                if cid == b"fmt " and not big:
                    fmt = fh.read(16)
                    if len(fmt) == 16:
                        block_align = struct.unpack("<H", fmt[12:14])[0]
                elif cid == b"COMM" and big:
                    comm = fh.read(6)
                    if len(comm) == 6:
                        comm_frames = struct.unpack(">I", comm[2:6])[0]
                elif cid in (b"data", b"SSND"):
                    data_size = size
                    break
                fh.seek(body_at + size + (size & 1))
    except OSError:
        return None
    if big:
        return comm_frames
    if data_size is None or not block_align or data_size in (0, 0xFFFFFFFF):
        return None
    return data_size // block_align


# ----------------------------------------------------------------------------------------
# Probing


def _fmt_time(seconds: float) -> str:
    minutes, sec = divmod(max(0.0, seconds), 60.0)
    return f"{int(minutes)}:{sec:04.1f} ({seconds:.1f} s)"


def _probe_soundfile(path: str, kind: str | None) -> AudioInfo:
    with sf.SoundFile(path) as f:
        fmt, codec = f.format, f.subtype
        rate, channels, frames = int(f.samplerate), int(f.channels), int(f.frames)
    if fmt == "MP3" and not _has_mpeg_frames(path):
        raise _NotDecodable("no MPEG audio frames found")
    if rate <= 0 or channels <= 0:
        raise CorruptFileError(path, f"the header is damaged ({rate} Hz, {channels} channels)")
    if frames == 0:
        raise EmptyFileError(path, "the file holds no audio (its header announces 0 samples)")
    if kind in ("WAV", "AIFF") and codec.startswith(("PCM", "FLOAT", "DOUBLE", "ULAW", "ALAW")):
        declared = _declared_pcm_frames(path, kind)
        if declared is not None and declared > frames:
            raise CorruptFileError(
                path, f"the file is cut short: its header announces {_fmt_time(declared / rate)} "
                      f"of audio but only {_fmt_time(frames / rate)} is present")
    return AudioInfo(path=path, format=fmt, codec=codec, sample_rate=rate, channels=channels,
                     frames=frames, duration_s=frames / rate, backend="soundfile")


class _NotDecodable(Exception):
    """Internal: a back end could not make sense of the file."""


def _av_format_name(path: str, container) -> str:
    ext = os.path.splitext(path)[1].lower().lstrip(".")
    name = container.format.name
    if "mp4" in name or "mov" in name:
        return ext.upper() if ext in ("m4a", "m4b", "mp4", "alac") else "MP4"
    return {"mp3": "MP3", "ogg": "OGG", "asf": "WMA", "matroska,webm": "MKV", "flac": "FLAC",
            "wav": "WAV", "aiff": "AIFF", "aac": "AAC"}.get(name, name.upper())


def _probe_pyav(path: str) -> AudioInfo:
    import av

    try:
        container = av.open(path, metadata_errors="ignore")
    except av.FFmpegError as exc:
        raise _NotDecodable(str(exc)) from None
    try:
        if "mp3" in container.format.name.split(",") and not _has_mpeg_frames(path):
            raise _NotDecodable("no MPEG audio frames found")
        if not container.streams.audio:
            raise UnsupportedFormatError(path, "the file holds no audio track")
        st = container.streams.audio[0]
        ctx = st.codec_context
        rate, channels = int(ctx.sample_rate or 0), int(ctx.channels or 0)
        if rate <= 0 or channels <= 0:
            raise _NotDecodable(f"no sample rate or channel count ({rate} Hz, {channels} ch)")
        if st.duration and st.time_base:
            duration = float(st.duration * st.time_base)
        elif container.duration:
            duration = container.duration / av.time_base
        else:
            duration = None
        # Decode the first audio to be sure the data is really audio FFmpeg can read.
        decoded = 0
        for n_packets, packet in enumerate(container.demux(st)):
            decoded += sum(frame.samples for frame in packet.decode())
            if decoded or n_packets > 500:
                break
        if not decoded:
            if duration:
                raise CorruptFileError(path, "no audio could be decoded from the file")
            raise EmptyFileError(path, "the file holds no audio")
        return AudioInfo(path=path, format=_av_format_name(path, container),
                         codec=ctx.name.upper(), sample_rate=rate, channels=channels,
                         frames=None if duration is None else round(duration * rate),
                         duration_s=duration, backend="pyav")
    except av.FFmpegError as exc:
        raise CorruptFileError(path, f"the audio data cannot be decoded ({_av_reason(exc)})") \
            from None
    finally:
        container.close()


def _av_reason(exc) -> str:
    return getattr(exc, "strerror", None) or str(exc)


def probe(path) -> AudioInfo:
    """Open an audio file and describe it, without decoding more than its first packets.

    Parameters
    ----------
    path : str or os.PathLike
        The audio file.

    Returns
    -------
    AudioInfo
        Format, codec, rate (Hz), channels, frames and duration (s), and the back end used.

    Raises
    ------
    core.errors.UnreadableFileError
        Missing file, folder, dangling link, permission denied.
    core.errors.EmptyFileError
        0 bytes, or a valid header announcing no audio.
    core.errors.UnsupportedFormatError
        The content is not audio (text, image, document...).
    core.errors.CorruptFileError
        Damaged header or data, or a WAV/AIFF cut short.
    """
    try:
        path = os.fspath(path)
    except TypeError:
        raise TypeError(f"probe: path must be a str or os.PathLike, got {path!r}") from None
    _check_path(path)
    head = _read_head(path)
    kind, not_audio = _sniff(head)
    if not_audio is not None:
        raise UnsupportedFormatError(path, f"this is {not_audio}, not an audio file")
    ext = os.path.splitext(path)[1].lower()
    reasons = []
    if ext not in PYAV_EXTENSIONS:
        try:
            return _probe_soundfile(path, kind)
        except (sf.SoundFileError, _NotDecodable, RuntimeError, OSError) as exc:
            reasons.append(str(exc))
    try:
        return _probe_pyav(path)
    except _NotDecodable as exc:
        reasons.append(str(exc))
    except (OSError, ValueError, RuntimeError, struct.error) as exc:
        raise CorruptFileError(path, f"the file cannot be decoded ({exc})") from None
    _log.debug("no decoder could open %s: %s", path, "; ".join(reasons))
    if kind is not None:
        raise CorruptFileError(
            path, f"the file looks like {kind} audio but cannot be decoded: its header or data "
                  "is damaged")
    if ext:
        raise CorruptFileError(
            path, f"the file is named as audio ({ext}) but no decoder recognizes its content: "
                  "it is damaged, or not audio at all")
    raise UnsupportedFormatError(path, "no decoder recognizes this file as audio")


# ----------------------------------------------------------------------------------------
# Streaming


def stream(path, *, block_seconds: float = 30.0, info: AudioInfo | None = None
           ) -> Iterator[np.ndarray]:
    """Yield the file's samples block by block, at its own sample rate.

    Parameters
    ----------
    path : str or os.PathLike
        The audio file.
    block_seconds : float, optional
        Block length (s).  Every block but the last has ``round(block_seconds * rate)`` frames.
    info : AudioInfo, optional
        The result of :func:`probe` for this path, to avoid probing twice.

    Yields
    ------
    numpy.ndarray
        float32 array shaped (frames, channels), values nominally in -1..1.

    Raises
    ------
    core.errors.AudioFileError
        As :func:`probe`; :class:`~core.errors.CorruptFileError` when the data is damaged or
        ends before the length its header declares (after yielding the audio before it).
    """
    if not isinstance(block_seconds, int | float) or not 0.01 <= block_seconds <= 3600:
        raise ValueError(f"stream: block_seconds must be 0.01-3600 s, got {block_seconds!r}")
    path = os.fspath(path)
    if info is None:
        info = probe(path)
    else:
        _check_path(path)
    block_frames = max(1, round(block_seconds * info.sample_rate))
    if info.backend == "soundfile":
        return _stream_soundfile(path, info, block_frames)
    return _stream_pyav(path, info, block_frames)


def _cut_short(path: str, info: AudioInfo, done: int) -> CorruptFileError:
    return CorruptFileError(
        path, f"the file is cut short: the audio ends at {_fmt_time(done / info.sample_rate)} "
              f"but its header announces {_fmt_time(info.frames / info.sample_rate)}")


def _stream_soundfile(path: str, info: AudioInfo, block_frames: int) -> Iterator[np.ndarray]:
    done = 0
    try:
        f = sf.SoundFile(path)
    except (sf.SoundFileError, RuntimeError, OSError) as exc:
        raise CorruptFileError(path, f"the file can no longer be opened ({exc})") from None
    with f:
        while True:
            try:
                block = f.read(block_frames, dtype="float32", always_2d=True)
            except (sf.SoundFileError, RuntimeError, OSError) as exc:
                raise CorruptFileError(
                    path, f"the audio data is damaged at {_fmt_time(done / info.sample_rate)} "
                          f"({_sf_reason(exc)})") from None
            if not len(block):
                break
            done += len(block)
            yield block
    if info.frames:
        lossy = info.codec not in ("PCM_S8", "PCM_U8", "PCM_16", "PCM_24", "PCM_32", "FLOAT",
                                   "DOUBLE", "ULAW", "ALAW")
        tolerance = int(0.005 * info.frames) + 4096 if lossy else 0
        if done < info.frames - tolerance:
            raise _cut_short(path, info, done)


def _sf_reason(exc) -> str:
    text = str(exc)
    return text.split("Error : ", 1)[-1].strip() or type(exc).__name__


def _stream_pyav(path: str, info: AudioInfo, block_frames: int) -> Iterator[np.ndarray]:
    import av

    try:
        container = av.open(path, metadata_errors="ignore")
    except av.FFmpegError as exc:
        raise CorruptFileError(path, f"the file can no longer be opened ({_av_reason(exc)})") \
            from None
    channels, rate = info.channels, info.sample_rate
    buf: np.ndarray | None = None  # the block being filled
    have = 0
    done = 0
    resampler = None
    # MP4 files declare their exact length; the decoder adds the padding of the last packet.
    limit = info.frames if info.format in ("M4A", "M4B", "MP4", "ALAC") else None
    try:
        st = container.streams.audio[0]
        packets = container.demux(st)
        while True:
            try:
                packet = next(packets)
                frames = packet.decode()
                if packet.size == 0 and resampler is not None:
                    frames = [*frames, None]  # end of data: flush the resampler
                out = []
                for frame in frames:
                    if frame is not None:
                        if resampler is None:
                            resampler = av.AudioResampler(format="flt", layout=frame.layout,
                                                          rate=rate)
                            channels = frame.layout.nb_channels
                    for res in resampler.resample(frame) if resampler is not None else ():
                        out.append(res.to_ndarray().reshape(-1, channels))
            except StopIteration:
                break
            except (av.FFmpegError, ValueError, OSError) as exc:
                # ValueError also covers a change of sample format or layout mid-stream.
                raise CorruptFileError(
                    path, f"the audio data is damaged at {_fmt_time((done + have) / rate)} "
                          f"({_av_reason(exc)})") from None
            for arr in out:
                if limit is not None:
                    arr = arr[:max(0, limit - done - have)]
                while len(arr):
                    if buf is None:
                        buf = np.empty((block_frames, arr.shape[1]), dtype=np.float32)
                    take = min(len(arr), block_frames - have)
                    buf[have:have + take] = arr[:take]
                    have += take
                    arr = arr[take:]
                    if have == block_frames:
                        done += have
                        block, buf, have = buf, None, 0
                        yield block
        if have:
            done += have
            yield buf[:have]
    finally:
        container.close()
