"""Finding audio files in the paths a user dropped or named."""

from __future__ import annotations

import errno
import os
from collections.abc import Iterable, Iterator

__all__ = ["AUDIO_EXTENSIONS", "NOT_AUDIO", "is_audio_name", "scan_paths", "iter_audio_files"]

#: File extensions treated as audio (compared case-insensitively).
AUDIO_EXTENSIONS = frozenset({
    ".wav", ".wave", ".aif", ".aiff", ".aifc", ".flac", ".ogg", ".oga", ".opus", ".mp3",
    ".m4a", ".m4b", ".mp4", ".mov", ".m4v", ".aac", ".alac", ".caf", ".wma", ".w64", ".rf64",
    ".au", ".snd", ".mka", ".webm", ".ac3", ".eac3", ".mp2", ".wv", ".tta", ".dsf", ".dff",
    ".ape", ".mpc", ".amr", ".awb",
})


#: The reason given for a file left out only because its name is not an audio file's.
NOT_AUDIO = "not an audio file"


def _not_audio_reason(name: str) -> str:
    """Why a file that :func:`is_audio_name` refuses is left out."""
    if os.path.basename(name).startswith("._"):
        return "macOS resource fork (._ file)"
    return NOT_AUDIO


def _broken_link_reason(path: str) -> str:
    """Why a name found in a folder leads to no file: a loop of links, a missing target, or
    (no link at all) a file removed or moved after its folder was listed."""
    if not os.path.islink(path):
        return "file removed while it was scanned"
    try:
        os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "link loop (the links lead back to each other, never to a file)"
    return "dangling link (its target is missing)"


def _unopenable_reason(path: str) -> str | None:
    """Why a song found in a folder cannot be opened where it is (its path is longer than
    the system opens), or None."""
    try:
        os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:
            return (f"the path is {len(os.fsencode(path))} bytes long, more than the system "
                    "opens: it was not analyzed (move it higher up)")
    return None


def _unread_folder_reason(err: OSError) -> str:
    """Why a folder's songs were not listed, from the error of listing it."""
    if err.errno == errno.ENAMETOOLONG:
        return ("the folder's path is longer than the system opens: the songs in it, if "
                "any, were not analyzed (move them higher up)")
    return (f"this folder cannot be read ({err.strerror or err}): the songs in it, if any, "
            "were not analyzed")


def is_audio_name(name: str) -> bool:
    """True for an audio file name (by extension), False for macOS ``._*`` resource forks."""
    base = os.path.basename(name)
    if base.startswith("._"):
        return False
    return os.path.splitext(base)[1].lower() in AUDIO_EXTENSIONS


def iter_audio_files(paths: Iterable[str | os.PathLike], *, should_cancel=None,
                     on_skip=None, on_unread=None) -> Iterator[str]:
    """Yield audio files under ``paths``, recursively, in a stable sorted order.

    A path named explicitly is yielded when it is an audio file, does not exist, or is not a
    regular file (a FIFO, a device: never opened here), so the caller can report it as a
    failed row with its reason; folders are walked without following symbolic links to
    folders (no loops), dangling links are skipped, and each real file is yielded once even
    when reached twice.

    Parameters
    ----------
    paths : iterable of path
        Files and folders.
    should_cancel : callable, optional
        Polled between folders; when it returns true the scan stops.
    on_skip : callable, optional
        ``on_skip(path, reason)`` for each path inside a folder that is left out, with the
        reason in plain words: a macOS resource fork, a dangling link, a loop of links, a
        link to a folder
        (not followed, it could loop), a hidden folder, a file reached twice, a file that is
        not audio, and a file named explicitly that is not audio.
    on_unread : callable, optional
        ``on_unread(path, reason)`` for a folder that cannot be read (no permission, a path
        longer than the system opens) and a song whose path is longer than the system
        opens: songs that are missed, which the caller reports as failed rows (without it,
        they go to ``on_skip``; before, ``os.walk`` dropped them without a word).
    """
    def skip(path: str, reason: str) -> None:
        if on_skip is not None:
            on_skip(path, reason)

    def missed(path: str, reason: str) -> None:
        (on_unread or skip)(path, reason)

    def cannot_read(err: OSError) -> None:  # os.walk's errors: a folder it cannot list
        folder = os.fsdecode(err.filename) if err.filename is not None else ""
        if isinstance(err, FileNotFoundError):
            skip(folder, "folder removed while it was scanned")
        else:
            missed(folder, _unread_folder_reason(err))

    seen: set[tuple[int, int]] = set()

    def _key(p: str):
        try:
            st = os.stat(p)
        except OSError:
            return None
        return (st.st_dev, st.st_ino)

    for raw in paths:
        p = os.fspath(raw)
        if os.path.isdir(p):
            for root, dirs, files in os.walk(p, followlinks=False, onerror=cannot_read):
                if should_cancel is not None and should_cancel():
                    return
                dirs.sort(key=str.lower)
                for d in dirs:
                    if d.startswith("."):
                        skip(os.path.join(root, d), "hidden folder, not scanned")
                    elif os.path.islink(os.path.join(root, d)):
                        skip(os.path.join(root, d), "link to a folder, not followed (it "
                                                    "could lead back into this folder)")
                dirs[:] = [d for d in dirs if not d.startswith(".")]
                for name in sorted(files, key=str.lower):
                    full = os.path.join(root, name)
                    if not is_audio_name(name):
                        skip(full, _not_audio_reason(name))
                        continue
                    k = _key(full)
                    if k is None:
                        too_long = _unopenable_reason(full)
                        if too_long:
                            missed(full, too_long)
                        else:
                            skip(full, _broken_link_reason(full))
                        continue
                    if k in seen:
                        skip(full, "the same file as one found earlier")
                        continue
                    seen.add(k)
                    yield full
        elif not os.path.exists(p) and not os.path.islink(p):
            yield p  # a missing file named explicitly: reported as a failed row
        elif os.path.isfile(p) and is_audio_name(p):
            k = _key(p)
            if k not in seen:
                seen.add(k)
                yield p
        elif os.path.isfile(p):
            skip(p, _not_audio_reason(p))
        elif os.path.islink(p) and not os.path.exists(p):
            yield p  # a dangling link named explicitly: reported, not followed
        elif os.path.exists(p) and not os.path.isfile(p):
            k = _key(p)  # a FIFO, device or socket named explicitly: reported, never read
            if k not in seen:
                seen.add(k)
                yield p


def scan_paths(paths: Iterable[str | os.PathLike], *, should_cancel=None,
               on_skip=None, on_unread=None) -> list[str]:
    """List of :func:`iter_audio_files` (same options)."""
    return list(iter_audio_files(paths, should_cancel=should_cancel, on_skip=on_skip,
                                 on_unread=on_unread))
