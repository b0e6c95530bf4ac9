"""Entry script of the frozen SongCal (PyInstaller needs a script, not an entry point).

It runs what the ``songcal`` console script runs, :func:`core.cli.main.main`, after two
things the ``python`` command does for an installed SongCal and a bundle's interpreter does
not:

- with no locale set, or the plain C or POSIX one (a service, ``env -i``, a bare
  container), ``LC_CTYPE`` is set to C.UTF-8, as Python's own start does (PEP 538): Qt
  would otherwise print four lines on every start of the window about switching to it;
- numba's cache is pointed at the user cache folder: inside a bundle librosa's compiled
  functions cannot be cached next to their (absent) source files, and the bundle's own
  folder may be read-only.
"""

import os
import sys


def _coerce_c_locale() -> None:
    if sys.platform == "win32" or os.environ.get("LC_ALL") \
            or os.environ.get("PYTHONCOERCECLOCALE") == "0":
        return
    ctype = os.environ.get("LC_CTYPE") or os.environ.get("LANG") or "C"
    if ctype not in ("C", "POSIX"):
        return
    import locale

    before = locale.setlocale(locale.LC_CTYPE)
    for name in ("C.UTF-8", "C.utf8", "UTF-8"):
        try:
            locale.setlocale(locale.LC_CTYPE, name)
        except locale.Error:
            continue
        os.environ["LC_CTYPE"] = name
        return
    locale.setlocale(locale.LC_CTYPE, before)


def _numba_cache() -> None:
    if "NUMBA_CACHE_DIR" in os.environ:
        return
    try:
        from core.paths import cache_dir

        os.environ["NUMBA_CACHE_DIR"] = cache_dir("numba")
    except OSError:  # no writable cache folder: numba then compiles on every start
        pass


if __name__ == "__main__":
    _coerce_c_locale()
    _numba_cache()
    from core.cli.main import main

    sys.exit(main())
