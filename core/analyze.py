"""Analyze one song: decode it chunk by chunk and compute every descriptor.

(Being assembled; the signature below is fixed.)
"""

from __future__ import annotations

from core.result import SongResult
from core.settings import AnalysisSettings

__all__ = ["analyze_file"]


def analyze_file(path, *, settings: AnalysisSettings | None = None, progress=None,
                 should_cancel=None) -> SongResult:
    """Analyze one audio file in the calling thread.

    Parameters
    ----------
    path : str or os.PathLike
        The audio file.
    settings : AnalysisSettings, optional
        Analysis sample rate and chunk length.
    progress : callable, optional
        Called as ``progress(chunk_done, n_chunks, duration_s)`` after each chunk.
    should_cancel : callable, optional
        Polled between chunks; when it returns true, :class:`core.errors.AnalysisCancelled`
        is raised.

    Returns
    -------
    SongResult
        ``status`` is ``"done"``.  A silent or too-short file is done with tempo and key left
        empty and the reason in ``error``.

    Raises
    ------
    core.errors.AudioFileError
        Unreadable, unsupported, empty, too short or corrupt file.
    core.errors.AnalysisCancelled
        When ``should_cancel`` returned true.
    """
    raise NotImplementedError
