"""Open audio files and stream their samples block by block, never loading a whole file.

Two back ends: soundfile (libsndfile) reads WAV, AIFF, FLAC, OGG and MP3; PyAV (FFmpeg) reads
M4A/MP4 (AAC, ALAC), Opus, WMA and anything libsndfile cannot open.  Every failure of either
library or of the operating system is translated here, once, into :mod:`core.errors`:

- :class:`~core.errors.UnreadableFileError`: missing file, a folder, a dangling link,
  permission denied;
- :class:`~core.errors.EmptyFileError`: 0 bytes, a valid header announcing no audio, or an
  MP3 that is only its ID3 tag;
- :class:`~core.errors.UnsupportedFormatError`: the content is not audio (text, an image, a
  document...) whatever its extension says, or its audio is in a codec no decoder reads;
- :class:`~core.errors.CorruptFileError`: the file starts as audio (or is named as audio and is
  not a known non-audio type) but cannot be decoded, or its data is damaged or cut short.

Cut-short files.  A WAV (RF64 and W64 too), AIFF or PCM CAF whose header declares more
audio than the file holds is reported as corrupt by :func:`probe` (the decoders would
otherwise silently return the part that is present), unless it lacks no more than its last
0.1 s.  For other formats whose header declares a length (FLAC, MP3 with a Xing or LAME
header, MP4/M4A, Matroska without video, Monkey's Audio, Musepack), :func:`stream` yields
the audio that decodes and then raises :class:`~core.errors.CorruptFileError` naming the
position where the data ends; a Monkey's Audio or Musepack packet that decodes short with
audio after it is damage there (FFmpeg's decoders drop its rest without an error), and so
is a Monkey's Audio file's last frame that does when the file holds every byte of its
frames (:mod:`core.analysis.apeframes`, :attr:`AudioInfo.data_complete`).  A
Musepack SV8 file cut short (of which FFmpeg reads nothing) or whose packets break is
reported by :func:`probe` from its packets (:mod:`core.analysis.mpcpackets`).  An AMR
file states no length (its duration is its frames counted, :mod:`core.analysis.amrframes`,
for the progress; it is not taken for the frames there are): one whose last frame fails
to decode at the end of the file is cut short there.  An Ogg
file (Vorbis, Opus, FLAC, Speex) states no length, but its pages tell: :func:`probe` reports
one whose last page lacks the end-of-stream flag or is cut within its body as cut short,
and one with a page missing, a page failing its CRC or bytes that are no page between its
pages as damaged, each at the audio time where it breaks (:mod:`core.analysis.oggpages`).
Raw MP3 streams simply end early.  A FLAC cut within the blocks before its audio, and an
MP4/M4A cut before or within its index (its moov atom, written after the audio by most
programs), are reported as cut short by :func:`probe`: no audio can be read of them.

Headers never finished.  A WAV whose data chunk states 0 bytes with audio after it (a
recording program stopped before it could go back to its header) and an MP3 whose Xing
header declares fewer frames than follow it are read to their end by PyAV, and the note
says why (libsndfile reads nothing of the first and stops early in the second).

Files joined end to end.  ``cat a.mp3 b.mp3`` keeps the first file's Xing header, and
libsndfile stops after the frames it declares; of a chained OGG (OGG files joined) it reads
the first link only; of an MP3 without a Xing header whose bit rate varies, it reads up to
a length estimated from the first frame.  :func:`probe` looks at the file's structure for
these (:mod:`core.analysis.joined`, a few small reads) and hands such a file to PyAV, which
opens each joined part on its own (:attr:`AudioInfo.parts`): the song is read whole, at the
first part's rate and channels, and its duration is the parts' added up.

Broken MP3s.  libmpg123, libsndfile's MP3 decoder, writes a note to the process's standard
error about every break in an MP3's chain of frames (a damaged header, bytes between
frames), which no caller can turn off (its quiet flag is set on a decoder handle libsndfile
keeps to itself, so damage inside a frame, seen only when the frame is decoded, still
reaches the terminal), and may stop early after one.  An MP3 whose chain
breaks (:mod:`core.analysis.mp3frames`) is read by FFmpeg, whose messages are off, which
leaves out the bytes that are no frame and the frames it cannot decode; the note says
where the chain breaks.  Zeros or junk after the last frame (about which libmpg123 warns)
are not shown to libsndfile (:attr:`AudioInfo.end`), and an MP3 whose Xing header states a
size over 1 % larger than the file holds (cut short) goes to FFmpeg.  An MP3 whose ID3 tag
states a size past the end of the file is read from the first frames after the tag's own
frames, and one after a tag of thousands of frames is shown to libsndfile from its audio
on (:attr:`AudioInfo.start`), as raw AAC after such a tag is to FFmpeg; FFmpeg is shown an
M4A behind an ID3 tag (of any size) from its first box on, and a Monkey's Audio, Musepack
or WavPack file behind one from its own header on (:attr:`AudioInfo.pieces`).  Content
that libsndfile does not read (MP4, raw AAC, WMA, Matroska) goes to PyAV whatever its
extension, and WAV, AIFF, FLAC, CAF and MP3 content to libsndfile (a WAV or MP3 renamed
.m4a).

Edit lists.  FFmpeg follows the edit list of an MP4/M4A's audio track (the part of it that
is played; an AAC encoder's lead-in is left out so), but ignores one of no edits and an
edit's rate, and counts the edits by the box's size: the song's note says what was read of
such a file (:mod:`core.analysis.mp4edits`), and a file whose edit list plays only silence
is empty.  An edit list with silence (an empty edit), parts joined, an edit past the end of
the track or in a fragmented file, which FFmpeg reads otherwise than players play it (no
silence, joins at whole packets, the padding of the last packet read as audio), is followed
by decoding the whole track and cutting it by samples (:attr:`AudioInfo.cuts`).  Raw AAC-LC (ADTS), which states no encoder delay, is read without its first
1024 samples, the lead-in every AAC-LC encoder puts first and FFmpeg's states in an M4A
(:data:`~core.analysis.blocks.AAC_LC_LEAD`); encoders that put more leave the rest in.

Chunks out of order.  A CAF whose description (its 'desc' chunk) comes after its audio
data, where the format requires it first, is shown to the decoder (libsndfile, FFmpeg for
ALAC) with its chunks in the required order (:func:`~core.analysis.sniff.caf_described_first`)
and read exactly; one whose data chunk runs to the end of the file, with no description
after it that can be found, fails saying so.

Parameters out of range.  A sample rate outside 8-384 kHz or a channel count outside 1-64
is reported as :class:`~core.errors.UnsupportedFormatError` with the value and the range,
before any sample is decoded (:func:`check_parameters`).

The module is split by job: :mod:`core.analysis.sniff` looks at the path and the first
bytes before any decoder does, :mod:`core.analysis.joined` finds files joined end to end,
:mod:`core.analysis.blocks` holds the block readers, and this module probes a file and
hands it to the right reader.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import soundfile as sf

from core.analysis.amrframes import amr_seconds
from core.analysis.apeframes import ape_frames_end
from core.analysis.blocks import (
    amr_pause,
    av_open,
    av_open_range,
    av_reason,
    flac_blocks,
    pyav_blocks,
    sf_open,
    soundfile_blocks,
)
from core.analysis.joined import mp3_parts, mp3_unread_audio, ogg_chains
from core.analysis.mp3frames import mp3_chain
from core.analysis.mp4edits import audio_edit_list, edit_cuts, edit_list_notice
from core.analysis.mpcpackets import sv8_packets
from core.analysis.oggpages import ogg_damage
from core.analysis.sniff import (
    aifc_compression,
    caf_desc_after_data,
    caf_described_first,
    caf_pcm_frames,
    check_path,
    cut_in_header,
    declared_pcm_frames,
    dsd_stated_seconds,
    flac_header_cut,
    fmt_time,
    has_mpeg_frames,
    mp3_audio_start,
    mp3_first_frame,
    mp4_index_cut,
    only_id3_tags,
    read_head,
    sniff,
    wav_format,
    wav_unsized_audio,
)
from core.errors import (
    CorruptFileError,
    EmptyFileError,
    UnsupportedFormatError,
)
from core.io.id3 import MANY_FRAMES, id3_tag

__all__ = ["AudioInfo", "probe", "stream", "check_parameters", "PYAV_EXTENSIONS",
           "SAMPLE_RATE_RANGE", "CHANNELS_RANGE"]

#: Extensions decoded with PyAV directly (libsndfile cannot read them, or reads them badly).
PYAV_EXTENSIONS = frozenset({".m4a", ".m4b", ".mp4", ".mov", ".m4v", ".aac", ".alac", ".opus",
                             ".wma", ".mka", ".webm", ".ac3", ".eac3", ".mp2", ".wv", ".tta",
                             ".dsf", ".dff", ".ape", ".mpc", ".amr", ".awb"})

#: Kinds of content (:func:`~core.analysis.sniff.sniff`) decoded with PyAV directly, whatever
#: the file's extension: libsndfile reads none of them, and libmpg123 takes a raw AAC stream
#: for damaged MPEG audio and writes notes about it to standard error.
_NOT_LIBSNDFILE = frozenset({"AAC", "MP4", "WMA", "MKV", "DSF", "DFF", "APE", "MPC", "AMR"})

#: Kinds of content (:func:`~core.analysis.sniff.sniff`) that libsndfile reads whatever the
#: file's extension (a WAV or MP3 renamed .m4a): read as their own kind, a cut-short WAV
#: or MP3 says so where FFmpeg read what was there without a word.  MPEG audio named .mp2
#: stays with FFmpeg.
_LIBSNDFILE_CONTENT = frozenset({"WAV", "W64", "AIFF", "FLAC", "CAF", "AU", "MP3", "MPEG"})

#: Formats (:attr:`AudioInfo.format`) of MPEG-4 and QuickTime files, whose audio track may
#: carry an edit list (:mod:`core.analysis.mp4edits`).
_MP4_FORMATS = frozenset({"M4A", "M4B", "MP4", "MOV", "M4V", "ALAC"})

#: AIFF-C compression types libsndfile reads: a file of another that no decoder opens is
#: in a codec SongCal does not read, not damaged.
_AIFC_READ = frozenset({"NONE", "none", "twos", "sowt", "raw ", "in24", "in32", "fl32",
                        "FL32", "fl64", "FL64", "ulaw", "ULAW", "alaw", "ALAW", "ima4",
                        "GSM ", "DWVW"})

#: Sample rates (Hz) SongCal analyzes, inclusive; anything else is unsupported.
SAMPLE_RATE_RANGE = (8_000, 384_000)
#: Highest sample rate of 1-bit DSD audio (DSF, DSDIFF) as FFmpeg decodes it, an eighth of
#: the bit rate: DSD64 gives 352.8 kHz, DSD128 705.6 kHz, ... DSD512 2.8224 MHz.
DSD_RATE_MAX = 2_822_400
#: 1-bit DSD is read as 88.2 kHz PCM (FFmpeg resamples it as it is decoded): above about
#: 40 kHz a DSD file holds the noise its 1-bit modulation was shaped into, not music, and at
#: the decoder's own rates (352.8 kHz for DSD64, 705.6 kHz for DSD128...) that noise would
#: count in the loudness and the peak, and the analysis would take four times as long.
DSD_READ_RATE = 88_200
#: Channel counts SongCal analyzes, inclusive.
CHANNELS_RANGE = (1, 64)

_log = logging.getLogger(__name__)

#: libsndfile gives the largest frame count (``SF_COUNT_MAX``) when it cannot tell a file's
#: length; anything this large is no length (2**62 frames is 3 million years at 48 kHz).
_SF_UNKNOWN_FRAMES = 2**62


#: Frames of an ID3 tag beyond which libsndfile is shown an MP3 from its audio on.
MANY_ID3_FRAMES = MANY_FRAMES

#: Audio (s) a WAV or AIFF may lack at its end before it counts as cut short: a copy that
#: lost its last bytes, or a header counting a pad byte, still holds the whole song.
_MISSING_TAIL_S = 0.1


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
        PyAV files; None when unknown (for libsndfile too, e.g. a chained OGG whose
        streams differ).
    duration_s : float or None
        Duration (s); None when unknown.
    backend : str
        ``"soundfile"`` or ``"pyav"``.
    parts : tuple of (int, int)
        Byte ranges (start, end excluded) of the files joined end to end in this one (MP3
        parts, links of a chained OGG), each read by PyAV on its own; empty for every
        other file.
    length_stated : bool
        True when ``frames`` is a length the container states (the Duration of a Matroska
        or WebM file with no video), so that audio ending well before it is a file cut
        short; False when it is an estimate or none.
    notice : str
        What the analysis should say about the file though it reads it (an Ogg stream
        that ends without its last page, an ID3 tag whose stated size is wrong); empty
        for most files.
    start : int
        Byte from which libsndfile is shown the file (:func:`~core.analysis.blocks.sf_open`):
        where an MP3's audio starts when its ID3 tag states a size past the end of the
        file or holds more than :data:`MANY_ID3_FRAMES` frames; 0 for every other file.
    end : int or None
        Byte up to which libsndfile is shown the file: the end of an MP3's last frame when
        zeros or junk follow it; None (the end of the file) for every other file.
    pieces : tuple of (int, int)
        Byte ranges the decoder is shown instead, joined in their order
        (:class:`~core.analysis.blocks.FilePieces`): a CAF whose description comes after
        its audio data is shown with its description first, and a Monkey's Audio,
        Musepack or WavPack file behind an ID3 tag from after the tag; empty for every
        other file.
    cuts : tuple of (int or None, int)
        ``(first sample, count)`` of the parts of an MP4's audio track played in order
        (``None``: ``count`` samples of silence), for an edit list FFmpeg does not follow as
        players do (:func:`~core.analysis.mp4edits.edit_cuts`): the whole track is decoded
        and cut so; empty for every other file.
    file_rate : int or None
        The file's own sample rate (Hz) when it is read at another: that of 1-bit DSD
        (2,822,400 for DSD64, 5,644,800 for DSD128), read as ``sample_rate`` PCM
        (:data:`DSD_READ_RATE`); None for every other file, read at its own rate.
    data_complete : bool
        True when the file holds every byte of audio its header states (a Monkey's Audio
        file whose size reaches the end of the frames its descriptor states,
        :func:`~core.analysis.apeframes.ape_frames_end`): audio that breaks off before
        ``frames`` is damage there, not a file cut short; False for every other file.
    """

    path: str
    format: str
    codec: str
    sample_rate: int
    channels: int
    frames: int | None
    duration_s: float | None
    backend: str
    parts: tuple[tuple[int, int], ...] = ()
    length_stated: bool = False
    notice: str = ""
    start: int = 0
    end: int | None = None
    pieces: tuple[tuple[int, int], ...] = ()
    cuts: tuple[tuple[int | None, int], ...] = ()
    file_rate: int | None = None
    data_complete: bool = False


