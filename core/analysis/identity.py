"""Which analyzer made a result: a short hash of the analysis code, its model and its libraries.

SongCal's version string names a release, but two builds can share one while their analysis
differs (a development checkout, a build from a later commit).  A stored result must never
be served to a batch whose analyzer would answer otherwise, and a calibration profile fitted
on one analyzer's answers does not correct another's.  :func:`analyzer_id` therefore hashes
what decides the results:

- the compiled code of every module the analysis runs (:data:`ANALYSIS_MODULES`): its
  bytecode, constants and names, recursively through nested functions and classes, but not
  file names or line numbers, so a moved install or a reflowed comment keeps the id while
  any change to what the code does changes it;
- the model the tempo decision reads (``tempo_trees.json``);
- the Python version and the versions of the numerical and decoding libraries.

The id is computed once per process (under a tenth of a second) and is the same in every process
that runs the same build.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import importlib.util
import os
import platform
import types

__all__ = ["ANALYSIS_MODULES", "LIBRARIES", "analyzer_id", "code_coverage", "code_digest",
           "made_by_another_build"]

#: Every module whose code decides an analysis result (a test keeps this list complete:
#: each module of ``core.analysis`` and every ``core`` module they import, except
#: ``core.settings``, whose values that change a result the settings' fingerprint holds).
ANALYSIS_MODULES = (
    "core.analysis",
    "core.analysis.amrframes",
    "core.analysis.analyze",
    "core.analysis.apeframes",
    "core.analysis.beatevidence",
    "core.analysis.blocks",
    "core.analysis.decode",
    "core.analysis.descriptors",
    "core.analysis.features",
    "core.analysis.identity",
    "core.analysis.key",
    "core.analysis.joined",
    "core.analysis.keyevidence",
    "core.analysis.loops",
    "core.analysis.loudness",
    "core.analysis.mp3frames",
    "core.analysis.mp4edits",
    "core.analysis.mpcpackets",
    "core.analysis.oggpages",
    "core.analysis.periodicity",
    "core.analysis.sniff",
    "core.analysis.tempo",
    "core.analysis.timesig",
    "core.analysis.trees",
    "core.errors",
    "core.io.id3",
    "core.io.inputs",
    "core.io.keynotation",
    "core.io.results",
    "core.io.tags",
)

#: Distributions whose version can change an answer (decoding, resampling, filters, FFTs).
LIBRARIES = ("numpy", "scipy", "soxr", "librosa", "miniaudio", "soundfile", "av", "mutagen")


def _const_text(value) -> str:
    """A text of a constant that is the same in every process (the order of a frozenset's
    members follows string hashing, which differs from run to run)."""
    if isinstance(value, frozenset | set):
        return "{" + ",".join(sorted(_const_text(v) for v in value)) + "}"
    if isinstance(value, tuple):
        return "(" + ",".join(_const_text(v) for v in value) + ")"
    return f"{type(value).__name__}:{value!r}"


def _feed_code(h, code: types.CodeType) -> None:
    h.update(code.co_code)
    h.update(repr((code.co_name, code.co_argcount, code.co_posonlyargcount,
                   code.co_kwonlyargcount, code.co_flags, code.co_names, code.co_varnames,
                   code.co_freevars, code.co_cellvars)).encode())
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            _feed_code(h, const)
        else:
            h.update(_const_text(const).encode())


def code_digest(code: types.CodeType) -> str:
    """Hex digest of what a compiled module (or function) does: its bytecode, constants and
    names through every nested code object; file name and line numbers are left out."""
    h = hashlib.blake2b(digest_size=16)
    _feed_code(h, code)
    return h.hexdigest()


def _module_code(name: str) -> types.CodeType | None:
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):  # a stand-in module without a spec
        return None
    loader = getattr(spec, "loader", None) if spec is not None else None
    get_code = getattr(loader, "get_code", None)
    if get_code is None:
        return None
    try:
        return get_code(name)
    except (ImportError, OSError):
        return None


def _library_version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "-"


def analyzer_id() -> str:
    """12 hex digits naming this build of the analyzer (see the module's description).

    A module whose compiled code cannot be read (a loader without ``get_code``) enters by
    its name alone, which keeps the id stable for that build; :func:`code_coverage` says
    how many were read.
    """
    return _identity()[0]


def made_by_another_build(result) -> bool:
    """True for an analyzed result (a :class:`core.io.results.SongResult` that is done)
    that another build of the analyzer made, or one made before builds were named: its
    values may differ from what this build would give."""
    return result is not None and result.status == "done" and result.analyzer != analyzer_id()


def code_coverage() -> tuple[int, int]:
    """(modules whose compiled code entered the id, modules in :data:`ANALYSIS_MODULES`)."""
    return _identity()[1], len(ANALYSIS_MODULES)


#: The tempo decision's model (``core.analysis.tempo.TREES_PATH``, named here without
#: importing the numerical libraries).
_TREES_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tempo_trees.json")


@functools.cache
def _identity() -> tuple[str, int]:
    h = hashlib.blake2b(digest_size=16)
    read = 0
    for name in ANALYSIS_MODULES:
        code = _module_code(name)
        read += code is not None
        h.update(f"{name}={code_digest(code) if code is not None else '?'};".encode())
    try:
        with open(_TREES_PATH, "rb") as f:
            h.update(hashlib.blake2b(f.read(), digest_size=16).digest())
    except OSError:
        h.update(b"no tempo model")
    h.update(f"python={platform.python_implementation()} {platform.python_version()};".encode())
    for dist in LIBRARIES:
        h.update(f"{dist}={_library_version(dist)};".encode())
    return h.hexdigest()[:12], read
