"""What the SongCal bundle carries in place of numba (app.spec; not installed anywhere else).

SongCal takes only the mel filter bank from librosa and never calls one of librosa's
compiled functions, but librosa imports numba's decorators when it loads, and numba with
llvmlite would add about 165 MB to a bundle that is otherwise about 330 MB.  This module
gives librosa the names it imports:

- ``jit`` and ``njit`` return the function itself: a nopython function is plain Python, so
  calling it gives the same result as the compiled one, only slower;
- ``vectorize``, ``guvectorize`` and ``stencil``, whose calls mean something else than a
  plain Python call, return functions that raise :class:`NumbaUnavailable` naming the
  function, so a future use fails loudly (the bundle's smoke test analyzes real songs)
  instead of computing something else;
- the scalar type names librosa uses as dtypes (``numba.uint32``...) are numpy's.

``SONGCAL_BUNDLE_NUMBA=1 scripts/build_bundle.sh`` bundles the real numba instead.
"""

import functools

import numpy as np

__version__ = "0+songcal.standin"
#: Marks this stand-in (``songcal doctor`` reports it).
SONGCAL_STANDIN = True

__all__ = ["jit", "njit", "vectorize", "guvectorize", "stencil", "prange", "NumbaUnavailable"]


class NumbaUnavailable(RuntimeError):
    """A compiled (vectorized) function was called in a bundle built without numba."""


def _decorator(wrap, args):
    if len(args) == 1 and callable(args[0]):  # used bare: @jit
        return wrap(args[0])
    return wrap  # used with options: @jit(nopython=True, cache=True)


def jit(*args, **_options):
    """Return the decorated function unchanged (it runs as plain Python)."""
    return _decorator(lambda fn: fn, args)


njit = jit
prange = range


def _unavailable(kind):
    def wrap(fn):
        @functools.wraps(fn)
        def missing(*_a, **_k):
            raise NumbaUnavailable(
                f"{fn.__module__}.{fn.__qualname__} is a numba {kind} function, and this "
                "SongCal bundle was built without numba (SONGCAL_BUNDLE_NUMBA=1 adds it)")

        return missing

    return wrap


def vectorize(*args, **_options):
    """Decorate a function whose calls raise :class:`NumbaUnavailable`."""
    return _decorator(_unavailable("vectorize"), args)


def guvectorize(*args, **_options):
    """Decorate a function whose calls raise :class:`NumbaUnavailable`."""
    return _decorator(_unavailable("guvectorize"), args)


def stencil(*args, **_options):
    """Decorate a function whose calls raise :class:`NumbaUnavailable`."""
    return _decorator(_unavailable("stencil"), args)


_TYPES = {name: getattr(np, name) for name in (
    "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
    "float32", "float64", "complex64", "complex128")}
_TYPES.update(boolean=np.bool_, bool_=np.bool_, uint=np.uint64, intp=np.intp,
              uintp=np.uintp)


def __getattr__(name):
    try:
        return _TYPES[name]
    except KeyError:
        raise AttributeError(f"module 'numba' (SongCal's stand-in) has no attribute "
                             f"{name!r}") from None
