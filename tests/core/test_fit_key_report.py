"""The key fitting script's checks on editions it does not fit on."""

from __future__ import annotations

import argparse

import numpy as np
import pytest

import benchmarks.fit_key as fit_key
from core.io.keynotation import Key


def test_the_penalties_to_compare_are_numbers_of_zero_or_more():
    assert fit_key._penalties("0.0002,0.002,0") == (0.0002, 0.002, 0.0)
    for bad in ("", "0.1,x", "-0.001"):
        with pytest.raises(argparse.ArgumentTypeError):
            fit_key._penalties(bad)


def test_the_validation_reads_only_items_with_a_key_from_both_fit_only_editions(monkeypatch):
    items = {"/m": [{"id": "a", "tonic": 0}, {"id": "b", "tonic": None}],
             "/g": [{"id": "c", "tonic": 7}, {"id": "d"}]}
    monkeypatch.setattr(fit_key, "more_items", lambda folder: items[folder])
    monkeypatch.setattr(fit_key, "real_key_tables",
                        lambda folder, its: [(folder, it["id"]) for it in its])
    assert fit_key.validation_tables("/m", "/g") == {"more": [("/m", "a")],
                                                      "grooves2": [("/g", "c")]}


def _table(right: int) -> dict:
    x = np.zeros((24, 1))
    x[right, 0] = 1.0
    return {"X": x, "truth": Key.from_index(right)}


def test_each_set_and_their_mean_and_pool_are_scored_by_the_weights(capsys):
    sets = {"a": [_table(0), _table(5)], "b": [_table(3)], "c": [{"X": None, "truth": Key(0, "major")}]}
    fit_key._scores_line("plus", sets, np.array([1.0]))
    fit_key._scores_line("minus", sets, np.array([-1.0]))
    out = capsys.readouterr().out.splitlines()
    # the best key of each table is its truth under +1; no table is no key (scored 0)
    assert "a 1.000  b 1.000  c 0.000  mean 0.6667  pooled 0.7500" in out[0]
    # under -1 the first key not marked wins: C# major for C major (0), C major for F major
    # (its fifth: 0.5) and for D# major (0)
    assert "a 0.250  b 0.000  c 0.000  mean 0.0833  pooled 0.1250" in out[1]


def test_validation_on_the_more_edition_cannot_also_fit_on_it():
    with pytest.raises(SystemExit):
        fit_key.main(["--validate", "0.001", "--with-more"])
    with pytest.raises(SystemExit):
        fit_key.main(["--l2", "-1"])


def test_the_wide_fit_reads_the_touched_editions_and_scores_only_the_others(monkeypatch,
                                                                             capsys):
    from benchmarks.fit_tempo import TOUCHED

    columns = len(fit_key.KEY_FEATURES) + 1  # the evidence and the profile score

    def _table(right):
        x = np.zeros((24, columns))
        x[right, 0] = 1.0
        return {"X": x, "truth": Key.from_index(right)}

    sets = {name: [dict(_table(0), gen="real", id=f"{name}0")] for name in TOUCHED}
    sets["seventh"] = [_table(3), _table(3)]
    monkeypatch.setattr(fit_key, "heldout_tables", lambda cache, reserved=False: sets)
    monkeypatch.setattr(fit_key, "validation_tables",
                        lambda more: {"more": [dict(_table(1), gen="real")], "grooves2": []})
    seen = {}

    def fake_fit(train, *, l2, weights, pinned=None):
        seen.update(train=train, weights=weights, pinned=pinned)
        return np.ones(columns)

    monkeypatch.setattr(fit_key, "fit", fake_fit)
    real = [dict(_table(2), gen="real")] * 3
    generated = [dict(_table(4), gen="orig")]
    fit_key.wide_fit(real, generated, cache="/c", more="/m")
    gens = [s["gen"] for s in seen["train"]]
    # the fit split and generated songs, each touched edition and 'more' under its own name
    assert sorted(set(gens)) == sorted({"real", "orig", "more", *TOUCHED})
    assert "seventh" not in gens and len(gens) == 3 + 1 + len(TOUCHED) + 1
    # each source weighs its song count: every song alike
    assert seen["weights"] == {g: gens.count(g) for g in set(gens)}
    out = capsys.readouterr().out
    assert "did not read (seventh 2)" in out and "heldout 1" not in out.split("did not")[1]
    # with the narrow fit's shares: every realistic song under the fit split's source
    fit_key.wide_fit(real, generated, cache="/c", more="/m", shares=True)
    assert sorted({s["gen"] for s in seen["train"]}) == ["orig", "real"]
    assert len(seen["train"]) == len(gens) and seen["weights"] is None
    assert seen["pinned"] is None
    # pinned ends: the end-of-song weights are held at the shipped values, by column
    for pin, names in fit_key.PINS.items():
        fit_key.wide_fit(real, generated, cache="/c", more="/m", pin=pin)
        assert sorted(seen["pinned"]) == sorted(fit_key.KEY_FEATURES.index(n) for n in names)
        assert all(v == fit_key._KEY_WEIGHTS[i] for i, v in seen["pinned"].items())
    assert set(fit_key.END_FEATURES) < set(fit_key.PLACEMENT_FEATURES)
    del sets["fifth"]
    with pytest.raises(FileNotFoundError, match="fifth"):
        fit_key.wide_fit(real, generated, cache="/c", more="/m")


