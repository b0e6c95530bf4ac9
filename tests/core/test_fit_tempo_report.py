"""The generalisation report of the tempo fitting script scores songs it was not fitted on."""

from __future__ import annotations

import os

import numpy as np
import pytest

from benchmarks.fit_tempo import generalisation


def _songs(n, *, rule, font, subset="drumless", seed=0):
    """Toy candidate tables: two candidates, one feature; ``rule`` +1 = the larger one is right."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        x = rng.uniform(0.0, 1.0, size=(2, 1))
        right = int(np.argmax(x[:, 0] * rule))
        out.append({"X": x, "y": np.arange(2) == right, "gen": "real", "subset": subset,
                    "font": font, "cands": np.array([60.0, 120.0]), "bpm": 60.0})
    return out


def test_the_more_edition_is_scored_by_a_model_fitted_without_it(capsys):
    real = _songs(20, rule=1, font="a", seed=1) + _songs(20, rule=1, font="b", seed=2)
    more = _songs(10, rule=-1, font="a", seed=3, subset="classical")
    generalisation(real, more, [], l2=0.002)
    out = capsys.readouterr().out
    assert "'more' edition (10 songs): Acc1 0.000 (classical 0.000)" in out


def test_each_soundfont_is_scored_by_a_model_fitted_on_the_other(capsys):
    real = _songs(20, rule=1, font="a", seed=1) + _songs(20, rule=-1, font="b", seed=2)
    generalisation(real, [], [], l2=0.002)
    out = capsys.readouterr().out
    assert "scored on the other (a / b; fit split and 'more'): Acc1 0.000 (drumless 0.000)" in out


def test_each_groove_is_scored_by_a_model_fitted_without_it(capsys):
    from benchmarks.fit_tempo import leave_one_groove_out

    base = _songs(30, rule=1, font="a", seed=1)
    same = [dict(s, style="same") for s in _songs(10, rule=1, font="a", seed=4)]
    odd = [dict(s, style="odd") for s in _songs(10, rule=-1, font="a", seed=5)]
    overall = leave_one_groove_out(base, same + odd, l2=0.002)
    out = capsys.readouterr().out
    assert "odd               10 songs  Acc1 0.000 (0.000)" in out
    assert "same              10 songs  Acc1 1.000 (1.000)" in out
    assert overall == 0.5 and "overall 0.500 (0.500)" in out


def test_edition_songs_of_the_scored_soundfont_are_not_trained_on(capsys):
    # Added songs (a fit-only edition) of soundfont b follow the opposite rule: fitted on
    # them, a model scoring b's songs would learn b's rule and score 1.0.
    real = _songs(20, rule=1, font="a", seed=1) + _songs(20, rule=-1, font="b", seed=2)
    added = [dict(s, gen="real") for s in _songs(40, rule=-1, font="b", seed=6)]
    generalisation(real, [], added, l2=0.002)
    out = capsys.readouterr().out
    assert "scored on the other (a / b; fit split and 'more'): Acc1 0.000" in out


def test_each_touched_edition_is_scored_by_a_model_fitted_without_it(capsys):
    from benchmarks.fit_tempo import leave_one_edition_out

    def songs(n, rule, gen, seed, font="a"):
        out = []
        for s in _songs(n, rule=rule, font=font, seed=seed):
            right = int(np.argmax(s["y"]))
            out.append(dict(s, gen=gen, cands=np.where(np.arange(2) == right, 60.0, 120.0)))
        return out

    base = songs(30, 1, "real", 1) + songs(20, 1, "fresh", 2)
    odd = songs(10, -1, "fourth", 3)  # the opposite rule: only a fit on it would learn it
    rows = leave_one_edition_out(base + odd, l2=0.002, reference=np.array([1.0]),
                                 fonts=False)
    out = capsys.readouterr().out
    assert set(rows) == {"fresh", "fourth"}
    assert rows["fourth"]["all"][:4] == (0.0, 1.0, 0.0, 1.0)  # doubled: Acc2 only
    assert rows["fresh"]["all"][0] == 1.0
    assert "fourth      10 songs  all 0.000 / 1.000 (0.000 / 1.000)" in out


def _wide_songs(n, seed):
    """Candidate tables as wide as the real ones: three candidates, the right one is the
    one whose feature 5 lies in a middle band (no linear score can say so)."""
    from core.analysis.tempo import FEATURE_NAMES

    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        x = rng.normal(size=(3, len(FEATURE_NAMES)))
        x[:, 5] = rng.permutation([rng.uniform(-3, -1), rng.uniform(-0.5, 0.5),
                                   rng.uniform(1, 3)])
        right = int(np.argmin(np.abs(x[:, 5])))
        out.append({"X": x, "y": np.arange(3) == right, "gen": "real", "subset": "clear",
                    "cands": np.array([60.0, 90.0, 120.0]), "bpm": [60.0, 90.0, 120.0][right]})
    return out


def test_the_decision_trees_learn_what_no_linear_score_can_and_survive_their_json_form():
    import json

    from benchmarks.fit_tempo import _hits, fit, fit_trees, scorer

    train, test = _wide_songs(200, 1), _wide_songs(100, 2)
    trees = json.loads(json.dumps(fit_trees(train, rounds=60)))  # as the shipped file
    w = fit(train, l2=0.002)
    linear = _hits(test, w)[0].mean()
    alone = _hits(test, scorer(np.zeros_like(w), trees))[0].mean()
    assert linear < 0.6 and alone > 0.95


def test_pinned_weights_are_kept_and_the_others_fitted_around_them():
    from benchmarks.fit_tempo import _hits, fit

    train = _wide_songs(200, 1)
    free = fit(train, l2=0.002)
    # hold the strongest column at zero: it stays there and the rest is refitted
    k = int(np.argmax(np.abs(free)))
    held = fit(train, l2=0.002, pinned={k: 0.0})
    assert held[k] == 0.0 and not np.allclose(np.delete(held, k), np.delete(free, k))
    # held at its free value, the fit finds the free weights again
    again = fit(train, l2=0.002, pinned={k: float(free[k])})
    assert np.allclose(again, free, atol=1e-3 * np.abs(free).max())
    assert _hits(train, again)[0].mean() == _hits(train, free)[0].mean()


def test_the_shipped_trees_read_the_current_features_and_other_features_are_refused():
    import json

    import pytest

    from core.analysis.tempo import FEATURE_NAMES, TREES_PATH, _trees, trees_from_json

    model = _trees()
    assert len(model.trees) > 0
    x = np.random.default_rng(0).normal(size=(4, len(FEATURE_NAMES)))
    from core.analysis.tempo import tree_inputs

    assert np.all(np.isfinite(model.predict(tree_inputs(x))))
    with open(TREES_PATH, encoding="utf-8") as f:
        data = json.load(f)
    data["features"] = data["features"][:-1]
    with pytest.raises(ValueError, match="other candidate features"):
        trees_from_json(data)


def test_the_fitting_scripts_score_candidates_as_the_analyzer_does():
    import json

    from benchmarks.fit_tempo import scorer
    from core.analysis.tempo import _WEIGHTS, FEATURE_NAMES, TREES_PATH, decision_scores

    with open(TREES_PATH, encoding="utf-8") as f:
        trees = json.load(f)
    x = np.random.default_rng(3).normal(size=(5, len(FEATURE_NAMES)))
    assert np.allclose(scorer(_WEIGHTS, trees)(x), decision_scores(x))
    # the shares' ends are the two parts alone
    assert np.allclose(scorer(_WEIGHTS, trees, 0.0)(x), x @ _WEIGHTS)
    assert not np.allclose(scorer(_WEIGHTS, trees, 1.0)(x), x @ _WEIGHTS)


def test_the_trees_shares_to_compare_are_numbers_from_0_to_1():
    import argparse

    import pytest

    from benchmarks.fit_tempo import _shares

    assert _shares("0,0.5,1") == (0.0, 0.5, 1.0)
    for bad in ("0.5,1.5", "half", "-0.1"):
        with pytest.raises(argparse.ArgumentTypeError):
            _shares(bad)


def test_the_trees_top_tempo_reaches_the_fitting_scripts_scores():
    import argparse
    import json

    import pytest

    from benchmarks.fit_tempo import _tops, scorer
    from core.analysis.tempo import _WEIGHTS, FEATURE_NAMES, TREES_PATH, decision_scores

    with open(TREES_PATH, encoding="utf-8") as f:
        trees = json.load(f)
    x = np.random.default_rng(4).normal(size=(2, len(FEATURE_NAMES)))
    x[:, FEATURE_NAMES.index("log2 tempo")] = np.log2(np.array([96.0, 192.0]) / 120.0)
    never = scorer(_WEIGHTS, trees, 1.0, float("inf"))(x)
    at_150 = scorer(_WEIGHTS, trees, 1.0, 150.0)(x)
    assert np.allclose(at_150, decision_scores(x, share=1.0, top=150.0))
    assert at_150[1] == pytest.approx(at_150[0])  # 192 takes the score of 96, its half
    assert never[1] != pytest.approx(never[0])
    assert _tops("180,185,inf") == (180.0, 185.0, float("inf"))
    for bad in ("30", "fast", "185,-1"):
        with pytest.raises(argparse.ArgumentTypeError):
            _tops(bad)


def test_a_band_mix_keeps_each_band_and_adds_bounded_shares_of_the_others():
    from benchmarks.fit_tempo import BANDMIX_GAIN, BANDMIX_LEAK, band_mix

    for seed in range(50):
        mix = band_mix(np.random.default_rng(seed))
        gains = np.diag(mix)
        assert mix.shape == (3, 3) and np.all(mix >= 0.0)
        assert np.all(gains >= 1.0 / BANDMIX_GAIN - 1e-12) and np.all(gains <= BANDMIX_GAIN + 1e-12)
        leak = mix / gains[None, :]  # the share of band j in band i, before j's gain
        for i in range(3):
            for j in range(3):
                if i != j:
                    assert leak[i, j] <= BANDMIX_LEAK[abs(i - j) - 1] + 1e-12
    assert np.array_equal(band_mix(np.random.default_rng(7)), band_mix(np.random.default_rng(7)))
    assert not np.allclose(band_mix(np.random.default_rng(7)), band_mix(np.random.default_rng(8)))


def test_remixed_copies_keep_their_truth_soundfont_and_edition(tmp_path):
    import soundfile as sf

    from benchmarks.fit_tempo import bandmixed_tables
    from benchmarks.synth import click_track

    items = []
    for i, bpm in enumerate((96.0, 120.0, 132.0, 150.0, 84.0, 110.0, 140.0, 100.0)):
        path = str(tmp_path / f"c{i}.wav")
        sf.write(path, click_track(bpm, 12.0, sr=22050), 22050)
        items.append({"id": f"c{i}", "path": path, "bpm": bpm, "style": "click",
                      "subset": "clear", "soundfont": "opl3" if i % 2 else "fluidr3"})
    copies = bandmixed_tables(str(tmp_path), items, source="fourth")
    again = bandmixed_tables(str(tmp_path), items, source="fourth")
    assert 1 <= len(copies) < len(items)  # about half the songs get a copy, always the same
    assert [c["group"] for c in copies] == [c["group"] for c in again]
    by_id = {it["id"]: it for it in items}
    for c in copies:
        it = by_id[c["group"].removesuffix("~mix")]
        assert c["gen"] == "bandmix" and c["source"] == "fourth"
        assert c["font"] == it["soundfont"] and c["subset"] == "clear" and c["bpm"] == it["bpm"]
        assert c["X"] is not None and c["y"].any()  # a click track keeps its beat


def test_accented_copies_are_read_from_the_editions_accented_folder_alone(tmp_path):
    import soundfile as sf

    from benchmarks.fit_tempo import accented_tables
    from benchmarks.synth import click_track

    os.makedirs(tmp_path / "accented" / "audio")
    items = []
    for i, bpm in enumerate((96.0, 120.0, 140.0)):
        name = f"audio/t{i}.flac"
        if i != 1:  # the second song has no accented copy
            sf.write(str(tmp_path / "accented" / name), click_track(bpm, 12.0, sr=22050), 22050)
        items.append({"id": f"t{i}", "file": name, "bpm": bpm, "style": "none",
                      "subset": "drumless", "soundfont": "fluidr3"})
    drift = str(tmp_path / "drift.flac")  # a file named by its absolute path has no copy
    sf.write(drift, click_track(100.0, 12.0, sr=22050), 22050)
    items.append({"id": "d0", "file": drift, "bpm": 100.0, "style": "none",
                  "subset": "drumless", "soundfont": "fluidr3"})
    copies = accented_tables(str(tmp_path), items, source="fourth")
    assert [c["group"] for c in copies] == ["t0~accented", "t2~accented"]
    for c, bpm in zip(copies, (96.0, 140.0), strict=True):
        assert c["gen"] == "accented" and c["source"] == "fourth" and c["bpm"] == bpm
        assert c["subset"] == "drumless" and c["font"] == "fluidr3" and c["y"].any()
    assert os.listdir(tmp_path / "accented" / "features")  # features cached beside the copies


def test_each_game_is_scored_by_a_model_fitted_on_the_other_games(capsys):
    from benchmarks.fit_tempo import leave_one_game_out

    wide = _songs(10, rule=1, font="a", seed=1)
    # Two games whose composers follow the rule the wide material does not teach, and one
    # that follows it: only a model fitted on the other games' songs, which then outnumber
    # the rest, learns the first two.
    midi = ([dict(s, gen="midisongs", subset="doom") for s in _songs(30, rule=-1, font=None, seed=2)]
            + [dict(s, gen="midisongs", subset="ttd") for s in _songs(30, rule=-1, font=None, seed=3)]
            + [dict(s, gen="midisongs", subset="blupi") for s in _songs(10, rule=1, font=None, seed=4)])
    rows = leave_one_game_out(wide, midi, l2=0.002, trees=False, reference=lambda x: x[:, 0])
    out = capsys.readouterr().out
    assert rows["doom"]["alone"][0] == 0.0 and rows["doom"]["now"][0] == 0.0
    assert rows["doom"]["with"][0] > 0.9 and rows["ttd"]["with"][0] > 0.9
    assert rows["blupi"]["alone"][0] == 1.0 and rows["blupi"]["now"][0] == 1.0
    assert "  doom        30 songs  " in out and "  all         70 songs  " in out


def test_a_game_left_out_is_not_among_the_songs_fitted_on(capsys):
    from benchmarks.fit_tempo import leave_one_game_out

    wide = _songs(10, rule=1, font="a", seed=1)
    # Fitted on its own 30 songs too, the lone game would outnumber the rest and score 1.0.
    midi = ([dict(s, gen="midisongs", subset="lone") for s in _songs(30, rule=-1, font=None, seed=5)]
            + [dict(s, gen="midisongs", subset="other") for s in _songs(5, rule=1, font=None, seed=6)])
    rows = leave_one_game_out(wide, midi, l2=0.002, trees=False, reference=lambda x: x[:, 0])
    capsys.readouterr()
    assert rows["lone"]["with"][0] == 0.0 and rows["other"]["with"][0] == 0.0


def test_the_trees_rounds_reach_every_trees_fit_of_the_edition_folds(capsys, monkeypatch):
    import benchmarks.fit_tempo as ft

    seen = []
    real_fit_trees = ft.fit_trees

    def counting(songs, *, rounds=ft.TREE_ROUNDS, balance=0.0):
        seen.append(rounds)
        return real_fit_trees(songs, rounds=rounds, balance=balance)

    monkeypatch.setattr(ft, "fit_trees", counting)
    songs = [dict(s, gen=gen) for gen, seed in (("real", 1), ("fresh", 2), ("fourth", 3))
             for s in _wide_songs(40, seed)]
    rows = ft.leave_one_edition_out(songs, l2=0.002, fonts=False, trees=True, rounds=7)
    out = capsys.readouterr().out
    assert seen == [7, 7]  # one refit per edition left out
    assert set(rows) == {"fresh", "fourth"}
    assert "with 7 trees" in out
    import pytest

    with pytest.raises(SystemExit):
        ft.main(["--loeo", "--trees", "--tree-rounds", "0"])


def test_tempo_balance_weighs_rare_tempos_up_and_keeps_the_mean():
    """Forty songs near 120 BPM and two at 200: balanced, each of the two weighs more than
    any of the forty, the mean stays 1 and no factor leaves the clip (1/4 to 4 of the mean:
    the two weighed 5.4 each, clipped before the mean was set); strength 0 is 1."""
    from benchmarks.fit_tempo import BALANCE_CLIP, tempo_balance

    songs = [{"bpm": 120.0 + 0.5 * i} for i in range(40)] + [{"bpm": 200.0}, {"bpm": 201.0}]
    f = tempo_balance(songs, 1.0)
    assert f[-2:].min() > f[:40].max()
    assert f.mean() == pytest.approx(1.0)
    assert f.max() <= BALANCE_CLIP + 1e-9 and f.min() >= 1.0 / BALANCE_CLIP - 1e-9
    alone = tempo_balance(songs[:41], 1.0)  # one song at 200 BPM: held at the clip
    assert alone[-1] == pytest.approx(BALANCE_CLIP) and alone.mean() == pytest.approx(1.0)
    assert np.all(tempo_balance(songs, 0.0) == 1.0)
    half = tempo_balance(songs, 0.5)
    assert 1.0 < half[-1] / half[0] < f[-1] / f[0]


def test_compound_copies_replace_their_originals_as_songs_of_the_same_edition():
    from benchmarks.fit_tempo import replaced_by_copies

    songs = [{"gen": "fourth", "group": "t1", "X": "orig1", "meter": "6/8"},
             {"gen": "fourth", "group": "t2", "X": "orig2", "meter": "2/4"},
             {"gen": "real", "group": "t1", "X": "orig3", "meter": "6/8"}]
    copies = [{"gen": "compound", "source": "fourth", "group": "t1~compound", "X": "copy1"},
              {"gen": "compound", "source": "fresh", "group": "t2~compound", "X": "copy2"}]
    out = replaced_by_copies(songs, copies)
    assert [s["X"] for s in out] == ["copy1", "orig2", "orig3"]  # same id, other edition: kept
    assert out[0] == {"gen": "fourth", "group": "t1", "X": "copy1", "meter": "6/8"}
    assert out[1] is songs[1] and songs[0]["X"] == "orig1"


def test_the_editions_left_out_can_be_scored_on_other_songs_than_those_fitted_on(capsys):
    from benchmarks.fit_tempo import leave_one_edition_out

    def songs(n, rule, gen, seed):
        out = []
        for s in _songs(n, rule=rule, font="a", seed=seed):
            right = int(np.argmax(s["y"]))
            out.append(dict(s, gen=gen, cands=np.where(np.arange(2) == right, 60.0, 120.0)))
        return out

    fitted = songs(30, 1, "real", 1) + songs(20, 1, "fresh", 2)
    scored = songs(10, -1, "fresh", 3)  # the opposite rule: the fit never learns it
    rows = leave_one_edition_out(fitted, l2=0.002, reference=np.array([1.0]), fonts=True,
                                 test_songs=scored)
    out = capsys.readouterr().out
    assert set(rows) == {"fresh"} and rows["fresh"]["all"][0] == 0.0
    assert "fresh       10 songs" in out
    assert "soundfont" not in out  # no engine or soundfont folds on other test songs


@pytest.mark.parametrize("argv", [
    ["--compound-replace", "fit"],  # neither --wide nor --loeo
    ["--wide", "--compound", "--compound-replace", "fit"],  # added and in place at once
    ["--wide", "--compound-replace", "reference"],  # the reference is an editions-left-out run
])
def test_the_compound_copies_are_asked_for_one_way_with_the_wide_material(argv, capsys):
    import benchmarks.fit_tempo as ft

    with pytest.raises(SystemExit):
        ft.main(argv)
    assert "compound" in capsys.readouterr().err


def test_an_octave_credit_goes_to_whole_octaves_and_thirds_and_leans_the_fit_to_them():
    """Candidates at x2, x1/2, x3 and x1/3 of the truth get the credit, a fifth off and the
    truth itself none; fitted with it, a candidate at the double outscores one a fifth off
    that the evidence cannot tell from it, and without it does not."""
    from benchmarks.fit_tempo import fit, fit_trees, with_octave_credit

    cands = np.array([60.0, 90.0, 120.0, 30.0, 180.0, 20.0, 40.0])
    song = {"X": np.zeros((7, 1)), "y": np.arange(7) == 0, "cands": cands, "bpm": 60.0}
    with_octave_credit([song], 0.25)
    np.testing.assert_allclose(song["credit"], [0, 0, 0.25, 0.25, 0.25, 0.25, 0])
    assert song["y"].dtype == bool  # the labels the scores are read from are untouched

    def songs(credit):
        # feature 0 marks the truth (noisily), feature 1 the double; the fifth has neither
        rng = np.random.default_rng(0)
        out = []
        for _ in range(40):
            x = np.array([[1.0, 0.0], [0.0, 0.0], [0.0, 1.0]]) + 0.3 * rng.normal(size=(3, 2))
            out.append({"X": x, "y": np.array([True, False, False]), "gen": "real",
                        "cands": np.array([60.0, 90.0, 120.0]), "bpm": 60.0})
        return with_octave_credit(out, credit) if credit else out

    probe = np.array([[0.0, 0.0], [0.0, 1.0]])  # a fifth off, the double
    plain = probe @ fit(songs(0.0), l2=0.001)
    credited = probe @ fit(songs(0.5), l2=0.001)
    assert plain[1] <= plain[0] and credited[1] > credited[0]
    # the trees see the credited candidates as partly right: more weight on the positives
    assert (fit_trees(songs(0.5), rounds=2)["baseline"]
            > fit_trees(songs(0.0), rounds=2)["baseline"])


def test_draws_are_fitted_on_as_one_realistic_source_and_nothing_else_of_their_folder(
        tmp_path, capsys):
    import benchmarks.fit_tempo as ft
    from benchmarks.synth import click_track
    from tests.core.evalset_stand_ins import write_draw

    rows = []
    for i, bpm in enumerate((96.0, 120.0, 140.0)):
        item = {"id": f"t{i}", "file": f"audio/t{i}.flac", "bpm": bpm, "style": "none",
                "subset": "drumless", "soundfont": "lmms", "split": "heldout", "draw": 95}
        # the third row was not rendered
        rows.append((item, click_track(bpm, 12.0, sr=22050) if i != 2 else None))
    rows[1][0].pop("draw")  # a row of the edition itself, not of a draw
    write_draw(tmp_path / "draw", rows)
    tables = ft.draw_tables([str(tmp_path / "draw")])
    assert [(t["gen"], t["bpm"], t["font"]) for t in tables] == [("draws", 96.0, "lmms")]
    assert tables[0]["y"].any()
    weights = ft.wide_weights(tables + [dict(tables[0], gen="real")])
    assert weights["draws"] == weights["real"]  # weighed by files, as the touched editions
    write_draw(tmp_path / "none", [])
    with pytest.raises(FileNotFoundError, match="no rendered draw"):
        ft.draw_tables([str(tmp_path / "none")])
    with pytest.raises(SystemExit):
        ft.main(["--draws", str(tmp_path / "draw")])  # without --wide
    assert "--draws needs --wide" in capsys.readouterr().err
