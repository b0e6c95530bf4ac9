"""``songcal doctor``: a self-check of the installation, to run first when something is wrong
and to paste into a bug report.

It reports the versions of SongCal and of what it runs on (Python, Qt, numpy, scipy,
librosa, numba, libsndfile, miniaudio for its FLAC decoder, FFmpeg through PyAV); decodes a
tiny file of every format SongCal ships a decoder for, generated in a temporary folder;
reports the session store's location, size and integrity (SQLite ``PRAGMA
integrity_check``, read-only); the user data, cache and log folders and whether they are
writable; and the Qt platform plugin the window would use and whether a display is there to
show it on.

Exit code 0 when all is well; 1 when anything is wrong, after a plain list of the problems,
one line each.  The window's Help menu shows the same report (:func:`run_checks`).  Qt is
looked up by name, so this module stays free of Qt like the rest of ``core``.
"""

from __future__ import annotations

import contextlib
import ctypes.util
import dataclasses
import importlib
import os
import platform
import sqlite3
import stat
import sys

from core import __version__, paths
from core.errors import ExitCode
from core.io import tempfiles

__all__ = ["Check", "DoctorReport", "FORMATS", "run_checks", "register", "run"]

#: Test files decoded by the check: (label, file name, soundfile format, subtype or None,
#: sample rate).  A subtype of None marks a file encoded with PyAV (``_write_with_pyav``).
FORMATS = (
    ("WAV", "test.wav", "WAV", "PCM_16", 44100),
    ("AIFF", "test.aiff", "AIFF", "PCM_24", 44100),
    ("FLAC", "test.flac", "FLAC", "PCM_16", 44100),
    ("OGG Vorbis", "test.ogg", "OGG", "VORBIS", 44100),
    ("MP3", "test.mp3", "MP3", "MPEG_LAYER_III", 44100),
    ("Opus", "test.opus", "OGG", "OPUS", 48000),
    ("M4A (AAC)", "test_aac.m4a", "aac", None, 44100),
    ("M4A (ALAC)", "test_alac.m4a", "alac", None, 44100),
)
#: Length of each test file (s).
SAMPLE_SECONDS = 0.5


@dataclasses.dataclass(frozen=True)
class Check:
    """One line of the report.

    Attributes
    ----------
    section : str
        Heading it is listed under (``"Versions"``, ``"Decoding"``...).
    name : str
        What was checked.
    value : str
        What was found.
    problem : str or None
        One plain line saying what is wrong; None when all is well.
    """

    section: str
    name: str
    value: str
    problem: str | None = None


@dataclasses.dataclass
class DoctorReport:
    """Every :class:`Check` made, in order."""

    checks: list[Check]

    @property
    def problems(self) -> list[str]:
        """The problems found, one line each."""
        return [c.problem for c in self.checks if c.problem]

    @property
    def ok(self) -> bool:
        """True when nothing is wrong."""
        return not self.problems

    def text(self) -> str:
        """The whole report as plain text (what ``songcal doctor`` prints)."""
        lines = [f"SongCal doctor ({__version__})"]
        width = max((len(c.name) for c in self.checks), default=0) + 2
        section = None
        for c in self.checks:
            if c.section != section:
                section = c.section
                lines += ["", section]
            lines.append(f"  {c.name:<{width}}{c.value}")
        problems = self.problems
        lines.append("")
        if problems:
            lines.append(f"{len(problems)} problem{'s' if len(problems) > 1 else ''}:")
            lines += problems
        else:
            lines.append("All is well.")
        return "\n".join(lines) + "\n"


