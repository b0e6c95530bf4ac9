"""Where SongCal keeps its files: the user data, cache and log folders, and the bundled
resources (the demo deck, the icons, the version file of a frozen build).

The user folders follow each system's convention through :mod:`platformdirs`:

- data (the session store): ``~/.local/share/songcal`` on Linux (``$XDG_DATA_HOME``),
  ``~/Library/Application Support/SongCal`` on macOS, ``%LOCALAPPDATA%\\SongCal`` on Windows;
- cache (numba's compiled functions): ``~/.cache/songcal``, ``~/Library/Caches/SongCal``,
  ``%LOCALAPPDATA%\\SongCal\\Cache``;
- log: ``~/.local/state/songcal/log``, ``~/Library/Logs/SongCal``,
  ``%LOCALAPPDATA%\\SongCal\\Logs``.

``SONGCAL_DATA_DIR``, ``SONGCAL_CACHE_DIR`` and ``SONGCAL_LOG_DIR`` override them.  When
only ``SONGCAL_DATA_DIR`` is set, the logs go to its ``logs`` sub-folder, so one variable
keeps a whole run (a test, a portable install) away from the user's own folders.
"""

from __future__ import annotations

import os
import sys

import platformdirs

__all__ = ["APP_NAME", "data_dir", "cache_dir", "log_dir", "resources_dir", "demo_deck",
           "icon_paths", "is_frozen", "build_info", "BUILD_INFO_NAME"]

#: Folder name of SongCal's user folders: lower case on Linux, as XDG folders usually are.
APP_NAME = "songcal" if sys.platform.startswith(("linux", "freebsd", "openbsd")) else "SongCal"

#: Name of the version file that the bundle carries next to its libraries.
BUILD_INFO_NAME = "songcal_build.txt"


def _ensure(folder: str) -> str:
    os.makedirs(folder, exist_ok=True)
    return folder


def data_dir() -> str:
    """The user data folder (created when missing); it holds the session store.

    Returns
    -------
    str
        ``$SONGCAL_DATA_DIR`` when set, else the system's user data folder of SongCal.

    Raises
    ------
    OSError
        When the folder cannot be created.
    """
    env = os.environ.get("SONGCAL_DATA_DIR")
    return _ensure(env or platformdirs.user_data_dir(APP_NAME, appauthor=False))


def cache_dir(sub: str = "") -> str:
    """The user cache folder, or its sub-folder ``sub`` (created when missing).

    Parameters
    ----------
    sub : str
        Sub-folder name, e.g. ``"numba"`` for numba's compiled functions.

    Returns
    -------
    str
        ``$SONGCAL_CACHE_DIR`` when set, else the system's user cache folder of SongCal.

    Raises
    ------
    OSError
        When the folder cannot be created.
    """
    env = os.environ.get("SONGCAL_CACHE_DIR")
    base = env or platformdirs.user_cache_dir(APP_NAME, appauthor=False)
    return _ensure(os.path.join(base, sub) if sub else base)


def log_dir() -> str:
    """The user log folder (created when missing).

    Returns
    -------
    str
        ``$SONGCAL_LOG_DIR`` when set; else ``$SONGCAL_DATA_DIR/logs`` when that is set;
        else the system's user log folder of SongCal.

    Raises
    ------
    OSError
        When the folder cannot be created.
    """
    env = os.environ.get("SONGCAL_LOG_DIR")
    if not env and os.environ.get("SONGCAL_DATA_DIR"):
        env = os.path.join(os.environ["SONGCAL_DATA_DIR"], "logs")
    return _ensure(env or platformdirs.user_log_dir(APP_NAME, appauthor=False))


def is_frozen() -> bool:
    """True in a PyInstaller bundle."""
    return bool(getattr(sys, "frozen", False) and hasattr(sys, "_MEIPASS"))


def resources_dir() -> str:
    """The folder of SongCal's bundled resources (demo deck, icons), installed or frozen."""
    import resources

    return os.path.dirname(os.path.abspath(resources.__file__))


def demo_deck() -> tuple[str, str]:
    """The bundled demo deck: its folder of songs and its reference sheet.

    Returns
    -------
    (str, str)
        The folder and the path of its ``reference.csv``.

    Raises
    ------
    FileNotFoundError
        When the installation lacks the deck or its sheet.
    """
    folder = os.path.join(resources_dir(), "demo")
    sheet = os.path.join(folder, "reference.csv")
    if not os.path.isfile(sheet):
        raise FileNotFoundError(f"the demo deck is missing from this installation "
                                f"(no {sheet})")
    return folder, sheet


def icon_paths() -> list[str]:
    """The application icon's PNG files, smallest first (empty when none is installed)."""
    folder = os.path.join(resources_dir(), "icons")
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    pngs = [n for n in names if n.startswith("songcal-") and n.endswith(".png")]

    def size(name: str) -> int:
        digits = name[len("songcal-"):-len(".png")]
        return int(digits) if digits.isdigit() else 0

    return [os.path.join(folder, n) for n in sorted(pngs, key=size)]


def build_info() -> dict[str, str]:
    """What the bundle's version file says (version, commit, build date, Python, system).

    Returns
    -------
    dict
        ``{}`` outside a bundle or when the file is missing; otherwise its ``key: value``
        lines.
    """
    if not is_frozen():
        return {}
    path = os.path.join(sys._MEIPASS, BUILD_INFO_NAME)
    info = {}
    try:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                key, sep, value = line.partition(":")
                if sep:
                    info[key.strip()] = value.strip()
    except OSError:
        return {}
    return info