# ----------------------------------------------------------------------------------------
# Probing


def check_parameters(path: str, rate, channels, codec: str = "") -> None:
    """Refuse a sample rate or channel count SongCal does not analyze.

    Parameters
    ----------
    path : str
        The file (for the message).
    rate : int
        Sample rate the header declares (Hz).
    channels : int
        Channel count the header declares.
    codec : str, optional
        FFmpeg's name of the decoder; 1-bit DSD (``dsd_lsbf``, ``dsd_msbf_planar``...) is
        decoded at up to :data:`DSD_RATE_MAX`.

    Raises
    ------
    core.errors.UnsupportedFormatError
        Rate outside :data:`SAMPLE_RATE_RANGE` (or above :data:`DSD_RATE_MAX` for DSD) or
        channels outside :data:`CHANNELS_RANGE`, with the value and the range in the reason.
    """
    lo, hi = SAMPLE_RATE_RANGE
    if codec.lower().startswith("dsd_"):
        hi = DSD_RATE_MAX
    if not lo <= rate <= hi:
        raise UnsupportedFormatError(
            path, f"unsupported sample rate: {_hz(rate)} (SongCal analyzes {_hz(lo)} to "
                  f"{_hz(hi)})")
    lo, hi = CHANNELS_RANGE
    if not lo <= channels <= hi:
        raise UnsupportedFormatError(
            path, f"unsupported channel count: {channels} channels (SongCal analyzes "
                  f"{lo} to {hi})")