def _reason(exc: BaseException) -> str:
    text = str(getattr(exc, "reason", "") or exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")


# -- versions ------------------------------------------------------------------------------

def _module_version(name: str, attr: str = "__version__"):
    try:
        module = importlib.import_module(name)
    except Exception as exc:  # a broken install raises anything from ImportError to OSError
        return None, _reason(exc)
    return module, str(getattr(module, attr, "?"))


def _versions() -> list[Check]:
    s = "Versions"
    info = paths.build_info()
    songcal = __version__
    if info:
        songcal += f" (bundle built {info.get('built', '?')} from {info.get('commit', '?')})"
    checks = [Check(s, "SongCal", songcal),
              Check(s, "Python", f"{platform.python_version()} "
                    f"({platform.python_implementation()}, {platform.system()} "
                    f"{platform.machine()}){' frozen' if paths.is_frozen() else ''}")]
    qtcore, found = _module_version("PySide6.QtCore")
    if qtcore is None:
        checks.append(Check(s, "Qt", f"cannot be loaded ({found})",
                            f"Qt: cannot be loaded ({found}); the window cannot open"))
    else:
        pyside, pv = _module_version("PySide6")
        checks.append(Check(s, "Qt", f"{qtcore.qVersion()} (PySide6 {pv})"))
    for label, module, attr, why in (
            ("numpy", "numpy", "__version__", "nothing can be analyzed"),
            ("scipy", "scipy", "__version__", "nothing can be analyzed"),
            ("librosa", "librosa", "__version__", "nothing can be analyzed"),
            ("numba", "numba", "__version__", "librosa cannot be loaded"),
            ("libsndfile", "soundfile", "__libsndfile_version__",
             "WAV, AIFF, FLAC, OGG and MP3 files cannot be read"),
            ("miniaudio", "miniaudio", "__version__",
             "FLAC files are read by libsndfile instead, more slowly"),
            ("FFmpeg (PyAV)", "av", "__version__", "M4A, AAC, ALAC and Opus files cannot be read")):
        mod, found = _module_version(module, attr)
        if mod is None:
            checks.append(Check(s, label, f"cannot be loaded ({found})",
                                f"{label}: cannot be loaded ({found}); {why}"))
            continue
        if getattr(mod, "SONGCAL_STANDIN", False):
            found = "not bundled (a stand-in: SongCal calls none of librosa's compiled functions)"
        elif module == "av":
            found = f"FFmpeg {getattr(mod, 'ffmpeg_version_info', '?')} (PyAV {found})"
        elif module == "librosa":
            try:  # the lazy-loader stubs: a bundle without them fails only here
                mod.filters.mel  # noqa: B018
            except Exception as exc:
                checks.append(Check(s, label, f"{found}, incomplete ({_reason(exc)})",
                                    f"librosa: incomplete ({_reason(exc)})"))
                continue
        checks.append(Check(s, label, found))
    checks.append(_analyzer_build(s))
    return checks


def _analyzer_build(section: str) -> Check:
    """The analyzer's build id (what the session store and the exports name results by)."""
    try:
        from core.analysis.identity import analyzer_id, code_coverage

        ident, (read, total) = analyzer_id(), code_coverage()
    except Exception as exc:
        return Check(section, "Analyzer", f"cannot be named ({_reason(exc)})",
                     f"Analyzer build: cannot be named ({_reason(exc)}); nothing can be "
                     "analyzed")
    found = f"{ident} (the code of {read} of {total} modules)"
    if read < total:
        return Check(section, "Analyzer", found,
                     f"Analyzer build: the code of {total - read} modules cannot be read, "
                     "so a change to them would not be noticed by the session store")
    return Check(section, "Analyzer", found)


# -- decoding ------------------------------------------------------------------------------

def _tone(rate: int):
    import numpy as np

    t = np.arange(int(SAMPLE_SECONDS * rate)) / rate
    left = 0.4 * np.sin(2 * np.pi * 440.0 * t)
    right = 0.4 * np.sin(2 * np.pi * 660.0 * t)
    return np.stack([left, right], axis=1).astype(np.float32)


def _write_with_pyav(path: str, codec: str, audio, rate: int) -> None:
    import av
    import numpy as np

    with av.open(path, "w", format="ipod") as container:
        st = container.add_stream(codec, rate=rate, layout="stereo")
        fmt = st.codec_context.format.name  # the sample format the encoder takes
        planar = fmt.endswith("p")
        if fmt.startswith("s32"):
            data = (audio * (2 ** 31 - 1)).astype(np.int32)
        elif fmt.startswith("s16"):
            data = (audio * 32767).astype(np.int16)
        else:
            data = audio.astype(np.float32)
        step = st.codec_context.frame_size or 1024
        for i in range(0, len(data), step):
            block = data[i:i + step]
            arr = np.ascontiguousarray(block.T if planar else block.reshape(1, -1))
            frame = av.AudioFrame.from_ndarray(arr, format=fmt, layout="stereo")
            frame.rate = rate
            for packet in st.encode(frame):
                container.mux(packet)
        for packet in st.encode(None):
            container.mux(packet)


def _decode_one(label: str, name: str, fmt: str, subtype, rate: int) -> Check:
    """Write a test file in the system's temporary folder (named after this process, so that
    a run killed meanwhile leaves nothing for good: :mod:`core.io.tempfiles`), decode it,
    remove it."""
    try:
        fd, path = tempfiles.make_system_temp(os.path.splitext(name)[1])
        os.close(fd)
    except OSError as exc:
        why = _reason(exc)
        return Check("Decoding", label, f"no test file ({why})",
                     f"{label}: a test file cannot be written ({why})")
    try:
        return _decode_at(path, label, fmt, subtype, rate)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)


