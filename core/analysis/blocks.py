"""Block readers: a song's samples block by block, from soundfile, dr_flac or PyAV.

Every reader yields float32 arrays shaped (frames, channels), every block but the last
``block_frames`` long, and translates every error of its library into
:class:`core.errors.CorruptFileError` naming the position where the data broke.  They are
called by :func:`core.analysis.decode.stream` with the :class:`~core.analysis.decode.AudioInfo`
that :func:`~core.analysis.decode.probe` returned.

FLAC files are decoded by dr_flac (the ``miniaudio`` package) when it is installed: it
gives the same samples as libsndfile, bit for bit (both scale a b-bit sample by
``2 ** -(b - 1)``), in about two thirds of the instructions (libsndfile converts each
sample on its own; a three-minute stereo song costs 1.2 instead of 1.95 billion
instructions, a tenth of its whole analysis).  dr_flac skips a frame whose checksum fails
instead of stopping, so when it delivers fewer frames than the header declares, libsndfile
reads the file again to name the damage.

dr_flac writes each block straight into a numpy array through miniaudio's C interface
(``ma_decoder_read_pcm_frames``, which ``miniaudio`` exposes as ``miniaudio.lib`` and calls
without the GIL).  Its Python generator, ``miniaudio.stream_file``, copies every block once
more into an ``array`` while holding the GIL, which other workers then wait for; it is used
when the C interface lacks a function this code calls.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np
import soundfile as sf

from core.analysis.amrframes import FRAME_S, frame_type
from core.analysis.sniff import caf_packet_table, fmt_time
from core.errors import CorruptFileError

if TYPE_CHECKING:
    from core.analysis.decode import AudioInfo

__all__ = ["soundfile_blocks", "flac_blocks", "pyav_blocks", "av_reason", "sf_path", "sf_open",
           "av_open", "av_open_range", "FileRange", "FilePieces", "amr_pause"]


def sf_path(path: str):
    """``path`` as libsndfile accepts it: the str, or its bytes when the name is not valid
    UTF-8 (soundfile would fail to encode it)."""
    try:
        path.encode("utf-8")
        return path
    except UnicodeEncodeError:
        return os.fsencode(path)


def sf_open(path: str, start: int = 0, end: int | None = None, pieces=()) -> sf.SoundFile:
    """``path`` opened by libsndfile, shown bytes ``start`` to ``end`` (excluded; the end of
    the file when None) when they are not the whole file: bytes before an MP3's audio (an
    ID3 tag whose stated size is wrong, or of thousands of frames, which libmpg123 walks
    in time growing faster than their count) or junk after its last frame (about which
    libmpg123 warns on standard error) are not shown to it.  ``pieces``, when given, are
    the byte ranges shown instead, joined in their order (:class:`FilePieces`)."""
    if not pieces and not start and end is None:
        return sf.SoundFile(sf_path(path))
    return _RangeSoundFile(path, pieces or [(start, os.path.getsize(path) if end is None
                                             else end)])


class _RangeSoundFile(sf.SoundFile):
    """A :class:`soundfile.SoundFile` reading byte ranges of a file joined in order, which
    closes that view of the file with itself."""

    def __init__(self, path: str, pieces):
        self._range = FilePieces(path, pieces)
        try:
            super().__init__(self._range)
        except BaseException:
            self._range.close()
            raise

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._range.close()


def av_open(path: str, pieces=(), *, whole_track: bool = False):
    """``(container, file)`` opened by PyAV; ``file`` is a Python file object to close with
    the container when the name is not valid UTF-8 (PyAV is then given the open file) or
    ``pieces`` are given (the byte ranges shown, joined in their order:
    :class:`FilePieces`), else None.  ``whole_track``: an MP4's edit list is not followed
    (its tracks are read whole, from their first sample)."""
    if pieces:
        return _av_container(FilePieces(path, pieces), whole_track=whole_track)
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        fh = open(path, "rb")  # noqa: SIM115 - closed by the caller with the container
        return _av_container(fh, whole_track=whole_track)
    return _av_container(path, whole_track=whole_track)


def _av_container(source, demuxer: str | None = None, *, whole_track: bool):
    """``(container, file)`` of :func:`av_open` and :func:`av_open_range`: ``source`` (a
    name, or a file object closed here when it cannot be opened) opened by PyAV, with
    FFmpeg's ``demuxer`` when given; ``file`` is ``source`` when it is a file object."""
    # FFmpeg's MP4 demuxer reads the tracks whole, ignoring their edit lists, when asked.
    options = {"ignore_editlist": "1"} if whole_track else None
    named = isinstance(source, str)
    try:
        import av

        container = av.open(source, format=demuxer, metadata_errors="ignore", options=options)
    except BaseException:
        if not named:
            source.close()
        raise
    return container, None if named else source


