"""A DSD file's own sample rate for the results an earlier build stored.

Builds before results gave a file's own rate stored, for 1-bit DSD (DSF, DSDIFF), the rate
it is read at as PCM (88,200 Hz; 352,800 before that) where this one gives the file's:
2,822,400 for DSD64, 5,644,800 for DSD128 (:attr:`core.analysis.decode.AudioInfo.file_rate`).
That rate is the one the file's header states, read from its first bytes
(:func:`core.analysis.sniff.dsd_stated_rate`), so a list kept in the session store shows it
without the songs being analyzed again.  Every other value of such a result is the
analysis's, unchanged.
"""

from __future__ import annotations

from core.analysis.identity import made_by_another_build
from core.analysis.sniff import dsd_stated_rate

__all__ = ["may_state_read_rate", "dsd_file_rates"]


def may_state_read_rate(result) -> bool:
    """True for a stored result of a DSD file that another build made (a
    :class:`core.io.results.SongResult`): its rate may be the one DSD is read at, not the
    file's.  The codec names it (``"DSF/DSD_LSBF_PLANAR"``, ``"IFF/DSD_MSBF"``)."""
    if not made_by_another_build(result):
        return False
    _container, _, codec = str(result.format or "").partition("/")
    return codec.upper().startswith("DSD_")


def dsd_file_rates(paths: dict, results: dict) -> dict[int, int]:
    """The rate each DSD file's header states, where its stored result says another.

    Parameters
    ----------
    paths : dict of int to str
        Position -> file.
    results : dict of int to SongResult
        Position -> the stored result of that file; only those
        :func:`may_state_read_rate` takes are looked at (one header read each).

    Returns
    -------
    dict of int to int
        Position -> the file's own rate (bits a second per channel), for the results whose
        ``sample_rate`` differs from it; a file gone or without a DSD header is left out.
    """
    rates = {}
    for i, result in results.items():
        if i not in paths or not may_state_read_rate(result):
            continue
        rate = dsd_stated_rate(paths[i])
        if rate and rate != result.sample_rate:
            rates[i] = rate
    return rates