def _hz(rate) -> str:
    if rate >= 1_000_000:
        return f"{rate / 1e6:g} MHz"
    if rate >= 1000:
        return f"{rate / 1000:g} kHz"
    return f"{rate:g} Hz"


def _probe_soundfile(path: str, kind: str | None, start: int = 0, pieces=()) -> AudioInfo:
    chain = _mp3_checks(path, start) if kind in ("MP3", "MPEG") else None
    end = None if chain is None else chain.junk_at
    with sf_open(path, start, end, pieces) as f:
        fmt, codec = f.format, f.subtype
        rate, channels, frames = int(f.samplerate), int(f.channels), int(f.frames)
    if frames >= _SF_UNKNOWN_FRAMES:  # libsndfile's "length unknown" (a chained OGG...)
        frames = None
    if fmt == "MP3" and not has_mpeg_frames(path):
        raise _NotDecodable("no MPEG audio frames found")
    if fmt == "MP3" and chain is None:  # MPEG audio after bytes sniff() did not place
        _mp3_checks(path, start)
    if fmt == "OGG" and len(ogg_chains(path)) > 1:
        raise _ReadOn("a chained OGG (OGG files joined end to end), of which libsndfile "
                      "reads the first only")
    if rate <= 0 or channels <= 0:
        raise CorruptFileError(path, f"the header is damaged ({rate} Hz, {channels} channels)")
    check_parameters(path, rate, channels)
    if frames is not None and kind in ("WAV", "W64", "AIFF") and codec.startswith(("PCM", "FLOAT", "DOUBLE", "ULAW", "ALAW")):
        declared = declared_pcm_frames(path, kind)
        damaged = "" if declared is None else _check_cut_short(path, declared, frames,
                                                                rate=rate)
    else:
        damaged = ""
    if frames == 0 and kind == "WAV" and (unsized := wav_unsized_audio(path)) is not None:
        # libsndfile takes the 0 bytes the data chunk states at their word; FFmpeg reads on.
        seconds = unsized[0] / unsized[1] / rate
        raise _ReadOn("its data chunk states 0 bytes but audio follows", notice=(
            f"its header states no audio but {fmt_time(seconds)} follows (a recording "
            "whose program did not finish its header): read to the end"))
    if frames == 0:
        raise EmptyFileError(path, "the file holds no audio (its header announces 0 samples)")
    notice = damaged
    if fmt == "MP3" and _xing_overstates(chain):
        # libsndfile takes the Xing header's frame count for the length, and the song
        # would end "cut short" before it: the frames are the length.
        frames = round(chain.seconds * rate)
        notice = _overstates_notice(chain)
    return AudioInfo(path=path, format=fmt, codec=codec, sample_rate=rate, channels=channels,
                     frames=frames, duration_s=None if frames is None else frames / rate,
                     backend="soundfile", start=start, end=end, notice=notice,
                     pieces=tuple(pieces))


