"""The packaging files agree with each other: the spec, the desktop entry, the AppStream
data, the icons and the numba stand-in of the bundle."""

from __future__ import annotations

import configparser
import importlib.util
import os
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LINUX = os.path.join(ROOT, "packaging", "linux")
APP_ID = "org.songcal.SongCal"


def test_spec_is_python_that_names_the_entry_point():
    with open(os.path.join(ROOT, "app.spec"), encoding="utf-8") as fh:
        source = fh.read()
    compile(source, "app.spec", "exec")
    assert "songcal_launcher.py" in source
    with open(os.path.join(ROOT, "packaging", "songcal_launcher.py"), encoding="utf-8") as fh:
        assert "from core.cli.main import main" in fh.read()


def test_desktop_entry_and_appstream_name_the_same_application():
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str
    entry.read(os.path.join(LINUX, f"{APP_ID}.desktop"), encoding="utf-8")
    d = entry["Desktop Entry"]
    assert d["Type"] == "Application" and d["Name"] == "SongCal"
    assert d["Exec"].split()[0] == "SongCal" and d["Icon"] == APP_ID
    assert "audio/flac" in d["MimeType"].split(";")
    meta = ET.parse(os.path.join(LINUX, f"{APP_ID}.metainfo.xml")).getroot()
    assert meta.findtext("id") == APP_ID
    assert meta.find("launchable").text == f"{APP_ID}.desktop"
    assert meta.findtext("provides/binary") == "SongCal"


#: The types (shared-mime-info's names) under which desktops know the files of each extension
#: the scanner takes: the desktop entry lists every one, so "Open with SongCal" is offered
#: for every file a folder scan would analyze.  An extension the database gives no type
#: (``.caf``, ``.w64``...) is typed by content or not at all: none is listed for it.
SCANNED_TYPES = {
    ".wav": ("audio/x-wav",), ".wave": ("audio/x-wav",),
    ".aif": ("audio/x-aiff",), ".aiff": ("audio/x-aiff",), ".aifc": ("audio/x-aifc",),
    ".flac": ("audio/flac",),
    ".ogg": ("audio/ogg", "audio/x-vorbis+ogg", "audio/x-flac+ogg", "audio/x-speex+ogg",
             "audio/x-opus+ogg"),
    ".oga": ("audio/ogg", "audio/x-vorbis+ogg", "audio/x-flac+ogg", "audio/x-speex+ogg"),
    ".opus": ("audio/ogg", "audio/x-opus+ogg"),
    ".mp3": ("audio/mpeg",), ".mp2": ("audio/mp2",),
    ".m4a": ("audio/mp4",), ".m4b": ("audio/x-m4b",), ".aac": ("audio/aac",),
    ".mp4": ("video/mp4",), ".m4v": ("video/mp4",), ".mov": ("video/quicktime",),
    ".webm": ("video/webm",), ".mka": ("audio/x-matroska",),
    ".wma": ("audio/x-ms-wma",), ".au": ("audio/basic",), ".snd": ("audio/basic",),
    ".ac3": ("audio/ac3",), ".wv": ("audio/x-wavpack",), ".tta": ("audio/x-tta",),
    ".dsf": ("audio/x-dsf",), ".dff": ("audio/x-dff",), ".ape": ("audio/x-ape",),
    ".mpc": ("audio/x-musepack",), ".amr": ("audio/AMR",), ".awb": ("audio/AMR-WB",),
    ".alac": (), ".caf": (), ".w64": (), ".rf64": (), ".eac3": (),
}
#: Types the database gives a scanned extension that are not listed: video files whose usual
#: names (``.ogv``, ``.mpg``) the scanner does not take.
NOT_LISTED = {"video/ogg", "video/x-theora+ogg", "video/mpeg"}
#: Reference sheets opened with SongCal are loaded as the reference (core.io.inputs).
SHEET_TYPES = {".csv": "text/csv", ".tsv": "text/tab-separated-values",
               ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
               ".xlsm": "application/vnd.ms-excel.sheet.macroEnabled.12"}
#: Older names of listed types, kept for desktops that still use them.
ALIASES = {"audio/wav": "audio/x-wav", "audio/x-flac": "audio/flac", "audio/x-m4a": "audio/mp4"}
MIME_DB = "/usr/share/mime"


