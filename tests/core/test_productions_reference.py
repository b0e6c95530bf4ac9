"""The productions benchmark's reading of a project's stated tempo."""

import struct
import zlib

from benchmarks.productions import project_text, stated_tempo

_LMMS = ('<?xml version="1.0"?><lmms-project version="1.0"><head timesig_numerator="4" '
         'bpm="{bpm}" mastervol="100"/>{extra}<song></song></lmms-project>')


def _mmpz(path, text):
    data = text.encode()
    path.write_bytes(struct.pack(">I", len(data)) + zlib.compress(data))
    return str(path)


def test_a_compressed_lmms_project_states_its_head_tempo(tmp_path):
    path = _mmpz(tmp_path / "song.mmpz", _LMMS.format(bpm=174, extra=""))
    assert "<head" in project_text(path)
    assert stated_tempo(path) == 174.0


def test_a_plain_lmms_project_is_read_too(tmp_path):
    path = tmp_path / "song.mmp"
    path.write_text(_LMMS.format(bpm="87.5", extra=""))
    assert stated_tempo(str(path)) == 87.5


def test_an_automated_tempo_is_no_single_truth(tmp_path):
    # LMMS writes an automated tempo as an element of the head; the attribute may remain
    text = _LMMS.format(bpm=120, extra="").replace(
        "/><song>", '><bpm value="120" id="42"/></head><song>')
    assert stated_tempo(_mmpz(tmp_path / "auto.mmpz", text)) is None


def test_a_project_without_a_tempo_is_left_out(tmp_path):
    path = tmp_path / "song.mmp"
    path.write_text('<lmms-project><head mastervol="100"/></lmms-project>')
    assert stated_tempo(str(path)) is None


def test_a_hydrogen_song_states_its_bpm(tmp_path):
    path = tmp_path / "demo.h2song"
    path.write_text("<song><version>1.2</version><bpm>115</bpm><volume>0.5</volume></song>")
    assert stated_tempo(str(path)) == 115.0
    path.write_text("<song><bpm>115</bpm><bpm>90</bpm></song>")
    assert stated_tempo(str(path)) is None
