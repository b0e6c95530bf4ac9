"""Entry script of the frozen SongCal (PyInstaller needs a script, not an entry point).

It runs what the ``songcal`` console script runs, :func:`core.cli.main.main`, after pointing
numba's cache at the user cache folder: inside a bundle librosa's compiled functions cannot
be cached next to their (absent) source files, and the bundle's own folder may be read-only.
"""

import os
import sys


def _numba_cache() -> None:
    if "NUMBA_CACHE_DIR" in os.environ:
        return
    try:
        from core.paths import cache_dir

        os.environ["NUMBA_CACHE_DIR"] = cache_dir("numba")
    except OSError:  # no writable cache folder: numba then compiles on every start
        pass


if __name__ == "__main__":
    _numba_cache()
    from core.cli.main import main

    sys.exit(main())