class FilePieces(io.RawIOBase):
    """A read-only, seekable view of pieces of a file joined in the order given, for a
    decoder to open as the file they make (a CAF shown its description before its audio
    data).

    Parameters
    ----------
    path : str
        The file.
    pieces : sequence of (int, int)
        Byte ranges (start, end excluded), in the order they are shown.
    """

    def __init__(self, path: str, pieces):
        super().__init__()
        self._fh = open(path, "rb")  # noqa: SIM115 - closed with this object
        self._pieces = [(int(a), int(b)) for a, b in pieces]
        self._size = sum(b - a for a, b in self._pieces)
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        view, got, at = memoryview(buffer), 0, 0
        for start, end in self._pieces:
            if got == len(view):
                break
            if self._pos < at + end - start:  # the position lies in this piece
                self._fh.seek(start + self._pos - at)
                want = min(len(view) - got, at + end - start - self._pos)
                n = self._fh.readinto(view[got:got + want])
                got += n
                self._pos += n
                if n < want:  # the file ends within the piece
                    break
            at += end - start
        return got

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def tell(self) -> int:
        return self._pos

    def close(self) -> None:
        self._fh.close()
        super().close()


class FileRange(FilePieces):
    """A read-only, seekable view of bytes ``start`` to ``end`` of a file, for PyAV to open
    one of files joined end to end (an MP3 part, a link of a chained OGG) as the file it
    was.

    Parameters
    ----------
    path : str
        The file.
    start, end : int
        The range (bytes; ``end`` excluded).
    """

    def __init__(self, path: str, start: int, end: int):
        super().__init__(path, [(start, end)])


def av_open_range(path: str, start: int, end: int, demuxer: str, *,
                  whole_track: bool = False):
    """``(container, file)`` opened by PyAV with FFmpeg's ``demuxer`` (``"mp3"``,
    ``"ogg"``) on bytes ``start`` to ``end`` of a file (one of files joined end to end);
    close ``file`` with the container.  ``whole_track``: as for :func:`av_open`."""
    return _av_container(FileRange(path, start, end), demuxer, whole_track=whole_track)


def av_reason(exc) -> str:
    """The plain reason of a PyAV error."""
    return getattr(exc, "strerror", None) or str(exc)


def _cut_short(path: str, info: AudioInfo, done: int) -> CorruptFileError:
    return _at(CorruptFileError(
        path, f"the file is cut short: the audio ends at {fmt_time(done / info.sample_rate)} "
              f"but its header announces {fmt_time(info.frames / info.sample_rate)}"), done)


def _at(error: CorruptFileError, frame: int) -> CorruptFileError:
    """``error`` with the frame where the audio breaks (``error.frame``)."""
    error.frame = frame
    return error