def _mp3_checks(path: str, start: int):
    """Raise :class:`_ReadOn` for an MP3 that libsndfile would read short or noisily (files
    joined end to end, a chain of frames that breaks, a Xing header declaring fewer frames
    than follow it); return its :class:`~core.analysis.mp3frames.Mp3Chain` otherwise.  Done
    before libsndfile opens the file: libmpg123 warns on opening one whose Xing header
    states a size the file does not have.

    FFmpeg reads no free-format MP3 (whose frame headers state no bit rate): such a file
    that libsndfile would read short or noisily is reported as damaged, saying why."""
    chain = mp3_chain(path, start or mp3_audio_start(path))
    try:
        return _read_on(chain, path)
    except _ReadOn as exc:
        if not chain.free:
            raise
        raise CorruptFileError(path, (
            "its MPEG audio is in free format (no bit rate in its frame headers), which "
            f"FFmpeg does not read, and libsndfile would not read it whole: {exc}")) from None


def _read_on(chain, path: str):
    """The checks of :func:`_mp3_checks` on the chain of frames of ``path``."""
    # libsndfile stops where the first of files joined end to end ends, and short of the
    # end of a VBR file without a Xing header: FFmpeg reads on, its length estimated from
    # the first frames' bit rate (5.18 s for 5.04 s of frames); the frames tell it.
    if (why := mp3_unread_audio(path)) is not None:
        raise _ReadOn(why, seconds=None if chain.breaks or not chain.seconds
                      else chain.seconds)
    if breaks := chain.breaks:
        # libmpg123 writes a note about each break straight to the process's standard error.
        where = ("one place, at " if len(breaks) == 1
                 else f"{len(breaks)} places, the first at ")
        raise _ReadOn(f"its chain of MPEG frames breaks at {fmt_time(breaks[0])}", notice=(
            f"its MPEG audio is broken in {where}{fmt_time(breaks[0])}, by bytes that are "
            "no audio frame (damage, or a tag in the middle): they were skipped"))
    if chain.changes_at is not None:
        # libmpg123 stops where the frames change layer or rate; FFmpeg decodes every layer.
        raise _ReadOn("its MPEG frames change layer or sample rate (files of two kinds "
                      "joined end to end)", seconds=chain.seconds)
    if chain.declared is not None and chain.seconds > chain.declared + _XING_SHORT_S:
        # libsndfile stops after the frames the Xing header declares, without a word.
        raise _ReadOn(f"its {chain.header} header declares fewer frames than follow it",
                      notice=(f"its {chain.header} header declares {fmt_time(chain.declared)}"
                              f" of audio but {fmt_time(chain.seconds)} of MPEG frames follow "
                              "it: read to the end"),
                      seconds=chain.seconds)
    if chain.header == "VBRI":
        # libsndfile reads no VBRI header: it decodes its frame as audio and stops at a
        # length estimated from that frame's bit rate (2.6 s of a 6 s song); FFmpeg reads
        # the header.  The frames are the length, unless audio is missing after them.
        if _xing_overstates(chain):
            raise _ReadOn("its length is in a VBRI header, which libsndfile does not read",
                          notice=_overstates_notice(chain), seconds=chain.seconds)
        missing = chain.declared is not None and chain.declared > chain.seconds + _XING_SHORT_S
        raise _ReadOn("its length is in a VBRI header, which libsndfile does not read",
                      seconds=chain.declared if missing else chain.seconds, stated=missing)
    if _xing_size_off(chain, path):
        # A Xing header declaring more than the file holds (a file cut short, or a header
        # that overstates) makes libmpg123 warn on standard error, at each opening, that
        # the stream's size it states is off; FFmpeg reads such a file quietly.  The song is
        # cut short or read as it is, as before.
        if _xing_overstates(chain):
            raise _ReadOn("its Xing header declares more frames than the file holds",
                          notice=_overstates_notice(chain), seconds=chain.seconds)
        raise _ReadOn("its Xing header declares more audio than the file holds",
                      seconds=chain.declared, stated=True)
    return chain


def _xing_size_off(chain, path: str) -> bool:
    """True when an MP3's Xing header declares more frames than it holds and states a size
    more than 1 % above that of the stream libsndfile would be shown, about which libmpg123
    warns on standard error (twice per song); never for free format, which FFmpeg does not
    read."""
    if (chain.free or chain.declared is None or chain.stated_bytes is None
            or chain.declared <= chain.seconds + _XING_SHORT_S):
        return False
    shown = (chain.junk_at if chain.junk_at is not None else os.path.getsize(path)) - chain.first
    return chain.stated_bytes > 1.01 * shown


def _overstates_notice(chain) -> str:
    """The note on an MP3 whose Xing or VBRI header declares more audio than its frames,
    every one whole, hold."""
    return (f"its {chain.header} header declares {fmt_time(chain.declared)} of audio but its "
            f"MPEG frames hold {fmt_time(chain.seconds)}, the last one whole: the header "
            "overstates the length (or the file lost its end exactly between two frames); "
            "read as it is")


def _xing_overstates(chain) -> bool:
    """True when an MP3's Xing header declares more audio than its frames hold while none
    is missing: the chain runs whole to the end of the file, or to the tags after it (a
    file cut short ends within a frame; zeros or junk after the chain may stand for audio
    that was never written)."""
    return (chain is not None and chain.declared is not None
            and chain.declared > chain.seconds + _XING_SHORT_S
            and not chain.cut and chain.junk_at is None and not chain.breaks)


#: Audio (s) the frames of an MP3 may hold beyond what its Xing header declares before
#: libsndfile, which stops there, is not trusted with it.
_XING_SHORT_S = 0.1


def _check_cut_short(path: str, declared: int, present: int, *, rate: int) -> str:
    """Raise when a file holds more than :data:`_MISSING_TAIL_S` less audio than its header
    declares (frames at ``rate``).  A declared length beyond :data:`_NO_RECORDING_S` is no
    file cut short but a damaged size (an RF64's ds64 chunk stating petabytes): the audio
    present is read, and the note returned says why; "" otherwise."""
    if rate > 0 and declared / rate > _NO_RECORDING_S and present:
        return (f"its header announces {declared / rate / 86400:,.0f} days of audio, a "
                f"damaged size: the {fmt_time(present / rate)} the file holds is read")
    if rate > 0 and declared - present > _MISSING_TAIL_S * rate:
        raise CorruptFileError(
            path, f"the file is cut short: its header announces {fmt_time(declared / rate)} "
                  f"of audio but only {fmt_time(present / rate)} is present")
    return ""


#: A length (s) no recording a header declares reaches (a week): a file whose header
#: states more has a damaged size, not a part missing.
_NO_RECORDING_S = 7 * 86400


