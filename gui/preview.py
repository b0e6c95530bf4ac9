"""Audio preview of a song: a short excerpt, decoded by SongCal's own decoder off the GUI
thread and played through PortAudio (the ``sounddevice`` package).

Why sounddevice and not QtMultimedia: the window ships PySide6-Essentials only, which has
no QtMultimedia (it is in PySide6-Addons, a much larger wheel that would add its own FFmpeg
next to PyAV's); sounddevice is a small pure-Python binding whose Windows and macOS wheels
carry PortAudio (a few hundred KB) and which uses the system's ``libportaudio2`` on Linux.
Decoding goes through :func:`core.analysis.decode.stream`, so every format the analyzer
reads can be previewed.  Where no audio output exists (no PortAudio library, no device, a
server without sound), :func:`output_problem` says so in plain words and nothing plays.
"""

from __future__ import annotations

import logging
import os

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

__all__ = ["AudioPreview", "read_excerpt", "output_problem", "SounddeviceOutput",
           "EXCERPT_S"]

log = logging.getLogger(__name__)

#: Length (s) of a preview.
EXCERPT_S = 20.0
#: Most samples (frames times channels) in a block read for the excerpt: 5 s of stereo at
#: 48 kHz.  A file of 64 channels at 384 kHz is read in blocks of 0.02 s, not 5 s (491 MB
#: each, and the blocks of the excerpt were kept whole for their first two channels).
_BLOCK_SAMPLES = 5 * 48_000 * 2


def read_excerpt(path, *, seconds: float = EXCERPT_S) -> tuple[np.ndarray, int]:
    """``seconds`` of a song from a quarter into it (at most 30 s in), as float32 frames
    (at most two channels, within full scale: NaN and infinite samples are silence) and the
    sample rate (Hz).

    Parameters
    ----------
    path : str or os.PathLike
        The audio file.
    seconds : float
        Length of the excerpt (s).

    Returns
    -------
    tuple of (numpy.ndarray, int)

    Raises
    ------
    core.errors.AudioFileError
        When the file cannot be decoded (the reason names the file).
    """
    from core.analysis.decode import probe, stream

    info = probe(os.fspath(path))
    start_s = min(30.0, 0.25 * (info.duration_s or 0.0))
    skip = int(start_s * info.sample_rate)
    want = int(seconds * info.sample_rate)
    parts, have = [], 0
    block_s = min(5.0, max(0.01, _BLOCK_SAMPLES / (info.sample_rate * max(1, info.channels))))
    for block in stream(path, block_seconds=block_s, info=info):
        if skip >= len(block):
            skip -= len(block)
            continue
        block = block[skip:]
        skip = 0
        parts.append(np.array(block[:, :2]))  # a copy: the block's other channels go
        have += len(block)
        if have >= want:
            break
    frames = np.concatenate(parts)[:want] if parts else np.zeros((0, 1), np.float32)
    # A damaged float file can hold NaN or samples far past full scale: never send those to
    # the speakers.  Invalid samples are silence and the rest is held within full scale.
    frames = np.clip(np.nan_to_num(frames, nan=0.0, posinf=0.0, neginf=0.0), -1.0, 1.0)
    return np.ascontiguousarray(frames, dtype=np.float32), int(info.sample_rate)


class SounddeviceOutput:
    """Plays frames through the default output device with ``sounddevice``."""

    def __init__(self):
        import sounddevice

        self._sd = sounddevice

    def problem(self) -> str | None:
        """Why nothing can be played (plain words), or None."""
        try:
            self._sd.query_devices(kind="output")
        except Exception as err:  # no device, no host API, a server without sound
            return f"No audio output device was found ({err}). Connect speakers or headphones."
        return None

    def play(self, frames: np.ndarray, rate: int) -> None:
        """Start playing (returns at once)."""
        self._sd.play(frames, rate)

    def stop(self) -> None:
        """Stop playing."""
        self._sd.stop()


def output_problem(output=None) -> str | None:
    """Why audio cannot be played on this machine (plain words), or None when it can.

    Parameters
    ----------
    output : object, optional
        An output with a ``problem()`` method (default: :class:`SounddeviceOutput`).
    """
    if output is None:
        try:
            output = SounddeviceOutput()
        except ImportError:
            return ("Audio preview needs the sounddevice package (pip install sounddevice).")
        except OSError as err:  # sounddevice is there, the PortAudio library is not
            return (f"Audio preview needs the PortAudio library ({err}); on Debian or Ubuntu "
                    "install libportaudio2.")
    return output.problem()


class AudioPreview(QObject):
    """Plays an excerpt of one song at a time.

    Parameters
    ----------
    run_task : callable
        ``run_task(fn, on_done)`` runs ``fn`` off the GUI thread and calls
        ``on_done(result, error)`` in it (the engine's :meth:`~gui.engine.BatchEngine.run_task`).
    output : object, optional
        Where frames are played (``play(frames, rate)``, ``stop()``, ``problem()``); by
        default :class:`SounddeviceOutput`, made on first use.
    parent : QObject, optional

    Signals
    -------
    started(str)
        A preview of the path began.
    stopped()
        The preview ended or was stopped.
    failed(str)
        Nothing plays, and why (no device, an undecodable file...).
    """

    started = Signal(str)
    stopped = Signal()
    failed = Signal(str)

    def __init__(self, run_task, *, output=None, parent=None):
        super().__init__(parent)
        self._run_task = run_task
        self._output = output
        self.playing: str | None = None
        self._request = 0
        self._end = QTimer(self)
        self._end.setSingleShot(True)
        self._end.timeout.connect(self._ended)

    def _device(self):
        if self._output is None:
            problem = output_problem()
            if problem is not None:
                return None, problem
            self._output = SounddeviceOutput()
        problem = self._output.problem()
        return (None, problem) if problem else (self._output, None)

    def toggle(self, path: str) -> None:
        """Play an excerpt of ``path``, or stop when it is the one playing."""
        if self.playing == path:
            self.stop()
            return
        self.stop()
        output, problem = self._device()
        if output is None:
            self.failed.emit(problem)
            return
        self._request += 1
        request = self._request
        name = os.path.basename(path)

        def done(result, error):
            if request != self._request:
                return  # another preview was asked for meanwhile
            if error:
                self.failed.emit(f"Cannot preview {name}: {getattr(error, 'reason', error)}")
                return
            frames, rate = result
            if len(frames) == 0:
                self.failed.emit(f"Cannot preview {name}: no audio in it")
                return
            try:
                output.play(frames, rate)
            except Exception as err:  # the device went away, or refused the format
                self.failed.emit(f"Cannot play {name}: {err}")
                return
            self.playing = path
            self._end.start(int(1000 * len(frames) / rate) + 200)
            self.started.emit(path)

        self._run_task(lambda: read_excerpt(path), done)

    def stop(self) -> None:
        """Stop the preview playing (if any)."""
        self._request += 1
        if self.playing is not None:
            try:
                self._output.stop()
            except Exception:  # stopping a device that went away
                log.debug("stopping the preview failed", exc_info=True)
            self._ended()

    def _ended(self) -> None:
        self._end.stop()
        if self.playing is not None:
            self.playing = None
            self.stopped.emit()