def soundfile_blocks(path: str, info: AudioInfo, block_frames: int) -> Iterator[np.ndarray]:
    """Yield the blocks of a file libsndfile reads; raise when it ends before its header
    says (lossless codecs exactly, lossy ones within 0.5 % + 4096 frames)."""
    done = 0
    try:
        f = sf_open(path, info.start, info.end, info.pieces)
    except (sf.SoundFileError, RuntimeError, OSError) as exc:
        raise CorruptFileError(path, f"the file can no longer be opened ({exc})") from None
    with f:
        while True:
            try:
                block = f.read(block_frames, dtype="float32", always_2d=True)
            except (sf.SoundFileError, RuntimeError, OSError) as exc:
                # The read of a whole block failed: name where in the block the data broke.
                at = _damage_position(path, done, block_frames,
                                      (info.start, info.end, info.pieces))
                reason = _sf_reason(exc)
                raise _at(CorruptFileError(
                    path, f"the audio data is damaged at {fmt_time(at / info.sample_rate)}"
                          + (f" ({reason})" if reason else "")), at) from None
            if not len(block):
                break
            done += len(block)
            yield block
    if info.frames:
        lossy = info.codec not in ("PCM_S8", "PCM_U8", "PCM_16", "PCM_24", "PCM_32", "FLOAT",
                                   "DOUBLE", "ULAW", "ALAW")
        if done < info.frames - (_lossy_tolerance(info) if lossy else 0):
            raise _cut_short(path, info, done)


def _lossy_tolerance(info: AudioInfo) -> int:
    """Frames a lossy stream may lack against its stated length (encoder delay, padding,
    rounding of the stated duration): 0.5 % and 4096 frames."""
    return int(0.005 * info.frames) + 4096


def flac_blocks(path: str, info: AudioInfo, block_frames: int) -> Iterator[np.ndarray]:
    """Yield the blocks of a FLAC file decoded by dr_flac (:func:`soundfile_blocks` when
    ``miniaudio`` is missing or cannot open the file); raise like :func:`soundfile_blocks`
    when the audio ends before its header says.  Audio that goes on past the header's
    length is kept: the song's duration is what was decoded."""
    try:
        import miniaudio
    except ImportError:
        yield from soundfile_blocks(path, info, block_frames)
        return
    channels = info.channels
    try:
        chunks = _dr_flac(miniaudio, path, channels, info.sample_rate, block_frames)
        block = next(chunks, None)
    except (miniaudio.MiniaudioError, OSError, UnicodeError):
        yield from soundfile_blocks(path, info, block_frames)
        return
    done = 0
    while block is not None:
        if len(block):
            done += len(block)
            yield block
        try:
            block = next(chunks, None)
        except (miniaudio.MiniaudioError, OSError) as exc:
            raise CorruptFileError(
                path, f"the audio data is damaged at {fmt_time(done / info.sample_rate)} "
                      f"({exc})") from None
    # More audio than the header announces (a header written before the encoder knew the
    # length) is decoded audio all the same; less means a frame was skipped or the stream
    # ended early, and libsndfile names where and why.  A copy that lost its last bytes
    # lacks its last frame only (libsndfile breaks there), and still holds the song.
    if info.frames and done < info.frames:
        tail = info.frames - _flac_tail(info)
        try:
            for _ in soundfile_blocks(path, info, block_frames):
                pass
        except CorruptFileError as exc:
            # libsndfile places the break within a step of _LOCATE_FRAMES.
            if done >= tail and getattr(exc, "frame", 0) >= tail - _LOCATE_FRAMES:
                return
            # dr_flac passes over a damaged frame and reads on: stopping well before the
            # stated end where libsndfile breaks too, the data ends there (a file cut short,
            # which libsndfile calls "lost sync").
            if done < tail and abs(getattr(exc, "frame", -_FLAC_SAME_END) - done) \
                    < _FLAC_SAME_END:
                raise _cut_short(path, info, done) from None
            raise
        raise _cut_short(path, info, done)


#: Frames within which dr_flac and libsndfile stopping count as stopping at one place (a
#: FLAC frame is at most 4608 samples as libFLAC and FFmpeg write them; libsndfile is
#: placed within _LOCATE_FRAMES).
_FLAC_SAME_END = 4608 + 4096


def _pyav_tail(info: AudioInfo) -> int:
    """Frames before the stated end within which a decoding error ends a song read by
    FFmpeg instead of failing it: 0.1 s (an AAC packet is 1024 samples, 23 ms at 44.1 kHz)."""
    return round(0.1 * info.sample_rate)


