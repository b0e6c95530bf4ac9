"""Feature streams of test signals, shared by the tempo, key and accuracy tests."""

from __future__ import annotations

from core.analysis.features import FeatureStream

SR = 22050


def features_of(y, *, chunk_s: float | None = None, sr: int = SR) -> FeatureStream:
    """A finished FeatureStream of the mono signal ``y``, marked every ``chunk_s`` seconds."""
    fs = FeatureStream(sr)
    step = int(chunk_s * sr) if chunk_s else len(y) or 1
    for i in range(0, len(y), step):
        fs.process(y[i : i + step])
        fs.mark_chunk()
    return fs.finish()