def _decode_at(path: str, label: str, fmt: str, subtype, rate: int) -> Check:
    s = "Decoding"
    audio = _tone(rate)
    try:
        if subtype is None:
            _write_with_pyav(path, fmt, audio, rate)
        else:
            import soundfile

            soundfile.write(path, audio, rate, format=fmt, subtype=subtype)
    except Exception as exc:
        why = _reason(exc)
        return Check(s, label, f"no test file ({why})",
                     f"{label}: a test file cannot be written ({why})")
    try:
        from core.analysis.decode import probe, stream

        info = probe(path)
        frames = sum(len(block) for block in stream(path, info=info, block_seconds=0.2))
    except Exception as exc:
        why = _reason(exc)
        return Check(s, label, f"cannot be decoded ({why})", f"{label}: cannot be decoded ({why})")
    seconds = frames / info.sample_rate
    value = f"ok ({info.backend}, {info.codec}, {seconds:.2f} s)"
    if abs(seconds - SAMPLE_SECONDS) > 0.1:  # codecs pad a little; not a quarter second
        return Check(s, label, value, f"{label}: {seconds:.2f} s decoded from a "
                     f"{SAMPLE_SECONDS:.2f} s file")
    return Check(s, label, value)


def _decoding() -> list[Check]:
    tempfiles.sweep_system_temp()  # test files and songs that killed processes left there
    return [_decode_one(*spec) for spec in FORMATS]


# -- session store and folders -------------------------------------------------------------