def _flac_tail(info: AudioInfo) -> int:
    """Frames a FLAC file may lack at its end and still be read: its last frame (at most
    4608 samples as libFLAC and FFmpeg write them at 44.1 and 48 kHz), or 0.1 s."""
    return max(4608, round(0.1 * info.sample_rate))


#: The functions of miniaudio's C interface that :func:`_dr_flac` calls.
_C_CALLS = ("ma_decoder_config_init", "ma_decoder_init_file", "ma_decoder_init_file_w",
            "ma_decoder_read_pcm_frames", "ma_decoder_uninit")


def _dr_flac(miniaudio, path: str, channels: int, rate: int,
             block_frames: int) -> Iterator[np.ndarray]:
    """float32 (frames, channels) blocks of ``block_frames`` (the last one shorter) decoded
    by miniaudio; raises ``miniaudio.DecodeError`` when the file cannot be opened or a read
    fails."""
    ffi, lib = getattr(miniaudio, "ffi", None), getattr(miniaudio, "lib", None)
    if ffi is None or not all(hasattr(lib, name) for name in _C_CALLS):
        for chunk in miniaudio.stream_file(path, output_format=miniaudio.SampleFormat.FLOAT32,
                                           nchannels=channels, sample_rate=rate,
                                           frames_to_read=block_frames):
            yield np.frombuffer(chunk, dtype=np.float32).reshape(-1, channels)
        return
    decoder = ffi.new("ma_decoder *")
    config = lib.ma_decoder_config_init(lib.ma_format_f32, channels, rate)
    if os.name == "nt":
        opened = lib.ma_decoder_init_file_w(ffi.new("wchar_t[]", path),
                                            ffi.addressof(config), decoder)
    else:
        opened = lib.ma_decoder_init_file(os.fsencode(path), ffi.addressof(config), decoder)
    if opened != lib.MA_SUCCESS:
        raise miniaudio.DecodeError("failed to init decoder", opened)
    got = ffi.new("ma_uint64 *")
    try:
        while True:
            block = np.empty((block_frames, channels), dtype=np.float32)
            result = lib.ma_decoder_read_pcm_frames(decoder, ffi.from_buffer(block),
                                                    block_frames, got)
            if result == lib.MA_AT_END:
                return
            if result != lib.MA_SUCCESS:
                raise miniaudio.DecodeError("error in ma_decoder_read_pcm_frames", result)
            if not got[0]:  # the end (a short block before it is the last one)
                return
            yield block[:got[0]]
    finally:
        lib.ma_decoder_uninit(decoder)


#: Frames read at a time to find where in a failed block the data breaks.
_LOCATE_FRAMES = 4096

#: libsndfile's reasons that tell a reader nothing (left out of the message).
_VAGUE_REASONS = frozenset({"Unspecified internal error.", "Internal psf_fseek() failed."})


def _damage_position(path: str, start: int, block_frames: int,
                     span: tuple = (0, None, ())) -> int:
    """The frame where libsndfile stops, reading the block that failed at ``start`` again
    in steps of :data:`_LOCATE_FRAMES` (the file read from its beginning, as the first time);
    ``start`` when the failure does not happen again; ``span`` is the bytes libsndfile
    is shown (:func:`sf_open`)."""
    done = 0
    try:
        with sf_open(path, *span) as f:
            while done < start + block_frames:
                step = block_frames if done < start else _LOCATE_FRAMES
                got = len(f.read(min(step, start + block_frames - done), dtype="float32"))
                if not got:
                    return start
                done += got
    except (sf.SoundFileError, RuntimeError, OSError):
        return max(done, start)
    return start


def _sf_reason(exc) -> str:
    """libsndfile's reason for ``exc``, or "" when it says nothing useful."""
    text = str(exc).split("Error : ", 1)[-1].strip()
    return "" if text in _VAGUE_REASONS else text or type(exc).__name__