def _caf_rate(head: bytes) -> int:
    """The sample rate a CAF's first chunk (its description) states, 0 when it is not there."""
    if head[8:12] != b"desc" or len(head) < 28:
        return 0
    rate = struct.unpack(">d", head[20:28])[0]
    return int(rate) if 0 < rate < 1e7 else 0


class _NotDecodable(Exception):
    """Internal: a back end could not make sense of the file."""


class _ReadOn(_NotDecodable):
    """Internal: libsndfile would stop before the end of the file's audio, or would read
    it less well than FFmpeg; ``notice`` is what the song's note should then say."""

    def __init__(self, reason: str, notice: str = "", seconds: float | None = None,
                 stated: bool = False):
        super().__init__(reason)
        self.notice = notice
        #: The audio's length (s) when the file's header states another.
        self.seconds = seconds
        #: True when ``seconds`` is a length the header states and the frames fall short
        #: of (audio missing at the end: the file was cut).
        self.stated = stated


def _av_format_name(path: str, container) -> str:
    ext = os.path.splitext(path)[1].lower().lstrip(".")
    name = container.format.name
    if "mp4" in name or "mov" in name:
        return ext.upper() if ext in ("m4a", "m4b", "mp4", "mov", "m4v", "alac") else "MP4"
    if name == "mp3" and ext == "mp2":  # FFmpeg reads every MPEG audio layer as "mp3"
        return "MP2"
    return {"mp3": "MP3", "ogg": "OGG", "asf": "WMA", "matroska,webm": "MKV", "flac": "FLAC",
            "wav": "WAV", "aiff": "AIFF", "aac": "AAC", "mpc8": "MPC"}.get(name, name.upper())


def _probe_pyav(path: str, start: int = 0, kind: str | None = None, pieces=()) -> AudioInfo:
    """``path`` probed by FFmpeg; an MP3 whose audio starts at ``start`` (not 0: after a
    tag whose stated size lies, or bytes that are no frame) is shown to it from its first
    frames, which it would otherwise not find or would misjudge the length from."""
    import av

    if start and kind == "AAC":  # raw AAC after a tag whose stated size lies
        return _probe_links(path, [(start, os.path.getsize(path))], "aac")
    if start and kind == "MP4":  # an M4A after an ID3 tag
        return _probe_links(path, [(start, os.path.getsize(path))], "mov")
    if start and (links := mp3_parts(path)):
        # FFmpeg opening the whole file skips the size a lying tag states (past the end of
        # the file: it finds no audio at all) or takes bytes that are no frame for audio.
        return _probe_links(path, links, "mp3")
    try:
        container, fh = av_open(path, pieces)
    except av.FFmpegError as exc:
        raise _NotDecodable(str(exc)) from None
    try:
        names = container.format.name.split(",")
        if "mp3" in names and not has_mpeg_frames(path):
            raise _NotDecodable("no MPEG audio frames found")
        links = (mp3_parts(path) if "mp3" in names else ogg_chains(path) if "ogg" in names
                 else [])
        if len(links) > 1:
            return _probe_links(path, links, "mp3" if "mp3" in names else "ogg")
        if not container.streams.audio:
            video = container.streams.video
            raise UnsupportedFormatError(path, "the file holds no audio track" + (
                ", only a picture (cover art)" if video and all(map(_picture, video))
                else " (it is a video without sound)" if video else ""))
        st = container.streams.audio[0]
        mp4 = "mp4" in names or "mov" in names
        ctx = st.codec_context
        if ctx is None:  # FFmpeg found an audio stream but has no decoder for its codec
            if kind == "WAV" and (stated := wav_format(path)) is not None:
                raise UnsupportedFormatError(
                    path, f"no decoder reads its audio: its WAV header names format code "
                          f"0x{stated[0]:04X}, which neither libsndfile nor FFmpeg reads (an "
                          "unknown codec, or a damaged header)")
            raise UnsupportedFormatError(
                path, "no decoder reads its audio: the codec its header names is unknown, or "
                      "the header is damaged")
        rate, channels = int(ctx.sample_rate or 0), int(ctx.channels or 0)
        if rate <= 0 or channels <= 0:
            raise _NotDecodable(f"no sample rate or channel count ({rate} Hz, {channels} ch)")
        check_parameters(path, rate, channels, ctx.name)
        file_rate = None
        if ctx.name.startswith("dsd_"):
            # FFmpeg decodes 1-bit DSD at an eighth of its own rate (bits per second).
            file_rate, rate = rate * 8, min(rate, DSD_READ_RATE)
        duration = _av_duration(container, st)
        if "ogg" in names or "matroska" in names:
            duration = _without_preskip(duration, ctx)
        # Decode the first audio to be sure the data is really audio FFmpeg can read.
        decoded = 0
        size = os.path.getsize(path)
        for n_packets, packet in enumerate(container.demux(st)):
            try:  # an AMR pause is read as silence (FFmpeg's decoders refuse some)
                decoded += (amr_pause(packet, ctx.name.upper(), rate)
                            or sum(frame.samples for frame in packet.decode()))
            except av.FFmpegError:
                if mp4 and packet.pos is not None and packet.pos + packet.size >= size:
                    raise _mp4_no_audio(path) from None
                raise
            if decoded or n_packets > 500:
                break
        if not decoded and mp4 and st.frames and _mp4_index_past_end(container, st, size):
            raise _mp4_no_audio(path)
        if not decoded:
            if mp4 and not st.frames:
                # Its duration may be stated while its table of samples is empty.
                raise EmptyFileError(path, "the file holds no audio (its audio track has 0 "
                                           "samples)")
            if mp4 and (edits := audio_edit_list(path)) is not None and edits.edits \
                    and all(edit.media_s is None for edit in edits.edits):
                silence = sum(edit.duration_s for edit in edits.edits)
                raise EmptyFileError(path, f"the file plays no audio: its MP4 edit list plays "
                                           f"{silence:.3f} s of silence and no part of its "
                                           "audio track")
            if duration:
                raise CorruptFileError(path, "no audio could be decoded from the file")
            raise EmptyFileError(path, "the file holds no audio")
        # Matroska states the segment's duration; with a video track it may be the video's.
        # An MP4 whose index places audio past the end of the file (an index written before
        # the audio, the file cut within it) holds less than its audio track states.
        stated = duration is not None and (
            ("matroska" in names and not container.streams.video) or "ape" in names
            or (mp4 and bool(st.duration) and _mp4_data_end(st) > size))
        if kind in ("DSF", "DFF") and (header_s := dsd_stated_seconds(path)) is not None \
                and duration is not None and header_s > duration + 0.01:
            duration, stated = header_s, True  # a cut DSD file: FFmpeg reads what is left
        tracks = len(container.streams.audio)
        notice = "" if tracks < 2 else (
            f"it holds {tracks} audio tracks: the first ({channels} channel"
            f"{'s' if channels != 1 else ''}, {ctx.name.upper()}) is read, the others "
            "are not")
        # AMR states no length: FFmpeg's duration is a guess from the bit rate (8.28 s for
        # 8 s, 14.6 s for 8 s recorded with pauses), replaced by its frames counted (an
        # estimate past 67 minutes), kept for the progress but not taken for the frames
        # there are.
        guessed = "amr" in names
        if guessed and (counted := amr_seconds(path)) is not None:
            duration = counted
        return AudioInfo(path=path, format=_av_format_name(path, container),
                         codec=ctx.name.upper(), sample_rate=rate, channels=channels,
                         frames=None if duration is None or guessed else round(duration * rate),
                         duration_s=duration, backend="pyav", length_stated=stated,
                         notice=notice, pieces=tuple(pieces), file_rate=file_rate)
    except av.FFmpegError as exc:
        raise CorruptFileError(path, f"the audio data cannot be decoded ({av_reason(exc)})") \
            from None
    finally:
        container.close()
        if fh is not None:
            fh.close()


