"""The content-true result cache in front of an analyze function.

A song's cache key is a fingerprint of its *content* (:func:`content_fingerprint`: BLAKE2b
of the file size and every byte) together with the settings that change results.  Every
byte counts: two songs of the same length whose first and last seconds are alike (silence
before and after, the same intro) are different songs, and a file edited in its middle is
another file.  It is taken before the analysis and again after it (where the file's device,
inode, size and modification and change times are as they were, and it was not written in
the two seconds before it was first looked at, the content is the same and is not read
again):

- same content, same settings: the stored result is used, whatever the file is called now
  or where it moved; its title and artist are read again from the tags and the name, so a
  retagged or renamed file shows its new identity;
- a file that changed while it was analyzed (replaced, still being written): the result is
  not stored and the song is analyzed once more; if it changes again, the song fails with
  that reason;
- anything else: analyzed, then handed to the store's writer; the song is reported done once
  the result is on disk, or after :attr:`~core.batch.store.ResultStore.ack_timeout_s`
  at most (a store in trouble is not waited for at all).
"""

from __future__ import annotations

import hashlib
import logging
import os
import stat
import time
from typing import TYPE_CHECKING

from core.errors import AnalysisCancelled, AudioFileError
from core.io.results import SongResult
from core.io.tags import read_title_artist

if TYPE_CHECKING:
    from collections.abc import Callable

    from core.batch.runner import AnalyzeFn
    from core.batch.store import ResultStore

__all__ = ["cached", "changed_since", "content_fingerprint", "fingerprint_and_inode", "inode_text",
           "still_holds", "untouched_since", "stored_result", "READ_BLOCK"]

log = logging.getLogger(__name__)

#: Bytes read at a time for a fingerprint.
READ_BLOCK = 1024 * 1024


def content_fingerprint(path) -> str | None:
    """A fingerprint of what a file holds: BLAKE2b (128 bits, hex) of its size and all its
    bytes (about a second per gigabyte once the file is in the page cache, far less than
    its analysis).

    Parameters
    ----------
    path : str or os.PathLike
        The file.

    Returns
    -------
    str or None
        The hex digest; None when the path is not a readable regular file (a FIFO or
        device is never opened for reading).
    """
    return fingerprint_and_inode(path)[0]


def inode_text(st: os.stat_result) -> str:
    """``"<device>:<inode>"`` of a file's status: which file it is, whatever its name."""
    return f"{st.st_dev}:{st.st_ino}"


def fingerprint_and_inode(path) -> tuple[str | None, str]:
    """:func:`content_fingerprint` of ``path`` and the file it read (:func:`inode_text`,
    taken from the very descriptor that was hashed); ``(None, "")`` when the path is not a
    readable regular file."""
    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode):
            return None, ""
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except (OSError, ValueError):
        return None, ""
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return None, ""
        h = hashlib.blake2b(digest_size=16)
        h.update(st.st_size.to_bytes(8, "little"))
        while block := os.read(fd, READ_BLOCK):
            h.update(block)
        return h.hexdigest(), inode_text(st)
    except OSError:
        return None, ""
    finally:
        os.close(fd)


#: A file last written this close (ns) to the moment it was first looked at may still change
#: within the same tick of the file system's clock, unseen by its timestamps.
_RACY_NS = 2_000_000_000


def _file_state(path) -> tuple | None:
    """What the file system says of a file's identity and last change (device, inode, size,
    modification and change times in ns), with the moment it was read; None when it cannot
    be read."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns), time.time_ns()


def _unchanged_since(state, path) -> bool:
    """Whether ``path`` is, by its timestamps, the file ``state`` (:func:`_file_state`)
    described, so that its content fingerprint then still holds.  Any write changes the
    change time, which no program can set back; a file written shortly before ``state`` was
    taken is never trusted this way (a second write within the clock's tick would leave
    its times as they were)."""
    if state is None:
        return False
    now = _file_state(path)
    if now is None or now[0] != state[0]:
        return False
    _dev, _ino, _size, mtime, ctime = state[0]
    return state[1] - max(mtime, ctime) > _RACY_NS


def untouched_since(path, since: float | None, inode: str = "") -> bool | None:
    """What the file system alone says of ``path`` since ``since`` (seconds since the epoch):
    True when it is still the file ``inode`` (:func:`inode_text`) and its modification and
    change times are both older (by the margin a write within the file system's clock tick
    needs), so it has not been written since; False when it is gone or no regular file;
    None when its times moved (touched, renamed, replaced, or no time known) or another
    file is at the path, or no ``inode`` is known: only its content can tell.

    Times alone cannot vouch for a file that was put at the path whole: a folder renamed
    into the place of another (``mv Album Album-old; mv Album-v2 Album``) or a link
    pointed elsewhere brings files whose times are as old as they were."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return False
    if not stat.S_ISREG(st.st_mode):
        return False
    if (since is not None and inode and inode == inode_text(st)
            and since * 1e9 - max(st.st_mtime_ns, st.st_ctime_ns) > _RACY_NS):
        return True
    return None


def still_holds(path, fingerprint: str, since: float | None, inode: str = "") -> bool:
    """Whether the file at ``path`` still holds the content whose fingerprint was taken at
    ``since`` (seconds since the epoch) from the file ``inode`` (see
    :attr:`core.io.results.SongResult.content`).

    The same file not written since (:func:`untouched_since`) is not read; one whose times
    moved, or another file, is hashed again and compared.  False when the file is gone or
    unreadable.
    """
    verdict = untouched_since(path, since, inode)
    if verdict is not None:
        return verdict
    return content_fingerprint(path) == fingerprint