#: Samples an AAC-LC encoder puts before the audio (priming), at least: the decoder's first
#: frame overlaps a frame that never was.  FFmpeg's encoder puts exactly these (and states
#: them in an M4A's edit list), Fraunhofer's 2048, Apple's 2112.
AAC_LC_LEAD = 1024

#: Samples FFmpeg's Musepack SV8 decoder gives before the audio: the delay of Musepack's
#: synthesis filter bank, which the reference decoder (libmpcdec) leaves out and FFmpeg's
#: does not (the test file decodes 481 samples late and 864 long; its stream header states
#: the length without them).
MPC_SYNTH_DELAY = 481


def _aac_lead(container) -> int:
    """Samples to leave out at the start of a raw AAC (ADTS) stream: :data:`AAC_LC_LEAD` for
    AAC-LC, which states no encoder delay of its own (an M4A's edit list does); 0 for
    another profile (HE-AAC's spectral band replication adds a delay of its own)."""
    audio = container.streams.audio
    ctx = audio[0].codec_context if audio else None
    return AAC_LC_LEAD if ctx is not None and ctx.name == "aac" and ctx.profile == "LC" else 0


class _EditCuts:
    """The parts an MP4's edit list plays (:attr:`AudioInfo.cuts`), cut from the samples of
    its whole track given in order: each array given yields the pieces of it played, and
    silence where the edit list has an empty edit.  Parts that go back in the track (or
    overlap) are cut in a further pass over the track: the cuts are split into passes, each
    with its parts in the track's order."""

    def __init__(self, cuts):
        self.passes, run, end = [], [], 0
        for first, count in cuts:
            if first is not None:
                if first < end:
                    self.passes.append(run)
                    run = []
                end = first + count
            run.append((first, count))
        self.passes.append(run)
        self.pass_at = 0  # the pass being read
        self.cuts = self.passes[0]  # its cuts
        self.next = 0  # the cut being read
        self.at = 0  # track sample of the next array's first
        self.channels = 0

    def _silence(self, count: int) -> np.ndarray:
        # A read-only view of one row of zeros: no memory for long silences.
        return np.broadcast_to(np.zeros((1, self.channels), dtype=np.float32),
                               (count, self.channels))

    def cut(self, arr: np.ndarray) -> list[np.ndarray]:
        self.channels = arr.shape[1]
        out = []
        end = self.at + len(arr)
        while self.next < len(self.cuts):
            first, count = self.cuts[self.next]
            if first is None:
                out.append(self._silence(count))
            else:
                lo, hi = max(first, self.at), min(first + count, end)
                if hi > lo:
                    out.append(arr[lo - self.at:hi - self.at])
                if first + count > end:
                    break
            self.next += 1
        self.at = end
        return out

    def pass_done(self) -> bool:
        """True when the parts of this pass are all cut."""
        return self.next >= len(self.cuts)

    def next_pass(self) -> bool:
        """Start the next pass over the track; False when there is none."""
        if self.pass_at + 1 >= len(self.passes):
            return False
        self.pass_at += 1
        self.cuts, self.next, self.at = self.passes[self.pass_at], 0, 0
        return True

    def rest(self) -> list[np.ndarray]:
        """The silences that end the edit list, once the track's samples are all given."""
        out = []
        if self.channels:
            while self.next < len(self.cuts):
                first, count = self.cuts[self.next]
                if first is None:
                    out.append(self._silence(count))
                self.next += 1
        return out


def _track_passes(opened, reopen, cutter: _EditCuts):
    """``(pass, packet)`` of the audio track read whole as many times as ``cutter`` needs,
    each pass ending when its parts are cut; ``opened`` is the first pass's ``(container,
    file)`` and ``reopen()`` opens the file again for the next."""
    k = 0
    try:
        while True:
            container = opened[0]
            for packet in container.demux(container.streams.audio[0]):
                yield k, packet
                if cutter.pass_done():
                    break
            _close(opened)
            opened = None
            if not cutter.next_pass():
                return
            opened, k = reopen(), k + 1
    finally:
        if opened is not None:
            _close(opened)


