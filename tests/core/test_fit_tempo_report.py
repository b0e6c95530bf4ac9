"""The generalisation report of the tempo fitting script scores songs it was not fitted on."""

from __future__ import annotations

import numpy as np

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