def _checked(results: dict, n_paths: int):
    """(position, fingerprint, time, inode) of the results that name their content."""
    for i, result in sorted(results.items()):
        fingerprint = getattr(result, "content", "")
        since = getattr(result, "content_at", None)
        if not isinstance(fingerprint, str) or not fingerprint or not 0 <= i < n_paths:
            continue
        if not isinstance(since, int | float) or isinstance(since, bool):
            since = None
        inode = getattr(result, "content_inode", "")
        yield i, fingerprint, since, inode if isinstance(inode, str) else ""


def changed_since(paths, results: dict, *, read: bool = True,
                  renewed: dict | None = None) -> tuple[list[int], list[int]]:
    """Which songs' results were measured on content their file no longer holds.

    Parameters
    ----------
    paths : list of str
        The files, by position.
    results : dict
        Position -> :class:`~core.io.results.SongResult`.  A result without a fingerprint
        (made without a session store, or before results kept one) is not checked.
    read : bool, optional
        False: the file system's word only (:func:`untouched_since`), no file is read.
    renewed : dict, optional
        Filled with position -> ``(when it was read, inode)`` for each file read and found
        to hold the same content: named in its result (``content_at``,
        ``content_inode``), they let the next check trust the file's times again instead of
        reading it once more.

    Returns
    -------
    (list of int, list of int)
        Positions of the songs that changed, and (with ``read=False``) those whose times
        moved, for a later :func:`still_holds`.
    """
    changed, unsure = [], []
    for i, fingerprint, since, inode in _checked(results, len(paths)):
        verdict = untouched_since(paths[i], since, inode)
        if verdict is None and read:
            at = time.time()
            now, now_inode = fingerprint_and_inode(paths[i])
            verdict = now == fingerprint
            if verdict and renewed is not None:
                renewed[i] = (at, now_inode)
        if verdict is None:
            unsure.append(i)
        elif not verdict:
            changed.append(i)
    return changed, unsure


def stored_result(store: ResultStore, path: str, fingerprint: str, settings_fp: str):
    """The stored result of a file whose content has ``fingerprint``, named and titled as
    the file is now (tags and name read again), without any correction of the user's, or
    None; counts the hit in ``store.stats``."""
    hit = store.lookup(fingerprint, settings_fp)
    if hit is None:
        return None
    # (a store written before :meth:`ResultStore.save` left them out may hold them)
    hit.bpm_user = hit.key_user = hit.user_checked = None
    hit.path = path
    hit.source = "store"
    hit.title, hit.artist = read_title_artist(path)
    store.stats.hits += 1
    return hit


def cached(analyze: AnalyzeFn, store: ResultStore, *,
           force: Callable[[str], bool] = lambda path: False) -> AnalyzeFn:
    """Wrap an ``analyze`` function so songs already analyzed come from ``store``.

    Parameters
    ----------
    analyze : AnalyzeFn
        The analysis (:class:`core.batch.runner.AnalyzeFn`); the wrapper has the same shape.
    store : core.batch.store.ResultStore
        Where results are looked up and saved as each song finishes; its :attr:`stats`
        count the songs served from it.
    force : callable
        ``force(path) -> bool``: analyze afresh even when a stored result exists.

    Returns
    -------
    AnalyzeFn
        With the signature of ``analyze``.
    """

    def run(path, *, settings, progress=None, should_cancel=None):
        path = os.fspath(path)
        settings_fp = settings.fingerprint()
        state = _file_state(path)
        hashed_at = time.time()
        before, inode = fingerprint_and_inode(path)
        if before is None:  # not a readable regular file: the analyzer says why
            return analyze(path, settings=settings, progress=progress,
                           should_cancel=should_cancel)
        if not force(path):
            hit = stored_result(store, path, before, settings_fp)
            if hit is not None:
                hit.content, hit.content_at, hit.content_inode = before, hashed_at, inode
                if progress is not None:
                    progress(hit.chunks or 1, hit.chunks or 1, hit.duration_s)
                return hit
        for attempt in (1, 2):
            try:
                result = analyze(path, settings=settings, progress=progress,
                                 should_cancel=should_cancel)
            except AnalysisCancelled:
                raise
            except Exception:
                checked_at = time.time()
                after, after_inode = fingerprint_and_inode(path)
                if attempt == 1 and after is not None and after != before:
                    store.stats.changed += 1
                    log.warning("%s changed while it was analyzed; analyzing it again",
                                path)
                    before, inode, state, hashed_at = after, after_inode, None, checked_at
                    continue
                raise
            # Hashing every byte again is needed only when the file's times say it may have
            # changed since it was hashed.
            checked_at = time.time()
            after, after_inode = ((before, inode) if _unchanged_since(state, path)
                                  else fingerprint_and_inode(path))
            if after == before:
                if isinstance(result, SongResult):  # anything else the runner refuses
                    result.content, result.content_at = before, hashed_at
                    result.content_inode = inode
                done = store.save(result, settings_fp, after)
                if store.healthy:
                    done.wait(store.ack_timeout_s)
                return result
            store.stats.changed += 1
            if after is None:  # gone or replaced by something unreadable: keep, not store
                log.warning("%s disappeared after its analysis; its result is not stored",
                            path)
                return result
            log.warning("%s changed while it was analyzed; analyzing it again", path)
            before, inode, state, hashed_at = after, after_inode, None, checked_at
        raise AudioFileError(path, "the file changed while it was analyzed, twice (is it "
                                   "still being written?); no result was kept")

    return run