def _output_layout(av, first, channels: int):
    """The layout blocks are converted to: the first frame's, or FFmpeg's usual layout of the
    channel count probed when the first frame has another (the first frame's when FFmpeg
    has no name for that count)."""
    if first.nb_channels == channels:
        return first
    try:
        return av.AudioLayout(f"{channels}c")
    except (ValueError, av.FFmpegError):
        return first


def _link_packets(path: str, opened, links: list[tuple[int, int]], demuxer: str):
    """``(link, packet)`` of the audio of every link in turn, ``opened`` being the first
    link's ``(container, file)`` and ``links`` the byte ranges of the others (read with
    FFmpeg's ``demuxer``); each link is closed when its packets are done (or when this
    generator is closed)."""
    try:
        for k in range(len(links) + 1):
            if k:
                opened = av_open_range(path, *links[k - 1], demuxer)
            container = opened[0]
            if not container.streams.audio:
                raise ValueError(f"part {k + 1} of the joined file holds no audio")
            for packet in container.demux(container.streams.audio[0]):
                yield k, packet
            _close(opened)
            opened = None
    finally:
        if opened is not None:
            _close(opened)


def _close(opened) -> None:
    container, fh = opened
    container.close()
    if fh is not None:
        fh.close()


def _caf_whole_packets(av, path: str, container, limit: int | None) -> int | None:
    """The length (frames) at which to cut a CAF whose packet table states that its audio
    starts with the first frame it decodes (no priming frames, as ALAC): FFmpeg's decoder
    is told to keep the end of its last packet, and the song is cut at the table's count
    of valid frames; ``limit`` for any other file.

    FFmpeg's CAF reader marks the table's remainder frames to be dropped from the last
    packet as it comes, but an encoder that ends the song with a shorter packet (FFmpeg's
    ALAC encoder) states as remainder what that packet lacks of a whole one: real audio
    was dropped (677 frames of a 5 s song)."""
    table = caf_packet_table(path)
    if table is None or table[1] or not table[2] or not container.streams.audio:
        return limit
    ctx = container.streams.audio[0].codec_context
    ctx.flags2 |= av.codec.context.Flags2.skip_manual
    return table[0]


#: MP3 frames in a row that FFmpeg may fail to decode (1.3 s at 44.1 kHz) before the song
#: fails as damaged there; fewer are left out.
_MP3_FAILED_FRAMES = 50


