"""Files of gigabytes shown to a reader without writing them: their few parts held in memory
at their offsets, zeros between, and their size as the file's."""

from __future__ import annotations

import os


class HeldFile:
    """A file of ``size`` bytes, zeros but for ``parts`` (``{offset: bytes}``), that is never
    written: a file of gigabytes the reader walks without any on disk.  A read of more than
    1 MiB fails the test (the readers read headers, never a whole file)."""

    def __init__(self, size: int, parts: dict[int, bytes]):
        self.size, self.parts, self.pos = size, parts, 0

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        pass

    def seek(self, pos, whence=0):
        assert whence == 0 and pos >= 0
        self.pos = pos
        return pos

    def read(self, n=-1):
        assert 0 <= n <= 1 << 20
        end = min(self.size, self.pos + n)
        out = bytearray(max(0, end - self.pos))
        for at, data in self.parts.items():
            lo, hi = max(at, self.pos), min(at + len(data), end)
            if lo < hi:
                out[lo - self.pos:hi - self.pos] = data[lo - at:hi - at]
        self.pos = max(self.pos, end)
        return bytes(out)


def hold_file(monkeypatch, module, path: str, size: int, parts: dict[int, bytes]) -> None:
    """Make ``module``'s ``open(path, "rb")`` give a :class:`HeldFile` of ``size`` bytes
    holding ``parts``, and :func:`os.path.getsize` give ``size`` for ``path`` (other paths
    are the real files')."""
    def held_open(p, mode="r"):
        assert p == path and mode == "rb"
        return HeldFile(size, parts)

    monkeypatch.setattr(module, "open", held_open, raising=False)
    getsize = os.path.getsize
    monkeypatch.setattr(os.path, "getsize", lambda p: size if p == path else getsize(p))
