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