def pyav_blocks(path: str, info: AudioInfo, block_frames: int) -> Iterator[np.ndarray]:
    """Yield the blocks of a file FFmpeg reads, converted to float32 at the rate and channel
    count probed (an MP4 or a Musepack SV8 file is cut at the length its header declares:
    the decoder pads the last packet; a Musepack file's first :data:`MPC_SYNTH_DELAY`
    samples, its decoder's delay, are left out).  A stream whose rate or channels change on
    the way (files joined end to end) is converted to the same rate and channels all along,
    and so are the files joined end to end in ``info.parts`` (MP3 parts, links of a chained OGG), each opened on its own.  An
    MP3 frame that cannot be decoded is left out (up to :data:`_MP3_FAILED_FRAMES` in a
    row).  A Monkey's Audio or Musepack packet that decodes short with audio after it is
    damage there (:data:`_WHOLE_PACKETS`); a file that states no length (AMR) whose last
    packet fails to decode is cut short there."""
    import av

    links = list(info.parts)  # byte ranges of the files joined in this one
    demuxer = info.format.lower()
    try:
        whole = bool(info.cuts) and len(links) < 2

        def reopen():  # the file (its first link) as the blocks start from it
            return (av_open_range(path, *links[0], demuxer, whole_track=whole) if links
                    else av_open(path, info.pieces, whole_track=whole))

        opened = reopen()
    except (av.FFmpegError, OSError) as exc:
        raise CorruptFileError(path, f"the file can no longer be opened ({av_reason(exc)})") \
            from None
    channels, rate = info.channels, info.sample_rate
    buf: np.ndarray | None = None  # the block being filled
    have = 0
    done = 0
    resampler = None
    resampler_source = layout = None  # the resampler's input (link, format, layout, rate), output
    # MP4 files and Musepack SV8 streams declare their exact length; the decoder adds the
    # padding of the last packet (of the last frame of 1,152 samples).
    mpc8 = info.codec == "MPC8"
    limit = info.frames if info.format in ("M4A", "M4B", "MP4", "M4V", "ALAC", "MOV") or (
        mpc8 and info.length_stated) else None
    if info.format == "CAF" and not links:
        limit = _caf_whole_packets(av, path, opened[0], limit)
    lead = (_aac_lead(opened[0]) if info.format == "AAC"
            else MPC_SYNTH_DELAY if mpc8 else 0)
    cutter = _EditCuts(info.cuts) if whole else None
    if cutter is not None:
        packets = _track_passes(opened, reopen, cutter)
    else:
        packets = _link_packets(path, opened, links[1:], demuxer)
    last = max(0, len(links) - 1)
    failed = 0  # MP3 frames in a row FFmpeg could not decode
    size = os.path.getsize(path)
    at_end = False  # the packet being decoded runs to the end of the file
    whole_packets = info.format in _WHOLE_PACKETS
    short = False  # the packet decoded short (a packet of _WHOLE_PACKETS)
    short_at = None  # where the audio of a packet that decoded short ends (frames)
    try:
        while True:
            try:
                link, packet = next(packets)
                at_end = packet.pos is not None and packet.pos + packet.size >= size
                pause = amr_pause(packet, info.codec, info.sample_rate)
                try:
                    frames = [] if pause else packet.decode()
                    failed = 0
                except av.InvalidDataError:
                    # An MP3 frame FFmpeg cannot decode (damaged) is left out, as libmpg123
                    # does; many in a row are damage the song cannot be read across.  A
                    # packet of _WHOLE_PACKETS decodes short: damage, or the file's end.
                    failed += 1
                    if not whole_packets and (info.format != "MP3"
                                              or failed > _MP3_FAILED_FRAMES):
                        raise
                    frames = []
                if whole_packets and packet.size:
                    got = sum(frame.samples for frame in frames)
                    if short_at is not None and got:  # audio after a packet decoded short
                        raise _at(CorruptFileError(
                            path, f"the audio data is damaged at {fmt_time(short_at / rate)} "
                                  "(part of a packet could not be decoded)"), short_at)
                    short = bool(packet.duration and packet.time_base) and \
                        got < packet.duration * packet.time_base * rate - 0.5
                if packet.size == 0 and link == last and resampler is not None:
                    frames = [*frames, None]  # end of data: flush the resampler
                out = [np.zeros((pause, channels), np.float32)] if pause else []
                for frame in frames:
                    if frame is not None:
                        # Each joined part gets a resampler of its own (its timestamps
                        # start again from 0).
                        source = (link, frame.format.name, frame.layout.name,
                                  frame.sample_rate)
                        if resampler is None:
                            layout = _output_layout(av, frame.layout, channels)
                            channels = layout.nb_channels
                            resampler = av.AudioResampler(format="flt", layout=layout,
                                                          rate=rate)
                        elif source != resampler_source:
                            # The stream changes its rate or channels (files joined end to
                            # end): FFmpeg's resampler refuses a frame unlike its first, so
                            # a new one converts the rest to the same rate and channels.
                            out.extend(res.to_ndarray().reshape(-1, channels)
                                       for res in resampler.resample(None))
                            resampler = av.AudioResampler(format="flt", layout=layout,
                                                          rate=rate)
                        resampler_source = source
                    for res in resampler.resample(frame) if resampler is not None else ():
                        out.append(res.to_ndarray().reshape(-1, channels))
            except StopIteration:
                if cutter is None:
                    break
                out, cutter = cutter.rest(), None  # the silences after the last part
            except (av.FFmpegError, ValueError, OSError) as exc:
                # A last packet cut short (a copy that lost its last bytes) ends the song
                # where its length says it nearly ends.
                if info.frames and info.frames - (done + have) <= _pyav_tail(info):
                    break
                # A packet the file's end cuts (an MP4 whose index comes before its audio)
                # ends the audio: the length check below says it is cut short.
                if at_end and info.length_stated and not links:
                    break
                # In a file that states no length (AMR), a last packet that fails to
                # decode is one the end of the file cuts.
                if at_end and not info.frames and not links:
                    raise _at(CorruptFileError(
                        path, f"the file is cut short: its audio ends at "
                              f"{fmt_time((done + have) / rate)}, within an audio frame "
                              f"({av_reason(exc)})"), done + have) from None
                # ValueError also covers a change of sample format or layout mid-stream.
                raise CorruptFileError(
                    path, f"the audio data is damaged at {fmt_time((done + have) / rate)} "
                          f"({av_reason(exc)})") from None
            if cutter is not None:
                out = [piece for arr in out for piece in cutter.cut(arr)]
            for arr in out:
                if lead:  # the encoder's lead-in, left out as an M4A's edit list does
                    arr, lead = arr[lead:], max(0, lead - len(arr))
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
            if short and short_at is None:
                short_at = done + have
        if have:
            done += have
            yield buf[:have]
    finally:
        packets.close()
    # A length the container states (lossy codecs pad and trim: the tolerance of
    # soundfile_blocks) that the audio falls well short of: the file was cut.
    if info.length_stated and info.frames and done < info.frames - (
            _pyav_tail(info) if info.codec in _EXACT_LENGTH else _lossy_tolerance(info)):
        if info.data_complete:  # every byte of its audio is there: not cut, damaged
            raise _at(CorruptFileError(
                path, f"the audio data is damaged at {fmt_time(done / rate)} (part of a "
                      "packet could not be decoded)"), done)
        raise _cut_short(path, info, done)


