"""Calibration on a synthetic deck: cross-validated errors before and after.

Builds a deck of analyzer results and a streaming-style reference sheet (0-100 scales,
``Loud (Db)``, keys as ``G minor``) where

- reference tempo is the true tempo, except a few rows at half or double tempo;
- the analyzer's tempo is the true tempo +-1 %, with octave errors on some songs;
- reference energy, danceability and loudness are noisy linear functions of the true values,
  which the analyzer measures with noise; valence is reported as the analyzer sees it plus
  noise (no relation to learn);
- the analyzer's key is right on most songs, and otherwise mostly the relative key.

It then runs the whole calibration (match, fit, exports) and prints, per descriptor, the
cross-validated MAE before/after, tempo Acc1/Acc2 and key scores.

Run: ``/work/venv/bin/python benchmarks/calibration.py [N_SONGS] [SEED]``
"""

from __future__ import annotations

import os
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from core.calibration.session import CalibrationSession  # noqa: E402
from core.io.keynotation import Key  # noqa: E402
from core.io.results import RESULT_COLUMNS  # noqa: E402

WORDS = ("night blue fire river gold heart city dream light shadow summer rain echo wild "
         "silver storm ocean velvet neon paper glass sugar stone electric").split()


def make_deck(n: int = 120, seed: int = 0, *, half_double: int = 6):
    """Result rows (dicts) and reference CSV text for a synthetic deck of ``n`` songs."""
    rng = np.random.default_rng(seed)
    true_bpm = np.exp(rng.uniform(np.log(72), np.log(172), n))
    est_bpm = true_bpm * (1 + rng.normal(0, 0.008, n))
    octave = rng.random(n) < 0.2
    est_bpm[octave & (true_bpm < 100)] *= 2
    est_bpm[octave & (true_bpm >= 125)] /= 2
    ref_bpm = true_bpm.copy()
    planted = rng.choice(n, half_double, replace=False)
    ref_bpm[planted[::2]] /= 2
    ref_bpm[planted[1::2]] *= 2

    keys = [Key(int(rng.integers(12)), "minor" if rng.random() < 0.5 else "major")
            for _ in range(n)]
    est_keys = []
    for k in keys:
        u = rng.random()
        if u < 0.6:
            est_keys.append(k)
        elif u < 0.8 and k.mode == "major":
            est_keys.append(k.relative())  # this analyzer calls many major songs minor
        elif u < 0.9:
            est_keys.append(Key((k.tonic + 7) % 12, k.mode))
        else:
            est_keys.append(Key(int(rng.integers(12)), k.mode))

    truth = {d: rng.uniform(0.05, 0.95, n) for d in ("energy", "danceability", "valence",
                                                     "acousticness")}
    est = {d: np.clip(v + rng.normal(0, 0.04, n), 0, 1) for d, v in truth.items()}
    ref = {
        "energy": np.clip(0.7 * truth["energy"] + 0.25 + rng.normal(0, 0.04, n), 0, 1),
        "danceability": np.clip(1.3 * truth["danceability"] - 0.2 + rng.normal(0, 0.04, n),
                                0, 1),
        "valence": np.clip(est["valence"] + rng.normal(0, 0.04, n), 0, 1),
        "acousticness": np.clip(0.5 * truth["acousticness"] + 0.1 + rng.normal(0, 0.03, n),
                                0, 1),
    }
    true_lufs = rng.uniform(-20, -6, n)
    est_lufs = true_lufs + rng.normal(0, 0.5, n)
    ref_db = 0.9 * true_lufs + 4.0 + rng.normal(0, 0.6, n)

    results, lines = [], ["#,Song,Artist,BPM,Key,Camelot,Energy,Dance,Happy,Acoustic,Loud (Db)"]
    for i in range(n):
        title = f"{WORDS[i % len(WORDS)].title()} {WORDS[(i * 7 + 3) % len(WORDS)].title()} {i}"
        artist = f"Artist {i % 17}"
        row = {c: "" for c in RESULT_COLUMNS}
        row.update(path=f"/deck/{i:03d}_{artist}_{title}.wav", title=title, artist=artist,
                   status="done", bpm=f"{est_bpm[i]:.2f}", key=est_keys[i].name,
                   key_camelot=est_keys[i].camelot, loudness_lufs=f"{est_lufs[i]:.2f}",
                   **{d: f"{est[d][i]:.4f}" for d in est})
        results.append(row)
        ref_title = title + (" - Remastered 2011" if i % 9 == 0 else "")
        lines.append(",".join([
            str(i + 1), f'"{ref_title}"', artist, f"{ref_bpm[i]:.0f}", keys[i].name,
            keys[i].camelot, f"{100 * ref['energy'][i]:.0f}",
            f"{100 * ref['danceability'][i]:.0f}", f"{100 * ref['valence'][i]:.0f}",
            f"{100 * ref['acousticness'][i]:.0f}", f"{ref_db[i]:.1f}"]))
    return results, "\n".join(lines) + "\n"


def main(argv) -> int:
    n = int(argv[1]) if len(argv) > 1 else 120
    seed = int(argv[2]) if len(argv) > 2 else 0
    results, sheet = make_deck(n, seed)
    with tempfile.TemporaryDirectory() as tmp:
        ref = os.path.join(tmp, "ref.csv")
        with open(ref, "w", encoding="utf-8") as f:
            f.write(sheet)
        t0 = time.perf_counter()
        session = CalibrationSession()
        session.set_results(results, keys=range(len(results)))
        session.set_reference(ref)
        session.export(tmp)
        dt = time.perf_counter() - t0
    cal, m = session.calibration, session.match
    print(f"deck: {n} songs, seed {seed}; matched {len(m.matches)}, unmatched "
          f"{len(m.unmatched_songs)}; calibration took {dt:.2f} s")
    print(f"{'descriptor':<14}{'method':<11}{'n':>5}{'MAE before':>12}{'MAE after(CV)':>15}"
          f"{'slope':>8}{'intercept':>11}")
    t = cal.tempo
    print(f"{'bpm':<14}{t.correction.method:<11}{t.n:>5}{t.mae_before:>12.3f}"
          f"{t.mae_after:>15.3f}{t.correction.slope:>8.3f}{t.correction.intercept:>11.3f}")
    for name, d in cal.descriptors.items():
        c = d.correction
        print(f"{name:<14}{c.method:<11}{d.n:>5}{d.mae_before:>12.4f}{d.mae_after:>15.4f}"
              f"{c.slope:>8.3f}{c.intercept:>11.3f}")
    print(f"tempo rule: {t.rule.describe()}; Acc1 {t.acc1_before:.3f} -> {t.acc1_after:.3f}; "
          f"Acc2 {t.acc2_before:.3f} -> {t.acc2_after:.3f} (CV)")
    k = cal.key
    print(f"key: {k.correction.describe()}; accuracy {k.accuracy_before:.3f} -> "
          f"{k.accuracy_after:.3f}; weighted {k.weighted_before:.3f} -> "
          f"{k.weighted_after:.3f} (CV)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
