"""Which analyzed songs are worth checking by ear (:meth:`SongResult.doubts`)."""

from __future__ import annotations

import pytest

from core.io.results import CHECK_CONFIDENCE, SongResult


def _done(**values) -> SongResult:
    base = dict(status="done", bpm=120.0, bpm_confidence=0.9, bpm_weak_pulse=False,
                bpm_varies=False, key="A minor", key_confidence=0.95)
    base.update(values)
    return SongResult(path="/m/a.wav", **base)


def test_a_clear_tempo_and_key_raise_no_doubt():
    assert _done().doubts() == []
    assert _done(bpm_confidence=CHECK_CONFIDENCE, key_confidence=CHECK_CONFIDENCE).doubts() == []


@pytest.mark.parametrize(("values", "doubts"), [
    ({"bpm_weak_pulse": True}, ["weak pulse"]),
    ({"bpm_varies": True}, ["tempo varies"]),
    ({"bpm_confidence": 0.59}, ["tempo confidence 0.59"]),
    ({"key_confidence": 0.3}, ["key confidence 0.30"]),
    ({"bpm_weak_pulse": True, "bpm_confidence": 0.05, "key_confidence": 0.5},
     ["weak pulse", "tempo confidence 0.05", "key confidence 0.50"]),
])
def test_each_doubt_is_named(values, doubts):
    assert _done(**values).doubts() == doubts


def test_a_confidence_just_under_the_threshold_never_reads_as_it():
    """0.598 is in doubt (under 0.6): it reads "0.59", not "0.60", the threshold itself."""
    assert _done(key_confidence=0.598).doubts() == ["key confidence 0.59"]
    assert _done(bpm_confidence=0.5999).doubts() == ["tempo confidence 0.59"]
    assert _done(bpm_confidence=0.29, key_confidence=0.36).doubts() == [
        "tempo confidence 0.29", "key confidence 0.36"]


def test_what_the_user_set_is_no_longer_in_doubt():
    song = _done(bpm_weak_pulse=True, key_confidence=0.2, bpm_user=240.0)
    assert song.doubts() == ["key confidence 0.20"]
    song.key_user = "C major"
    assert song.doubts() == []


def test_songs_without_values_raise_no_doubt():
    assert SongResult(path="/m/a.wav", status="failed", error="cannot decode").doubts() == []
    assert _done(status="timed_out").doubts() == []
    silent = _done(bpm=None, bpm_confidence=None, bpm_weak_pulse=None, key=None,
                   key_confidence=None)
    assert silent.doubts() == []


def test_a_song_the_user_checked_by_ear_is_no_longer_in_doubt():
    song = _done(bpm_weak_pulse=True, key_confidence=0.2, user_checked=True)
    assert song.doubts() == []