#: Formats (:attr:`AudioInfo.format`) whose FFmpeg decoder, on damaged data, drops the
#: rest of a packet (Monkey's Audio) or most of it (Musepack) without an error: a packet
#: that decodes to fewer samples than the demuxer states for it, or fails, followed by more
#: audio, is damage there (a song read 3.7 s long of 9.5 s, without a word).  Only the last
#: packet may decode short (Musepack's last one holds the song's end); when it is short of
#: the length the header states, the file is cut short.
_WHOLE_PACKETS = frozenset({"APE", "MPC"})

#: AMR frame types (bits 1-4 of a frame's first byte) of a pause in a recording made with
#: discontinuous transmission (DTX, as phones record speech): comfort noise (SID: 8 in
#: AMR-NB, 9 in AMR-WB) and no data (15).  FFmpeg's decoders refuse a SID frame as not
#: implemented and AMR-NB's a no-data frame as invalid data, and the song failed as
#: damaged at its first pause; each is read as the 20 ms of silence it stands for.
_AMR_PAUSES = {"AMRNB": (8, 15), "AMRWB": (9, 15)}


def amr_pause(packet, codec: str, rate: int) -> int:
    """Frames of silence to read for a ``packet`` of an AMR stream that is a pause
    (:data:`_AMR_PAUSES`); 0 for any other packet.

    Parameters
    ----------
    packet : av.Packet
        A packet of the file's audio stream.
    codec : str
        The stream's codec (:attr:`AudioInfo.codec`: ``"AMRNB"``, ``"AMRWB"``...).
    rate : int
        Its sample rate (Hz).
    """
    kinds = _AMR_PAUSES.get(codec)
    if not kinds or not packet.size or frame_type(bytes(packet)[0]) not in kinds:
        return 0
    return round(FRAME_S * rate)


#: Codecs (:attr:`AudioInfo.codec`) read by FFmpeg whose stated length is exact (lossless,
#: no encoder delay): the audio may lack no more than its last 0.1 s of it, as a WAV's.
_EXACT_LENGTH = frozenset({"APE"})