def _size(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1000
    return ""  # pragma: no cover


def _store(path: str | None) -> list[Check]:
    s = "Session store"
    if path is None:
        try:
            from core.batch.store import default_store_path

            path = default_store_path()
        except Exception as exc:
            why = _reason(exc)
            return [Check(s, "location", f"unknown ({why})",
                          f"session store: its folder cannot be made ({why})")]
    checks = [Check(s, "location", path)]
    if not os.path.exists(path):
        return checks + [Check(s, "size", "not created yet (the first batch creates it)")]
    mode = os.stat(path).st_mode
    if not stat.S_ISREG(mode):  # SQLite would wait forever on a FIFO, read a device as empty
        from core.io.inputs import special_kind

        kind = special_kind(mode)
        return checks + [Check(s, "kind", f"{kind}, not a file",
                               f"session store: {path} is {kind}, not a database file")]
    size = os.path.getsize(path)
    wal = path + "-wal"
    extra = f" (+ {_size(os.path.getsize(wal))} journal)" if os.path.exists(wal) else ""
    checks.append(Check(s, "size", _size(size) + extra))
    from core.batch.store import read_only_problem

    read_only = read_only_problem(path)
    if read_only:
        read_only = Check(s, "writable", "no", f"session store: {path}: {read_only}; "
                          "SongCal keeps no results or list in it until then (another store "
                          "file: analyze --session, or the window's Settings \u25b8 Session "
                          "store file)")
    try:
        uri = "file:" + os.path.abspath(path).replace("?", "%3f").replace("#", "%23")
        with contextlib.closing(sqlite3.connect(uri + "?mode=ro", uri=True, timeout=5)) as db:
            rows = [r[0] for r in db.execute("PRAGMA integrity_check").fetchall()]
            version = db.execute("PRAGMA user_version").fetchone()[0]
            tables = [r[0] for r in db.execute(
                "SELECT name FROM sqlite_master WHERE type='table'")]
    except sqlite3.Error as exc:
        why = str(exc)
        if read_only:  # SQLite cannot read it either without its journal beside it
            return checks + [Check(s, "integrity", f"not checked ({why})"), read_only]
        return checks + [Check(s, "integrity", f"damaged ({why})",
                               f"session store: {path} is damaged ({why}); move it away and "
                               "SongCal starts a new one")]
    if rows != ["ok"]:
        first = rows[0] if rows else "no answer"
        return checks + [Check(s, "integrity", f"damaged ({len(rows)} faults)",
                               f"session store: {path} is damaged ({first}); move it away "
                               "and SongCal starts a new one")]
    checks.append(Check(s, "integrity", "ok"))
    from core.batch.store import SCHEMA_VERSION, layout_problem

    why = layout_problem(version, tables)
    if why:  # a newer SongCal's store, another program's database: refused, left as it is
        value = (f"{version}, newer than this build reads (up to {SCHEMA_VERSION})"
                 if version > SCHEMA_VERSION and "another program" not in why
                 else "not a SongCal store")
        return checks + [Check(s, "layout", value,
                               f"session store: {path}: {why}; this SongCal leaves it "
                               "untouched and keeps no list in it (open it with that "
                               "SongCal, or choose another store file)")]
    return checks + [Check(s, "layout", f"{version} (this build reads up to "
                                        f"{SCHEMA_VERSION})")] + ([read_only] if read_only
                                                                   else [])


def _folder(name: str, get) -> Check:
    s = "Folders"
    try:
        folder = get()
        tempfiles.sweep(folder)
        fd, probe = tempfiles.make_temp(folder)  # named after this process, as every write
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        why = _reason(exc)
        return Check(s, name, f"not writable ({why})", f"{name} folder: not writable ({why})")
    return Check(s, name, folder)


def _folders() -> list[Check]:
    checks = [_folder("data", paths.data_dir), _folder("cache", paths.cache_dir),
              _folder("log", paths.log_dir)]
    numba = os.environ.get("NUMBA_CACHE_DIR") or "numba's default"
    if getattr(sys.modules.get("numba"), "SONGCAL_STANDIN", False):
        numba = "not used (numba is not bundled)"
    checks.append(Check("Folders", "numba cache", numba))
    return checks


# -- window --------------------------------------------------------------------------------

def _default_platform() -> str:
    if sys.platform == "win32":
        return "windows"
    if sys.platform == "darwin":
        return "cocoa"
    if os.environ.get("WAYLAND_DISPLAY") and os.environ.get("XDG_SESSION_TYPE") == "wayland":
        return "wayland"
    return "xcb"


def _window(qt_platform: str | None) -> list[Check]:
    s = "Window"
    in_use = qt_platform is not None
    name = qt_platform or os.environ.get("QT_QPA_PLATFORM", "").split(":")[0] \
        or _default_platform()
    checks = []
    try:
        qtcore = importlib.import_module("PySide6.QtCore")
        info = qtcore.QLibraryInfo
        folder = os.path.join(info.path(info.LibraryPath.PluginsPath), "platforms")
        found = [f for f in os.listdir(folder) if f.split(".")[0].removeprefix("lib")
                 == f"q{name}"]
    except Exception as exc:
        return [Check(s, "Qt platform", f"{name} (Qt plugins not found: {_reason(exc)})")]
    if found or in_use:
        checks.append(Check(s, "Qt platform", f"{name} ({'in use' if in_use else 'found'})"))
    else:
        checks.append(Check(s, "Qt platform", f"{name} (plugin missing in {folder})",
                            f"Qt platform plugin '{name}' is missing from {folder}; "
                            "the window cannot open"))
    bundled = paths.is_frozen() and os.path.exists(os.path.join(sys._MEIPASS,
                                                                "libxcb-cursor.so.0"))
    if name == "xcb" and sys.platform.startswith("linux") and not bundled \
            and not ctypes.util.find_library("xcb-cursor"):
        checks.append(Check(s, "X11 libraries", "libxcb-cursor missing",
                            "X11: libxcb-cursor is missing, which Qt needs to open the window "
                            "(Debian/Ubuntu: apt install libxcb-cursor0)"))
    if name in ("offscreen", "minimal"):
        display = f"not needed ({name})"
    elif sys.platform.startswith(("linux", "freebsd", "openbsd")):
        shown = [f"{v}={os.environ[v]}" for v in ("WAYLAND_DISPLAY", "DISPLAY")
                 if os.environ.get(v)]
        display = ", ".join(shown) if shown else (
            "none (DISPLAY and WAYLAND_DISPLAY are unset: the window cannot open here; "
            "the command line works)")
    else:
        display = "the desktop's"
    checks.append(Check(s, "display", display))
    return checks


# -- the report and the command ------------------------------------------------------------

def run_checks(*, store_path: str | None = None, qt_platform: str | None = None,
               decode: bool = True) -> DoctorReport:
    """Check the installation.

    Parameters
    ----------
    store_path : str, optional
        Session store to check (default: the user's, in :func:`core.paths.data_dir`).
    qt_platform : str, optional
        The Qt platform plugin in use, when a Qt application runs (the window passes
        ``QGuiApplication.platformName()``); otherwise the one Qt would pick is looked up.
    decode : bool
        Whether to generate and decode the test files (about a second).

    Returns
    -------
    DoctorReport
        Every check; :attr:`DoctorReport.problems` lists what is wrong.
    """
    checks = _versions()
    if decode:
        checks += _decoding()
    checks += _store(store_path) + _folders() + _window(qt_platform)
    return DoctorReport(checks)


def register(subparsers) -> None:
    """Register ``doctor`` on the ``songcal`` sub-parsers."""
    d = subparsers.add_parser(
        "doctor", help="check this installation and print a report for bug reports",
        description="Check this installation: versions, a test decode of every supported "
        "format, the session store, the user folders, and the window's Qt platform.  "
        "Exit 0: all is well; 1: something is wrong (listed one per line at the end).")
    d.add_argument("--store", metavar="SQLITE", help="session store to check (default: the "
                   "user's)")
    d.set_defaults(func=run)


def run(args) -> int:
    """``songcal doctor``; returns the exit code."""
    from core.cli.guard import log_to_file, survive_closed_pipes

    survive_closed_pipes()  # ``songcal doctor | head`` and ``>&-`` end without a traceback
    log_to_file()  # the leftovers its sweeps remove are recorded, as by every command
    report = run_checks(store_path=args.store)
    if sys.stdout is not None:
        sys.stdout.write(report.text())
        sys.stdout.flush()
        err = getattr(sys.stdout, "error", None)
        if err is not None and not isinstance(err, BrokenPipeError | ConnectionResetError):
            from core.cli.guard import say_error

            say_error("doctor", f"could not print the report: {err.strerror or err}")
            return ExitCode.OUTPUT
    return ExitCode.OK if report.ok else ExitCode.FAILED