def _desktop_types() -> list[str]:
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str
    entry.read(os.path.join(LINUX, f"{APP_ID}.desktop"), encoding="utf-8")
    return [t for t in entry["Desktop Entry"]["MimeType"].split(";") if t]


def test_desktop_entry_lists_the_type_of_every_file_songcal_opens():
    from core.batch.scan import AUDIO_EXTENSIONS
    from core.io.inputs import SHEET_EXTENSIONS

    assert set(SCANNED_TYPES) == AUDIO_EXTENSIONS  # a new extension needs its type here
    assert set(SHEET_TYPES) == set(SHEET_EXTENSIONS)
    listed = _desktop_types()
    assert len(listed) == len(set(listed))
    wanted = {t for types in SCANNED_TYPES.values() for t in types} | set(SHEET_TYPES.values())
    assert set(listed) == wanted | set(ALIASES)
    assert set(ALIASES.values()) <= wanted


def _mime_database():
    """{type: set of '*.ext' patterns} and {alias: type} of the system's shared-mime-info
    (its name patterns in lower case: the database's are compared without case)."""
    globs: dict[str, set[str]] = {}
    with open(os.path.join(MIME_DB, "globs2"), encoding="utf-8") as fh:
        for line in fh:
            if not line.startswith("#"):
                _weight, kind, pattern = line.rstrip("\n").split(":")[:3]
                globs.setdefault(kind, set()).add(pattern.lower())
    with open(os.path.join(MIME_DB, "aliases"), encoding="utf-8") as fh:
        aliases = dict(line.split() for line in fh if line.strip())
    return globs, aliases


@pytest.mark.skipif(not os.path.isfile(os.path.join(MIME_DB, "globs2")),
                    reason="no shared-mime-info database on this system")
def test_desktop_entry_types_are_those_the_mime_database_gives_each_extension():
    globs, aliases = _mime_database()
    with open(os.path.join(MIME_DB, "types"), encoding="utf-8") as fh:
        known = set(fh.read().split())
    for ext, types in {**SCANNED_TYPES, **{e: (t,) for e, t in SHEET_TYPES.items()}}.items():
        given = {kind for kind, patterns in globs.items() if "*" + ext in patterns}
        assert given - NOT_LISTED <= set(types), ext  # (.ogg is Opus by content, too)
        assert set(types) <= known, ext  # spelt as the database spells them
    for alias, kind in ALIASES.items():
        assert aliases.get(alias) == kind


def test_the_window_uses_the_desktop_entry_name():
    with open(os.path.join(ROOT, "gui", "app.py"), encoding="utf-8") as fh:
        assert f'setDesktopFileName("{APP_ID}")' in fh.read()


@pytest.fixture
def standin():
    """The bundle's numba stand-in, loaded under another name (the real numba stays)."""
    path = os.path.join(ROOT, "packaging", "numba_standin", "numba", "__init__.py")
    spec = importlib.util.spec_from_file_location("songcal_numba_standin", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop("songcal_numba_standin", None)


def test_standin_jit_keeps_the_function(standin):
    @standin.jit(nopython=True, cache=True)
    def add(a, b):
        return a + b

    @standin.jit
    def twice(a):
        return 2 * a

    assert add(2, 3) == 5 and twice(4) == 8
    assert np.dtype(standin.uint32) == np.uint32


def test_standin_vectorized_functions_fail_loudly(standin):
    @standin.guvectorize(["void(float32[:], float32[:])"], "(n)->(n)", nopython=True)
    def fill(x, y):
        y[:] = x

    @standin.stencil
    def kernel(a):
        return a[0]

    for fn in (fill, kernel):
        with pytest.raises(standin.NumbaUnavailable, match="built without numba"):
            fn(np.zeros(3, np.float32))
    with pytest.raises(AttributeError):
        standin.cuda  # noqa: B018


def test_a_bundle_without_dask_says_it_has_no_cluster_engine(monkeypatch):
    # The bundle leaves Dask out; a cluster remembered from an installed SongCal (or asked
    # for with --cluster) must not send its user to pip.
    from core.batch.cluster import ClusterError, _import_dask

    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed fails
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", ROOT, raising=False)
    with pytest.raises(ClusterError, match="bundle has no cluster engine") as info:
        _import_dask()
    assert "run the songs on this computer" in str(info.value)
    monkeypatch.delattr(sys, "frozen")
    with pytest.raises(ClusterError, match="needs Dask: pip install"):
        _import_dask()
