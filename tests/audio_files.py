"""Write test audio files of every format SongCal reads, from numpy arrays.

Use from any test::

    from tests.audio_files import write_audio, write_tags, tone, noise
    write_audio(tmp_path / "a.m4a", tone(440.0, 2.0, 44100), 44100)
    write_tags(tmp_path / "a.m4a", title="One More Time", artist="Daft Punk")

The format comes from the extension:

========================  ===========================  ============================
extension                 written by                   default subtype / codec
========================  ===========================  ============================
``.wav``                  soundfile                    ``PCM_16`` (any soundfile subtype)
``.aif``, ``.aiff``       soundfile                    ``PCM_16``
``.flac``                 soundfile                    ``PCM_16`` (``PCM_24`` allowed)
``.ogg``                  soundfile                    ``VORBIS``
``.mp3``                  soundfile                    ``MPEG_LAYER_III``
``.m4a``                  PyAV                         AAC; ``subtype="ALAC"`` for ALAC
``.caf``                  soundfile; PyAV for ALAC     ``PCM_16``; ``subtype="ALAC"``
``.wv``, ``.tta``         PyAV                         WavPack, TTA (16 bit)
``.ac3``, ``.mp2``        PyAV                         AC-3, MPEG-1 Layer II
``.mka``                  PyAV                         FLAC in Matroska (16 bit)
``.opus``                 PyAV                         Opus in Ogg (48 kHz only)
========================  ===========================  ============================
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

import numpy as np
import soundfile as sf

__all__ = ["write_audio", "write_tags", "write_pictures_mp4", "write_cover_only_m4a",
           "set_edit_list", "tone", "noise", "LAYOUTS"]

#: FFmpeg channel layout names by channel count (used for M4A).
LAYOUTS = {1: "mono", 2: "stereo", 3: "2.1", 4: "quad", 5: "5.0", 6: "5.1", 7: "6.1",
           8: "7.1"}

_SOUNDFILE = {
    ".wav": ("WAV", "PCM_16"),
    ".aif": ("AIFF", "PCM_16"),
    ".aiff": ("AIFF", "PCM_16"),
    ".flac": ("FLAC", "PCM_16"),
    ".ogg": ("OGG", "VORBIS"),
    ".mp3": ("MP3", "MPEG_LAYER_III"),
    ".caf": ("CAF", "PCM_16"),
}


def tone(freq_hz: float, seconds: float, sr: int, *, channels: int = 1,
         amplitude: float = 0.5) -> np.ndarray:
    """A sine tone shaped (frames, channels), float32; channel k is detuned by k * 3 %."""
    t = np.arange(round(seconds * sr)) / sr
    cols = [amplitude * np.sin(2 * np.pi * freq_hz * (1 + 0.03 * k) * t) for k in range(channels)]
    return np.stack(cols, axis=1).astype(np.float32)


def noise(seconds: float, sr: int, *, channels: int = 1, amplitude: float = 0.3,
          seed: int = 0) -> np.ndarray:
    """Uniform white noise shaped (frames, channels), float32, fixed seed."""
    rng = np.random.default_rng(seed)
    n = round(seconds * sr)
    return (amplitude * rng.uniform(-1, 1, size=(n, channels))).astype(np.float32)


def write_audio(path, y, sr: int, *, subtype: str | None = None) -> Path:
    """Write ``y`` (frames,) or (frames, channels), floats in -1..1, to ``path``.

    Parameters
    ----------
    path : str or os.PathLike
        Target; its extension picks the format (see the module table).
    y : numpy.ndarray
        Samples.
    sr : int
        Sample rate (Hz).
    subtype : str, optional
        soundfile subtype (``"PCM_24"``, ``"PCM_32"``, ``"FLOAT"``...) or, for ``.m4a``,
        ``"AAC"`` (default, 1-8 channels) or ``"ALAC"`` (1, 2 or 6 channels with FFmpeg's
        encoder).

    Returns
    -------
    pathlib.Path
        The written file.
    """
    path = Path(path)
    y = np.asarray(y, dtype=np.float32)
    if y.ndim == 1:
        y = y[:, None]
    ext = path.suffix.lower()
    if ext == ".m4a":
        _write_av(path, y, sr, container="ipod", codec=(subtype or "AAC").lower())
    elif ext == ".caf" and subtype == "ALAC":
        _write_av(path, y, sr, container="caf", codec="alac")
    elif ext in _PYAV:
        _write_av(path, y, sr, container=_PYAV[ext][0], codec=_PYAV[ext][1])
    elif ext in _SOUNDFILE:
        fmt, default = _SOUNDFILE[ext]
        sf.write(path, y, sr, format=fmt, subtype=subtype or default)
    else:
        raise ValueError(f"write_audio: unknown extension {ext!r} in {os.fspath(path)!r}")
    return path


#: Extension -> (FFmpeg container, encoder) of the other formats written through PyAV.
_PYAV = {".wv": ("wv", "wavpack"), ".tta": ("tta", "tta"), ".ac3": ("ac3", "ac3"),
         ".mp2": ("mp2", "mp2"), ".mka": ("matroska", "flac"), ".opus": ("ogg", "libopus")}
_INT16_CODECS = ("alac", "wavpack", "tta", "flac")
_S16_FORMAT = {"wavpack": "s16p", "tta": "s16", "flac": "s16"}


def _write_av(path: Path, y: np.ndarray, sr: int, *, container: str, codec: str,
              movflags: str = "") -> None:
    """``y`` encoded with FFmpeg's ``codec`` in ``container``; ``movflags``: how an MP4 is
    laid out (FFmpeg's option: ``"faststart"`` writes its index before its audio,
    ``"frag_keyframe+empty_moov+default_base_moof"`` writes a fragmented file)."""
    import av

    channels = y.shape[1]
    layout = LAYOUTS[channels]
    # Frames are handed over interleaved (one plane); the encoder converts them to its own
    # planar format.  (Building a planar frame of 8 channels fails in PyAV 18.)
    if codec in _INT16_CODECS:
        fmt = "s16"
        data = (np.clip(y, -1, 1 - 2**-15) * 32768).astype(np.int16)
    elif codec in ("aac", "ac3", "mp2", "libopus"):
        fmt, data = "flt", y
    else:
        raise ValueError(f"write_audio: unknown codec {codec!r}")
    options = {"movflags": movflags} if movflags else None
    with av.open(os.fspath(path), "w", format=container, options=options) as out:
        stream = out.add_stream(codec, rate=sr, layout=layout)
        if codec in _S16_FORMAT:  # these encoders default to 8-bit samples
            stream.format = _S16_FORMAT[codec]
        step = 4096
        for start in range(0, data.shape[0], step):
            block = np.ascontiguousarray(data[start:start + step]).reshape(1, -1)
            frame = av.AudioFrame.from_ndarray(block, format=fmt, layout=layout)
            frame.sample_rate = sr
            frame.pts = start
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)


def write_tags(path, *, title: str | None = None, artist: str | None = None) -> None:
    """Store a title and an artist in ``path`` (ID3 for MP3/WAV/AIFF, Vorbis, MP4)."""
    import mutagen

    path = os.fspath(path)
    ext = os.path.splitext(path)[1].lower()
    if ext in (".wav", ".aif", ".aiff"):
        from mutagen.id3 import TIT2, TPE1

        audio = mutagen.File(path)
        if audio.tags is None:
            audio.add_tags()
        if title is not None:
            audio.tags.add(TIT2(encoding=3, text=[title]))
        if artist is not None:
            audio.tags.add(TPE1(encoding=3, text=[artist]))
        audio.save()
        return
    if ext == ".mp3":
        from mutagen.easyid3 import EasyID3
        from mutagen.id3 import ID3NoHeaderError

        try:
            audio = EasyID3(path)
        except ID3NoHeaderError:
            audio = EasyID3()
    else:
        audio = mutagen.File(path, easy=True)
        if audio.tags is None:
            audio.add_tags()
    if title is not None:
        audio["title"] = [title]
    if artist is not None:
        audio["artist"] = [artist]
    audio.save(path) if ext == ".mp3" else audio.save()


def _rgb(width: int, height: int, k: int = 0) -> np.ndarray:
    """A small picture (height, width, 3) of uint8, a gradient shifted by ``k``."""
    ramp = (np.arange(width * height).reshape(height, width) * 7 + 40 * k) % 256
    return np.repeat(ramp[:, :, None], 3, axis=2).astype(np.uint8)


def write_pictures_mp4(path, *, codec: str = "mjpeg", frames: int = 1) -> Path:
    """An MP4 whose only track is ``frames`` pictures in ``codec`` (``"mjpeg"`` or
    ``"png"``), one a second, and no audio track: a cover picture stored as a track, or
    with more frames a motion-JPEG video."""
    import av

    path = Path(path)
    pix_fmt = {"mjpeg": "yuvj420p", "png": "rgb24"}[codec]
    with av.open(os.fspath(path), "w", format="mp4") as out:
        stream = out.add_stream(codec, rate=1)
        stream.width, stream.height, stream.pix_fmt = 64, 48, pix_fmt
        for k in range(frames):
            frame = av.VideoFrame.from_ndarray(_rgb(64, 48, k), format="rgb24")
            frame = frame.reformat(format=pix_fmt)
            frame.pts = k
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


def write_cover_only_m4a(path) -> Path:
    """An M4A that holds a JPEG cover picture (its ``covr`` atom, as taggers write it) and
    no audio track: an AAC M4A whose track box is then renamed ``free`` (skipped space)."""
    import fractions

    import av
    from mutagen.mp4 import MP4, MP4Cover

    path = write_audio(path, tone(440.0, 1.0, 44100), 44100)
    encoder = av.CodecContext.create("mjpeg", "w")
    encoder.width, encoder.height, encoder.pix_fmt = 32, 32, "yuvj420p"
    encoder.time_base = fractions.Fraction(1, 1)
    frame = av.VideoFrame.from_ndarray(_rgb(32, 32), format="rgb24").reformat(format="yuvj420p")
    jpeg = b"".join(bytes(p) for p in [*encoder.encode(frame), *encoder.encode(None)])
    tags = MP4(path)
    tags["covr"] = [MP4Cover(jpeg, imageformat=MP4Cover.FORMAT_JPEG)]
    tags.save()
    data = bytearray(path.read_bytes())
    at = data.index(b"trak")
    data[at:at + 4] = b"free"
    path.write_bytes(bytes(data))
    return path


def _boxes(data, begin: int, end: int):
    """``(kind, at, size)`` of the MP4 boxes from ``begin`` to ``end`` of ``data``."""
    pos = begin
    while pos + 8 <= end:
        size, kind = struct.unpack(">I4s", data[pos:pos + 8])
        if size < 8:
            raise ValueError(f"MP4 box {kind!r} at {pos} has a size of {size}")
        yield kind, pos, size
        pos += size


def _child(data, kind: bytes, at: int, size: int, header: int = 8):
    return next(((k, a, n) for k, a, n in _boxes(data, at + header, at + size) if k == kind),
                None)


def set_edit_list(path, edits, *, stated: int | None = None) -> Path:
    """Replace the edit list of the first audio track of an M4A/MP4 with ``edits``,
    ``(duration, media_time, rate)`` each in the file's own time scales (movie, track); the
    box states ``stated`` edits (default: as many as it holds).  The boxes holding the edit
    list grow or shrink with it (they are added to a track without them); when the index
    (the moov box) comes before the audio, the
    audio moves with it and the index's chunk offsets are moved alike.  The file is rewritten
    in one step (a new file renamed over it)."""
    path = Path(path)
    data = bytearray(path.read_bytes())
    moov = next(((k, a, n) for k, a, n in _boxes(data, 0, len(data)) if k == b"moov"), None)
    if moov is None:
        raise ValueError(f"set_edit_list: {path} has no moov box")
    for kind, trak, tsize in _boxes(data, moov[1] + 8, moov[1] + moov[2]):
        mdia = _child(data, b"mdia", trak, tsize) if kind == b"trak" else None
        hdlr = mdia and _child(data, b"hdlr", *mdia[1:])
        if hdlr and data[hdlr[1] + 16:hdlr[1] + 20] == b"soun":
            break
    else:
        raise ValueError(f"set_edit_list: {path} has no audio track")
    body = b"".join(struct.pack(">Iih", d, m, int(r)) + struct.pack(">H", round(r % 1 * 65536))
                    for d, m, r in edits)
    count = len(edits) if stated is None else stated
    box = struct.pack(">I4sII", 16 + len(body), b"elst", 0, count) + body
    edts = _child(data, b"edts", trak, tsize)
    elst = edts and _child(data, b"elst", *edts[1:])
    if elst is not None:
        at, old, holders = elst[1], elst[2], (moov[1], trak, edts[1])
    elif edts is None:  # a track without one (as in a fragmented file): edts after tkhd
        tkhd = _child(data, b"tkhd", trak, tsize)
        at, old, holders = tkhd[1] + tkhd[2] if tkhd else trak + 8, 0, (moov[1], trak)
        box = struct.pack(">I4s", 8 + len(box), b"edts") + box
    else:
        raise ValueError(f"set_edit_list: the edts box of {path} holds no edit list")
    delta = len(box) - old
    data[at:at + old] = box
    for holder in holders:
        size = struct.unpack(">I", data[holder:holder + 4])[0]
        data[holder:holder + 4] = struct.pack(">I", size + delta)
    if delta and any(k == b"mdat" and a > moov[1] for k, a, _ in _boxes(data, 0, len(data))):
        _move_chunk_offsets(data, moov[1], delta)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(bytes(data))
    os.replace(tmp, path)
    return path


def _move_chunk_offsets(data: bytearray, moov: int, delta: int) -> None:
    """Add ``delta`` to every chunk offset (``stco``, ``co64``) of the tracks of the moov box
    at ``moov`` of ``data``."""
    msize = struct.unpack(">I", data[moov:moov + 4])[0]
    for kind, trak, tsize in _boxes(data, moov + 8, moov + msize):
        if kind != b"trak":
            continue
        stbl = None
        if (mdia := _child(data, b"mdia", trak, tsize)) \
                and (minf := _child(data, b"minf", *mdia[1:])):
            stbl = _child(data, b"stbl", *minf[1:])
        for sub, at, _ in _boxes(data, stbl[1] + 8, stbl[1] + stbl[2]) if stbl else ():
            if sub in (b"stco", b"co64"):
                fmt = ">I" if sub == b"stco" else ">Q"
                step = struct.calcsize(fmt)
                n = struct.unpack(">I", data[at + 12:at + 16])[0]
                for k in range(n):
                    pos = at + 16 + k * step
                    value = struct.unpack(fmt, data[pos:pos + step])[0]
                    data[pos:pos + step] = struct.pack(fmt, value + delta)
