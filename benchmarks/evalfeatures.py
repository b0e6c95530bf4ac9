"""Frame features of audio for the fitting scripts, cached as ``.npz`` files.

The features are those :func:`core.analysis.analyze.analyze_file` computes: the mono mix
resampled to 22050 Hz with soxr, through :class:`core.analysis.features.FeatureStream` in
30 s chunks.  A cached entry keeps the onset bands, chroma, bass chroma, both frame rates
and the chunk boundaries.
"""

from __future__ import annotations

import os

import numpy as np

__all__ = ["ANALYSIS_SR", "features_of_audio", "cached_features", "Cached"]

ANALYSIS_SR = 22050


def features_of_audio(mono: np.ndarray, sr: int, *, chunk_s: float = 30.0):
    """A finished FeatureStream of a mono signal at ``sr`` Hz, chunks marked every ``chunk_s``."""
    import soxr

    from core.analysis.features import FeatureStream

    res = soxr.ResampleStream(sr, ANALYSIS_SR, 1, dtype="float32", quality="HQ")
    fs = FeatureStream(ANALYSIS_SR)
    step = int(chunk_s * sr)
    for i in range(0, len(mono), step):
        fs.process(res.resample_chunk(np.ascontiguousarray(mono[i : i + step], dtype=np.float32),
                                      last=i + step >= len(mono)))
        fs.mark_chunk()
    return fs.finish()


class Cached:
    """The arrays of a cached FeatureStream, with the attributes the estimators read."""

    def __init__(self, d):
        self.onset_bands = d["bands"]
        self.chroma = d["chroma"]
        self.bass_chroma = d["bass"]
        self.frame_rate = float(d["fr"])
        self.pitch_frame_rate = float(d["pfr"])
        self._chunks = [tuple(int(v) for v in c) for c in d["chunks"]]

    def chunk_frames(self, *, grid: str = "onset"):
        if grid == "onset":
            return list(self._chunks)
        r = self.pitch_frame_rate / self.frame_rate
        return [(int(round(a * r)), int(round(b * r))) for a, b in self._chunks]


def cached_features(path: str, cache_dir: str) -> Cached:
    """Features of an audio file, computed once and kept in ``cache_dir``."""
    name = os.path.splitext(os.path.basename(path))[0] + ".npz"
    out = os.path.join(cache_dir, name)
    if not os.path.exists(out):
        import soundfile as sf

        y, sr = sf.read(path, dtype="float32", always_2d=True)
        fs = features_of_audio(y.mean(axis=1), sr)
        os.makedirs(cache_dir, exist_ok=True)
        tmp = out + ".tmp.npz"
        np.savez(tmp, bands=fs.onset_bands, chroma=fs.chroma, bass=fs.bass_chroma,
                 fr=fs.frame_rate, pfr=fs.pitch_frame_rate,
                 chunks=np.array(fs.chunk_frames(), dtype=np.int64).reshape(-1, 2))
        os.replace(tmp, out)
    with np.load(out) as d:
        return Cached({k: d[k] for k in d.files})