#: Codecs of still pictures that containers carry as a video stream (cover art).
_PICTURE_CODECS = frozenset({"mjpeg", "png", "bmp", "gif", "webp", "tiff"})


def _picture(stream) -> bool:
    """True when a video ``stream`` is a still picture: one FFmpeg marks as attached (an
    M4A's cover art, its ``covr`` atom), or a track of one image in a picture codec."""
    import av

    if stream.disposition & av.stream.Disposition.attached_pic:
        return True
    ctx = stream.codec_context
    return ctx is not None and ctx.name in _PICTURE_CODECS and (stream.frames or 0) <= 1


def _mp4_no_audio(path: str) -> CorruptFileError:
    """The error for an MP4 whose index places its first packets past the end of the file:
    one whose index comes first, cut right after it (a download stopped early)."""
    return CorruptFileError(path, "the file is cut short: its MP4 index (the moov atom, "
                                  "which says where the audio is) places the audio past the "
                                  "end of the file, and none can be read")


def _mp4_index_past_end(container, stream, size: int) -> bool:
    """True when the first packet the index of an MP4 places starts at or past byte
    ``size``, the end of the file (FFmpeg's demuxer then yields no packet at all)."""
    index = getattr(stream, "index_entries", None)  # what the moov atom places
    return bool(index) and index[0].pos >= size


def _mp4_data_end(stream) -> int:
    """The byte where the last packets an MP4's index places for ``stream`` end (0 without
    an index); entries are in time order, so the last few hold the end."""
    index = getattr(stream, "index_entries", None)
    n = len(index) if index is not None else 0
    return max((index[k].pos + index[k].size for k in range(max(0, n - 16), n)), default=0)


def _av_duration(container, stream) -> float | None:
    """Duration (s) FFmpeg states for an audio stream (else for its container), or None."""
    import av

    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    if container.duration:
        return container.duration / av.time_base
    return None


def _without_preskip(duration: float | None, ctx) -> float | None:
    """``duration`` (s) FFmpeg states for an Opus stream in Ogg, Matroska or WebM less the
    samples its decoder drops first (the stream's pre-skip, 312 for libopus): the last
    page's position (Ogg) or the segment's duration (Matroska) counts them.  Any other
    codec's duration as it is."""
    if not duration or ctx.name != "opus" or ctx.delay <= 0 or not ctx.sample_rate:
        return duration
    return max(0.0, duration - ctx.delay / ctx.sample_rate)