def test_moved_close_copies_move_the_last_third_up_a_step_and_keep_the_truth(monkeypatch):
    from types import SimpleNamespace

    rng = np.random.default_rng(1)
    chroma, bass = rng.random((12, 30)), rng.random((12, 30))
    before = chroma.copy()
    features = SimpleNamespace(chroma=chroma, bass_chroma=bass, pitch_frame_rate=10.0)
    monkeypatch.setattr(fit_key, "cached_features", lambda path, folder: features)
    seen = []

    def fake_row(c, b, pfr, truth, gen, subset, name):
        seen.append((c, b))
        return {"truth": truth, "gen": gen, "id": name}

    monkeypatch.setattr(fit_key, "_row", fake_row)
    items = [{"path": f"/a/{i}.flac", "id": f"t{i}", "tonic": 2, "mode": "minor",
              "subset": "clear"} for i in range(6)] + [{"path": "/a/x.flac", "id": "x",
                                                        "tonic": None, "subset": "clear"}]
    rows = fit_key.moved_close_tables("/a", items, seed=3)
    assert len(rows) == 6 and all(r["truth"] == Key(2, "minor") and r["gen"] == "moved"
                                  for r in rows)
    shifts = set()
    for row, (c, b) in zip(rows, seen, strict=True):
        shift = int(row["id"].rsplit("~up", 1)[1])
        shifts.add(shift)
        np.testing.assert_array_equal(c[:, :20], chroma[:, :20])  # the first two thirds
        np.testing.assert_array_equal(c[:, 20:], np.roll(chroma[:, 20:], shift, axis=0))
        np.testing.assert_array_equal(b[:, 20:], np.roll(bass[:, 20:], shift, axis=0))
    assert shifts == {1, 2}
    np.testing.assert_array_equal(features.chroma, before)  # the cached features untouched


def test_the_editions_kept_for_the_next_choice_are_scored_only_when_asked_for(monkeypatch):
    from benchmarks import evalset
    from benchmarks.evalset import HELD_OUT, RESERVED

    assert set(RESERVED) <= set(HELD_OUT)
    monkeypatch.setattr(fit_key, "load", lambda split, cache: [{"id": cache}])
    monkeypatch.setattr(fit_key, "real_key_tables", lambda folder, items: items)
    monkeypatch.setattr(evalset, "RESERVED", ("ninth",))
    assert set(fit_key.heldout_tables("/c")) == set(HELD_OUT) - {"ninth"}
    assert set(fit_key.heldout_tables("/c", reserved=True)) == set(HELD_OUT)


def test_generated_closes_give_each_song_as_it_is_and_in_every_shape_once(monkeypatch,
                                                                           tmp_path):
    from benchmarks import key_changes

    sr = key_changes.SR
    rendered = []

    def render_for(tonic_shift):
        def render(key):
            rendered.append(key)
            t = np.arange(int(4.0 * sr)) / sr
            freqs = [261.63 * 2 ** ((key.tonic + iv) / 12) for iv in (0, 4, 7)]
            return (0.2 * sum(np.sin(2 * np.pi * f * t) for f in freqs)).astype(np.float32)
        return render

    def songs(seeds):
        for seed in seeds:
            for i in range(2):
                yield "synth", f"s{i}", seed, Key((seed + i) % 12, "major"), render_for(i)

    monkeypatch.setattr(key_changes, "songs", songs)
    monkeypatch.setattr(key_changes, "SHAPES", (("last 1 s +1", lambda k: Key(
        (k.tonic + 1) % 12, k.mode), 1.0), ("last 1 s parallel", lambda k: Key(
            k.tonic, "minor"), 1.0)))
    rows = fit_key.generated_close_tables([31], str(tmp_path), jobs=1)
    assert [r["id"] for r in rows] == [
        "close31-0 as it is", "close31-0 last 1 s +1", "close31-0 last 1 s parallel",
        "close31-1 as it is", "close31-1 last 1 s +1", "close31-1 last 1 s parallel"]
    assert [r["truth"] for r in rows] == [Key(31 % 12, "major")] * 3 + [Key(32 % 12, "major")] * 3
    assert all(r["gen"] == "closes" and r["X"].shape[0] == 24 and r["y"].sum() == 1
               for r in rows)
    assert len(rendered) == 6  # each song's body and its two moved keys, once
    again = fit_key.generated_close_tables([31], str(tmp_path), jobs=1)
    assert len(rendered) == 6  # read back from the cache
    for a, b in zip(rows, again, strict=True):
        np.testing.assert_array_equal(a["X"], b["X"])


def test_the_seeds_that_judge_a_key_refit_are_not_fitted_on():
    with pytest.raises(SystemExit):
        fit_key.main(["--wide", "--generated-closes", "21", "31"])
    with pytest.raises(SystemExit):
        fit_key.main(["--generated-closes", "31"])  # without --wide


def test_key_draws_are_read_with_their_keys_as_one_source(tmp_path, capsys):
    import benchmarks.fit_key as fk
    from benchmarks.synth import chord_progression
    from tests.core.evalset_stand_ins import write_draw

    rows = []
    for i, key in enumerate((Key(0, "major"), Key(9, "minor"), Key(7, "major"))):
        item = {"id": f"t{i}", "file": f"audio/t{i}.flac", "tonic": key.tonic,
                "mode": key.mode, "subset": "drumless", "split": "heldout", "draw": 95}
        rows.append((item, chord_progression(key, seconds=8.0, sr=22050, seed=i)))
    rows[2][0].pop("draw")  # a row of the edition itself, not of a draw
    write_draw(tmp_path / "draw", rows)
    tables = fk.draw_key_tables([str(tmp_path / "draw")])
    assert [(t["gen"], t["truth"]) for t in tables] == [
        ("draws", Key(0, "major")), ("draws", Key(9, "minor"))]
    write_draw(tmp_path / "none", [])
    with pytest.raises(FileNotFoundError, match="no rendered draw"):
        fk.draw_key_tables([str(tmp_path / "none")])
    with pytest.raises(SystemExit):
        fk.main(["--wide", "--draws", str(tmp_path / "draw")])
    assert "not with --wide" in capsys.readouterr().err
