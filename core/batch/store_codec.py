"""How the session store writes results and file names into SQLite and reads them back.

A result is stored as JSON (NaN and infinities as null, as an empty CSV cell); a file name
as the bytes the operating system gave (``os.fsencode``), so any name round-trips.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import operator
import os

from core.errors import SongCalError
from core.io.results import ChunkResult, SongResult

__all__ = ["StoreError"]  # and helpers of core.batch.store and core.batch.store_sessions


def _path_blob(path) -> bytes:
    return os.fsencode(path)


def _path_text(value) -> str:
    return os.fsdecode(value) if isinstance(value, bytes) else str(value)


def _finite(value):
    """JSON-safe copy: NaN and infinities become None (as in the CSV: an empty cell)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def _encode(result: SongResult) -> str:
    # ensure_ascii: a file name that is not valid UTF-8 (lone surrogates) is escaped as
    # \udcXX and read back exactly.
    return json.dumps(_finite(dataclasses.asdict(result)), ensure_ascii=True,
                      allow_nan=False)


#: Result fields that hold a number (or None), and every field of a result.
_NUMBER_FIELDS = tuple(f.name for f in dataclasses.fields(SongResult)
                       if str(f.type) in ("float | None", "int | None"))
_FIELDS = frozenset(f.name for f in dataclasses.fields(SongResult))
_numbers_of = operator.itemgetter(*_NUMBER_FIELDS)
_NUMBER_KINDS = frozenset({type(None), int, float})

#: Every field of a result at its default, in the fields' order (the path and the chunks
#: are always given): what :func:`_result_of` starts a result from.
_DEFAULTS = {f.name: None if f.default is dataclasses.MISSING else f.default
             for f in dataclasses.fields(SongResult)}
#: The dataclass's own ``__init__`` only sets each field (no ``__post_init__``, no slots,
#: not frozen; the defaults are None, text or bools, shared safely): a result may then be
#: made by filling its ``__dict__`` at once, about four times faster than through the
#: keywords of ``__init__`` for the forty fields of a row.
_FILLED = (not hasattr(SongResult, "__post_init__")
           and "__slots__" not in vars(SongResult)
           and not SongResult.__dataclass_params__.frozen
           and all(f.default_factory is dataclasses.MISSING or f.name == "chunk_results"
                   for f in dataclasses.fields(SongResult))
           and all(v is None or type(v) in (str, bool) for v in _DEFAULTS.values()))


def _result_of(data: dict, chunks: list) -> SongResult:
    """``SongResult(**data, chunk_results=chunks)`` for ``data`` holding only its fields."""
    if not _FILLED:
        return SongResult(**data, chunk_results=chunks)
    result = object.__new__(SongResult)
    fields = result.__dict__
    fields.update(_DEFAULTS)
    fields.update(data)
    fields["chunk_results"] = chunks
    return result


def _numbers_are_plain(data: dict) -> bool:
    """True when every number field of ``data`` is there and None, an int or a finite
    float, found in a few calls that loop in C; False means "look field by field" (a field
    missing, a bool, a string, an infinity, or numbers whose sum overflows)."""
    try:
        values = _numbers_of(data)
        return set(map(type, values)) <= _NUMBER_KINDS \
            and math.isfinite(sum(filter(None, values)))
    except (KeyError, OverflowError):
        return False


def _finite_number(value: int | float) -> bool:
    """True for a finite float or an int a float can hold (``math.isfinite`` raises
    OverflowError on a whole number beyond about 1.8e308, as a damaged row may hold)."""
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def _decode(text: str, *, any_status: bool = False) -> SongResult:
    """A stored result (a finished one unless ``any_status``); raises ValueError (or
    TypeError) when the row is damaged.

    Opening a list decodes every one of its results (20,000 for a long list), so the
    checks of a row whose numbers are all plain run in C (:func:`_numbers_are_plain`), and
    only a row that fails them is looked at field by field."""
    data = json.loads(text)
    if not isinstance(data, dict) or (data.get("status") != "done" and not any_status):
        raise ValueError("not a finished result")
    if data.get("status") == "done" and data.get("error") and not data.get("note"):
        data["note"], data["error"] = data["error"], ""  # stored before notes had a column
    chunks = [ChunkResult(**c) for c in data.pop("chunk_results", None) or []]
    if not _numbers_are_plain(data):
        for name in _NUMBER_FIELDS:
            v = data.get(name)
            if v is None:
                continue
            if isinstance(v, bool) or not isinstance(v, int | float) \
                    or not _finite_number(v):
                raise ValueError(f"{name} is not a number")
    if not isinstance(data.get("path"), str):
        raise ValueError("no path")
    if not data.keys() <= _FIELDS:
        data = {k: v for k, v in data.items() if k in _FIELDS}
    return _result_of(data, chunks)


class StoreError(SongCalError):
    """The session store cannot be opened or written; carries the path and the reason
    (``newer``: the file is a store of a newer SongCal, left untouched; ``read_only``: the
    file or its folder cannot be written)."""

    def __init__(self, path, reason: str, *, newer: bool = False, read_only: bool = False):
        self.path = os.fsdecode(path)
        self.reason = reason
        self.newer = newer
        self.read_only = read_only
        super().__init__(f"session store {self.path}: {reason}")


@contextlib.contextmanager
def immediate_transaction(db):
    """Run the block's statements on ``db`` as one write transaction, taken at once (``BEGIN
    IMMEDIATE``): committed at the end, rolled back on any exception, which goes on."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