def _probe_links(path: str, links: list[tuple[int, int]], demuxer: str) -> AudioInfo:
    """Probe each of the files joined end to end in ``path`` (its byte ranges ``links``,
    read with FFmpeg's ``demuxer``) on its own: the song has the first one's rate and
    channels, and their durations added up."""
    import av

    first = None
    total: float | None = 0.0
    what = "part" if demuxer == "mp3" else "link"
    for k, (start, end) in enumerate(links):
        where = f"{what} {k + 1} of {len(links)} of the joined file (at byte {start})"
        try:
            container, fh = av_open_range(path, start, end, demuxer)
        except av.FFmpegError as exc:
            raise CorruptFileError(path, f"{where} cannot be read ({av_reason(exc)})") from None
        try:
            audio = container.streams.audio
            ctx = audio[0].codec_context if audio else None
            if ctx is None:
                raise UnsupportedFormatError(path, f"{where} holds no audio a decoder reads")
            rate, channels = int(ctx.sample_rate or 0), int(ctx.channels or 0)
            check_parameters(path, rate, channels, ctx.name)
            duration = _av_duration(container, audio[0])
            if demuxer == "ogg":
                duration = _without_preskip(duration, ctx)
        finally:
            container.close()
            fh.close()
        if first is None:
            first = (ctx.name.upper(), rate, channels)
        total = None if total is None or duration is None else total + duration
    codec, rate, channels = first
    return AudioInfo(path=path, format=demuxer.upper(), codec=codec, sample_rate=rate,
                     channels=channels, frames=None if total is None else round(total * rate),
                     duration_s=total, backend="pyav", parts=tuple(links))


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
        0 bytes, a valid header announcing no audio, or an MP3 holding only its ID3 tag.
    core.errors.UnsupportedFormatError
        The content is not audio (text, image, document...), its audio is in a codec no
        decoder reads, or its sample rate or channel count is out of range
        (:func:`check_parameters`).
    core.errors.CorruptFileError
        Damaged header or data, a WAV/AIFF cut short, or an Ogg file cut short or damaged.
    """
    try:
        path = os.fspath(path)
    except TypeError:
        raise TypeError(f"probe: path must be a str or os.PathLike, got {path!r}") from None
    size = check_path(path)
    head = read_head(path)
    if (cut := cut_in_header(head)) is not None:
        raise CorruptFileError(path, f"the file is cut short within its {cut} header "
                                     f"({len(head)} byte{'s' if len(head) > 1 else ''}), with "
                                     "no audio")
    kind, not_audio = sniff(head)
    if not_audio is not None:
        raise UnsupportedFormatError(path, f"this is {not_audio}, not an audio file")
    notice = ""
    if kind == "FLAC" and (cut := flac_header_cut(path)) is not None:
        size, end = cut
        where = (f"within its header (stream information, tags, pictures): it ends after "
                 f"{size} bytes" if size < end
                 else "right after its header (stream information, tags, pictures)")
        raise CorruptFileError(path, f"the file is cut short {where}, with no audio")
    start, tag = 0, id3_tag(path) if kind == "MP3" else None
    if tag is not None and tag.stated_end > size:
        if tag.cut:
            raise CorruptFileError(path, "the file is cut short within its ID3 tag (title, "
                                         "artist, pictures), before any audio")
        adts = None if has_mpeg_frames(path) else _adts_after(path, tag.frames_end)
        if adts is not None:  # raw AAC after the tag: FFmpeg is shown it from there
            kind, start = "AAC", adts
        elif has_mpeg_frames(path):  # the audio after the frames of a tag whose size lies
            start = mp3_audio_start(path)
        if start:
            notice = (f"its ID3 tag states a size of {_bytes(tag.stated_end - 10)}, more than "
                      f"the whole file ({_bytes(size)}): the audio after its "
                      f"{tag.count} frame{'s' if tag.count != 1 else ''} is read")
    elif tag is not None and (audio := mp3_audio_start(path)) < tag.stated_end:
        # MPEG frames start within the size the tag states: decoders would skip them.
        start = audio
        notice = (f"its ID3 tag states a size of {_bytes(tag.stated_end - 10)}, but MPEG "
                  f"audio starts after its {tag.count} frame{'s' if tag.count != 1 else ''}"
                  f", {_bytes(tag.stated_end - audio)} before that end: read from there")
    # A tag of many frames: the decoders, which walk every one of them each time they open
    # the file, are shown what follows it from where it starts.
    many = not start and tag is not None and tag.count > MANY_ID3_FRAMES
    if many:
        start = tag.stated_end
    if (tag is not None and (not start or many) and tag.stated_end <= size
            and (adts := _adts_after(path, tag.stated_end)) is not None
            and not has_mpeg_frames(path)):
        kind = "AAC"  # raw AAC after the tag: libmpg123 would take it for damaged MP3
        if many:  # FFmpeg took 6 s to open one after a tag of 20,000 frames
            start = adts
    after_tag = None  # the bytes after an ID3 tag in front of a file of _AFTER_ID3
    if tag is not None and (not start or many) and tag.stated_end < size:
        behind = _head_at(path, tag.stated_end)
        if behind[4:8] == b"ftyp":
            # A tagger that wrote MP3 tags in front of an M4A: FFmpeg opens no MP4 after an
            # ID3 tag, and the MP4's own offsets count from its first box.
            kind, start = "MP4", tag.stated_end
            notice = (f"an ID3 tag (MP3 tags, {_bytes(start)}) was written in front of its "
                      "MP4 audio: read from after it")
        elif (after := sniff(behind)[0]) in _AFTER_ID3:
            # A tagger that wrote MP3 tags in front (their own players skip them): FFmpeg
            # takes the file for MP3 and reads none of it.
            kind, after_tag, start = after, ((tag.stated_end, size),), 0
            notice = (f"an ID3 tag (MP3 tags, {_bytes(tag.stated_end)}) was written in front "
                      f"of its {_AFTER_ID3[after]} stream: read from after it")
    ext = os.path.splitext(path)[1].lower()
    mpeg = kind in ("MP3", "MPEG") or (kind is None and ext == ".mp3")
    if mpeg and (first := mp3_first_frame(path)) is not None \
            and first > max(start, mp3_audio_start(path)):
        # Bytes that are no frame before the first ones: libmpg123 gives up after 64 KiB
        # of them (with a line on standard error) and FFmpeg estimates the length from them.
        start = first
    if kind == "MP4" and (index := mp4_index_cut(path, start)) is not None:
        raise CorruptFileError(path, (
            "the file is cut short within its MP4 index (the moov atom at its end, which "
            "says where the audio is): no audio can be read" if index == "cut" else
            "the file is cut short, or its recording was never finished: its MP4 index "
            "(the moov atom, which says where the audio is, and which this file would hold "
            "after its audio) is missing; no audio can be read"))
    if kind == "CAF" and (frames := caf_pcm_frames(path)) is not None:
        notice = _check_cut_short(path, *frames, rate=_caf_rate(head))
    pieces = caf_described_first(path) if kind == "CAF" else after_tag
    if pieces is not None and kind == "CAF":
        # Decoders read a CAF's chunks in order and need its description before its audio:
        # they are shown the chunks in the order the format requires.
        notice = ("its audio description (the 'desc' chunk) comes after its audio data "
                  "(the 'data' chunk), where a CAF file must hold it first: read with the "
                  "description put first")
    if kind == "OGG" and (damage := ogg_damage(path)) is not None:
        if damage.cut_short and damage.at_page_end:
            # Whole pages up to the end: a recording of a live stream ends so, as does a
            # copy cut where a page ends.  What is there is read, and the note says so.
            notice = (f"its Ogg stream ends at {fmt_time(damage.seconds)} without its last "
                      "page (cut short, or recorded from a live stream): read up to there")
        elif damage.cut_short and damage.announced is not None:
            raise CorruptFileError(
                path, f"the file is cut short: its audio ends at {fmt_time(damage.seconds)} "
                      f"but its last page announces {fmt_time(damage.announced)}")
        elif damage.cut_short:
            raise CorruptFileError(
                path, f"the file is cut short: its audio ends at {fmt_time(damage.seconds)}, "
                      "before the page that ends its Ogg stream")
        else:
            raise CorruptFileError(path, f"the audio data is damaged at "
                                         f"{fmt_time(damage.seconds)} ({damage.detail})")
    packets = sv8_packets(path, start=after_tag[0][0] if after_tag else 0) \
        if kind == "MPC" else None
    if packets is not None and packets.damaged:
        raise CorruptFileError(path, f"the audio data is damaged at "
                                     f"{fmt_time(packets.seconds)} ({packets.damaged})")
    if packets is not None and packets.cut_short:
        if packets.stated_seconds - packets.seconds > _MISSING_TAIL_S:
            raise CorruptFileError(
                path, f"the file is cut short: the audio ends at {fmt_time(packets.seconds)} "
                      f"but its header announces {fmt_time(packets.stated_seconds)}")
        notice = ("the packets that end its Musepack stream are missing (the file is cut "
                  "short after its audio): read up to there")
    reasons = []
    length = None  # the audio's length (s) when its header states another
    stated = False  # that length is the header's, and the audio falls short of it
    # A file named .mp3 with no MPEG frames in its first 256 KiB is not shown to
    # libsndfile: libmpg123 would give up on it with a line on standard error.
    no_frames = kind is None and ext == ".mp3" and not has_mpeg_frames(path)
    by_content = kind in _LIBSNDFILE_CONTENT and not (kind in ("MP3", "MPEG") and ext == ".mp2")
    if (ext not in PYAV_EXTENSIONS or by_content) and kind not in _NOT_LIBSNDFILE \
            and not no_frames:
        try:
            return _noted(_probe_soundfile(path, kind, start, pieces or ()), notice)
        except (sf.SoundFileError, _NotDecodable, RuntimeError, OSError) as exc:
            reasons.append(str(exc))
            notice = "; ".join(filter(None, (notice, getattr(exc, "notice", ""))))
            length = getattr(exc, "seconds", None)
            stated = getattr(exc, "stated", False)
    try:
        info = _probe_pyav(path, start, kind, pieces or ())
        if info.format in _MP4_FORMATS:
            edits = audio_edit_list(path, start)
            notice = "; ".join(filter(None, (notice, edit_list_notice(edits))))
            if len(info.parts) < 2 and (cuts := edit_cuts(edits, info.sample_rate)):
                frames = sum(count for _, count in cuts)
                info = dataclasses.replace(info, cuts=cuts, frames=frames,
                                           duration_s=frames / info.sample_rate)
        if kind == "APE" and info.length_stated and size >= (
                ape_frames_end(path, start=after_tag[0][0] if after_tag else 0) or size + 1):
            info = dataclasses.replace(info, data_complete=True)
        if packets is not None:  # FFmpeg states the length in whole packets (6.69 s of 8 s)
            info = dataclasses.replace(info, frames=packets.samples, length_stated=True,
                                       duration_s=packets.stated_seconds)
        if length is not None and len(info.parts) < 2:  # FFmpeg takes the header's word
            info = dataclasses.replace(info, duration_s=length,
                                       frames=round(length * info.sample_rate),
                                       length_stated=stated)
        return _noted(info, notice)
    except _NotDecodable as exc:
        reasons.append(str(exc))
    except (OSError, ValueError, RuntimeError, struct.error) as exc:
        raise CorruptFileError(path, f"the file cannot be decoded ({exc})") from None
    except CorruptFileError:
        if packets is not None and packets.cut_short:
            # FFmpeg starts from the seek table that follows the audio, and reads nothing
            # of a file that lost it.
            raise CorruptFileError(
                path, "the file is cut short after its audio: the packets that end its "
                      "Musepack stream are missing (its seek table among them, without "
                      "which FFmpeg reads none of it)") from None
        raise
    _log.debug("no decoder could open %s: %s", path, "; ".join(reasons))
    if tag is not None and tag.stated_end > size and not only_id3_tags(path, head):
        raise CorruptFileError(
            path, f"its ID3 tag states a size of {_bytes(tag.stated_end - 10)}, more than the "
                  f"whole file ({_bytes(size)}), and no MPEG audio follows its "
                  f"{tag.count} frame{'s' if tag.count != 1 else ''}")
    if kind == "MP3" and only_id3_tags(path, head):
        raise EmptyFileError(path, "the file holds only an ID3 tag (title, artist, pictures), "
                                   "no audio")
    if kind == "AIFF" and (compression := aifc_compression(path)) is not None \
            and compression[0] not in _AIFC_READ:
        code, name = compression
        raise UnsupportedFormatError(
            path, f"no decoder reads its audio: AIFF-C compressed as {code!r}"
                  + (f" ({name})" if name else ""))
    if kind == "WAV" and (stated := wav_format(path)) is not None and 0 in stated[1:]:
        # Neither decoder opens a header stating no channels or no sample rate.
        _, channels, rate = stated
        raise CorruptFileError(path, f"its header is damaged: it states {channels} "
                                     f"channel{'s' if channels != 1 else ''} at {rate} Hz")
    if kind == "CAF" and (desc := caf_desc_after_data(path)) is not None:
        # Decoders read a CAF's chunks in order and need its description before its audio.
        raise CorruptFileError(path, (
            "its audio data (the 'data' chunk) comes before its audio description (the "
            "'desc' chunk, which a CAF file must hold first): no decoder reads it"
            if desc == "after" else
            "its audio data (the 'data' chunk) comes before any audio description (the "
            "'desc' chunk, which a CAF file must hold first): no decoder reads it"))
    if kind is not None:
        raise CorruptFileError(
            path, f"the file looks like {kind} audio but cannot be decoded: its header or data "
                  "is damaged")
    if ext:
        raise CorruptFileError(
            path, f"the file is named as audio ({ext}) but no decoder recognizes its content: "
                  "it is damaged, or not audio at all")
    raise UnsupportedFormatError(path, "no decoder recognizes this file as audio")


def _adts_after(path: str, pos: int) -> int | None:
    """Where raw AAC (ADTS frames) starts at ``pos`` or after the zeros there (the padding
    of an ID3 tag), or None."""
    try:
        with open(path, "rb") as fh:
            fh.seek(pos)
            data = fh.read(64 * 1024)
    except OSError:
        return None
    skip = len(data) - len(data.lstrip(b"\x00"))
    return pos + skip if sniff(data[skip:])[0] == "AAC" else None


#: Kinds (:func:`~core.analysis.sniff.sniff`) read after an ID3 tag written in front of
#: them, and their names in the note that says so.
_AFTER_ID3 = {"APE": "Monkey's Audio", "MPC": "Musepack", "WAVPACK": "WavPack"}


def _head_at(path: str, pos: int) -> bytes:
    """The first bytes (up to 64, what :func:`~core.analysis.sniff.sniff` reads) from ``pos``
    on; none when the file cannot be read."""
    try:
        with open(path, "rb") as fh:
            fh.seek(pos)
            return fh.read(64)
    except OSError:
        return b""


def _bytes(n: int) -> str:
    """A size in bytes as a reader takes it in: ``268 MB``, ``75 kB``, ``300 bytes``."""
    if n >= 1_000_000:
        return f"{n / 1e6:.0f} MB"
    if n >= 1000:
        return f"{n / 1e3:.0f} kB"
    return f"{n} bytes"


def _noted(info: AudioInfo, notice: str) -> AudioInfo:
    """``info`` whose note also says ``notice`` (before what the back end noted)."""
    if not notice:
        return info
    return dataclasses.replace(info, notice="; ".join(filter(None, (notice, info.notice))))


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
        check_path(path)
        check_parameters(path, info.sample_rate, info.channels, info.codec)
    block_frames = max(1, round(block_seconds * info.sample_rate))
    if info.backend == "soundfile":
        if info.format == "FLAC":
            return flac_blocks(path, info, block_frames)
        return soundfile_blocks(path, info, block_frames)
    return pyav_blocks(path, info, block_frames)
