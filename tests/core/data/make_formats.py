"""Write the small Monkey's Audio, Musepack and AMR files the decoding tests read.

CI has none of these encoders, so the files are kept in this folder; this script says how
they were made, and makes them again on a machine that has the encoders::

    apt-get install musepack-tools libjmac-java default-jre-headless libvo-amrwbenc0
    python tests/core/data/make_formats.py

The song is 8 s (9.5 s in Monkey's Audio) of :func:`benchmarks.synth.render_song` in its rock style (drums, bass and
chords) at 120 BPM in A minor, mixed to mono, written as 16-bit PCM at each rate the
encoders want and handed to them:

- ``rock_120_a_minor.ape``: Monkey's Audio (high compression) by jmac, the Java encoder
  Debian ships, from 9.5 s of a stereo 8 kHz WAV (both channels alike: jmac's mono files
  come out larger than the PCM);
- ``rock_120_a_minor.mpc``: Musepack SV8 by ``mpcenc --quality 2``, from a mono 44.1 kHz
  WAV (SV8 is all mpcenc writes; no SV7 encoder is packaged);
- ``rock_120_a_minor_nb.amr``: AMR narrow band at 12.2 kbit/s by OpenCORE's encoder in
  PyAV's FFmpeg, from mono 8 kHz;
- ``rock_120_a_minor.awb``: AMR wide band at 23.85 kbit/s by VisualOn's encoder
  (libvo-amrwbenc, called through ctypes), from mono 16 kHz;
- ``paused_dtx_nb.amr`` and ``paused_dtx.awb``: the same two with digital silence over
  :data:`PAUSES`, encoded with discontinuous transmission (DTX) on.
"""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))

from benchmarks.synth import render_song  # noqa: E402
from core.io.keynotation import Key  # noqa: E402

SECONDS, BPM, KEY = 8.0, 120.0, Key(9, "minor")


#: Stretches (s) of digital silence in the AMR files encoded with discontinuous transmission
#: (DTX, as phones record speech), which code them as comfort noise and no data.
PAUSES = ((0.0, 1.0), (4.0, 5.5))
#: Length (s) of the Monkey's Audio file: its frames hold 73,728 samples, so that at 8 kHz
#: it holds two, and damage in the first is told from a file cut short.
APE_SECONDS = 9.5


def song(sr: int, seconds: float = SECONDS) -> np.ndarray:
    """The song at ``sr`` (Hz), mono float32, peaking at 0.9."""
    y = render_song(bpm=BPM, key=KEY, seconds=seconds, sr=sr, seed=3, style="rock")
    y = y.mean(axis=1)
    return (0.9 * y / np.max(np.abs(y))).astype(np.float32)


def pcm(sr: int, seconds: float = SECONDS) -> np.ndarray:
    """:func:`song` as 16-bit samples."""
    return np.round(song(sr, seconds) * 32767).astype(np.int16)


def write_ape(out: Path, tmp: Path) -> None:
    wav = tmp / "ape.wav"
    y = pcm(8000, APE_SECONDS)
    sf.write(wav, np.stack([y, y], axis=1), 8000, subtype="PCM_16")
    subprocess.run(["java", "-jar", "/usr/share/java/jmac.jar", "c3", str(wav), str(out)],
                   check=True, stdout=subprocess.DEVNULL)


def write_mpc(out: Path, tmp: Path) -> None:
    wav = tmp / "mpc.wav"
    sf.write(wav, pcm(44100), 44100, subtype="PCM_16")
    subprocess.run(["mpcenc", "--silent", "--overwrite", "--quality", "2", str(wav), str(out)],
                   check=True)


def paused(y: np.ndarray, sr: int) -> np.ndarray:
    """``y`` with digital silence over :data:`PAUSES`."""
    y = y.copy()
    for start, end in PAUSES:
        y[round(start * sr):round(end * sr)] = 0
    return y


def write_amr_nb(out: Path, *, dtx: bool = False) -> None:
    import av

    y = paused(pcm(8000), 8000) if dtx else pcm(8000)
    with av.open(os.fspath(out), "w", format="amr") as container:
        stream = container.add_stream("libopencore_amrnb", rate=8000, layout="mono")
        stream.bit_rate = 12200
        if dtx:
            stream.codec_context.options = {"dtx": "1"}
        for start in range(0, len(y), 1600):
            frame = av.AudioFrame.from_ndarray(y[start:start + 1600].reshape(1, -1),
                                               format="s16", layout="mono")
            frame.sample_rate = 8000
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)


def write_amr_wb(out: Path, *, dtx: bool = False) -> None:
    lib = ctypes.CDLL("libvo-amrwbenc.so.0")
    lib.E_IF_init.restype = ctypes.c_void_p
    lib.E_IF_encode.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p,
                                ctypes.c_void_p, ctypes.c_int]
    lib.E_IF_exit.argtypes = [ctypes.c_void_p]
    y = paused(pcm(16000), 16000) if dtx else pcm(16000)
    y = np.pad(y, (0, -len(y) % 320))  # frames of 20 ms
    state = lib.E_IF_init()
    frame_out = (ctypes.c_ubyte * 64)()
    data = bytearray(b"#!AMR-WB\n")
    for start in range(0, len(y), 320):
        block = np.ascontiguousarray(y[start:start + 320])
        # mode 8: 23.85 kbit/s
        n = lib.E_IF_encode(state, 8, block.ctypes.data, frame_out, int(dtx))
        data += bytes(frame_out[:n])
    lib.E_IF_exit(state)
    out.write_bytes(bytes(data))


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        write_ape(HERE / "rock_120_a_minor.ape", Path(tmp))
        write_mpc(HERE / "rock_120_a_minor.mpc", Path(tmp))
    write_amr_nb(HERE / "rock_120_a_minor_nb.amr")
    write_amr_wb(HERE / "rock_120_a_minor.awb")
    write_amr_nb(HERE / "paused_dtx_nb.amr", dtx=True)
    write_amr_wb(HERE / "paused_dtx.awb", dtx=True)


if __name__ == "__main__":
    main()
