"""The ``fifth`` edition's renderers and rendering variation, per item.

**Renderers.**  About a third of the items are rendered by TiMidity++ with the ``freepats``
GUS patches (packages ``timidity`` and ``freepats``): a synthesis engine and an instrument
set that no other edition uses (``renderer`` ``"timidity"``, ``soundfont`` ``"freepats"``
in the manifest); the others by FluidSynth with a held-out soundfont (``renderer``
``"fluidsynth"``).  freepats lacks part of General MIDI, so a TiMidity render plays each
missing program with the nearest freepats program of its family (:func:`freepats_program`)
and every drum kit with the freepats kit.  Debian's TiMidity always reads its default
configuration, which maps programs to FluidR3 (a fit soundfont); :func:`timidity` therefore
fails a render that loads any SoundFont instrument.

**Variation.**  :func:`vary_fifth` draws, for each planned item, the ``unseen`` edition's
detuning, room and master (:func:`benchmarks.evalunseen.vary`), the ``fourth`` edition's
kinds at lower rates (a sway or ramp drift of tunes, tape wow, a pumping or radio bus, mono
or wide; see :mod:`benchmarks.evalfourthrender`) and four new kinds, all in the manifest:

* ``drift`` ``"step"`` (tunes only): the tempo steps once, at ``step_at`` (a fraction of
  the file), from ``drift_pct`` per cent below to as far above the mean (or the reverse,
  negative ``drift_pct``), 2-3.5 %, over about a second; the file holds as many beats as at
  the planned tempo, so the truth, ``bpm``, is the mean tempo.
* ``floor``: a noise floor ``floor_db`` below the mix's RMS (28-42 dB): ``"vinyl"``
  (crackle, rumble and hiss), ``"hiss"`` (pink tape hiss), ``"hum"`` (``hum_hz`` mains hum
  with harmonics) or ``"none"``.
* ``echo``: ``"slap"``, a tempo-free slapback echo of the whole mix (``echo_ms`` 70-190 ms,
  ``echo_feedback``, ``echo_mix``), a room no other edition has; or ``"none"``.
* ``fade``: ``"in"`` (``fade_in_s``, 3-8 s), ``"out"`` (``fade_out_s``, 4-10 s),
  ``"both"`` or ``"none"``.
"""

from __future__ import annotations

import os
import re
import subprocess

import numpy as np

#: Length of every file of the edition (s).
SECONDS = 30.0
#: The configuration of the freepats patches.
FREEPATS_CFG = "/etc/timidity/freepats.cfg"
#: General MIDI programs that freepats has (bank 0 of ``freepats.cfg``).
FREEPATS_PROGRAMS = (0, 1, 2, 4, 5, 6, 7, 8, 9, 13, 14, 15, 16, 19, 21, 23, 24, 25, 26, 27,
                     28, 29, 30, 32, 33, 34, 35, 36, 37, 38, 40, 42, 44, 45, 46, 47, 48, 53,
                     56, 57, 58, 59, 60, 61, 64, 65, 66, 67, 68, 69, 70, 71, 72, 73, 74, 75,
                     76, 79, 80, 84, 88, 94, 95, 98, 101, 102, 104, 114, 115, 120, 122, 125)
#: Percussion notes of the freepats drum set (drumset 0).
FREEPATS_DRUMS = (25, 26, 27, *range(31, 83), 84)
__all__ = ["SECONDS", "FREEPATS_CFG", "FREEPATS_PROGRAMS", "FREEPATS_DRUMS", "vary_fifth",
           "step_map", "noise_floor", "slapback", "fade", "freepats_program", "timidity",
           "render_fifth"]


def vary_fifth(items: list[dict], *, seed: int, timidity_share: float = 0.35) -> list[dict]:
    """Give the items their renderer and variation (in place); see the module docstring.

    Every item is made :data:`SECONDS` long.  The draws depend only on ``seed`` and the
    item's id.  About ``timidity_share`` of the items are rendered by TiMidity++; of the
    tunes about 15 % sway, 15 % ramp and 15 % step; of all items about 12 % have wow, 12 % a
    pumping bus and 8 % a radio band, 10 % are mono and 10 % wide, 35 % have a noise floor,
    20 % a slapback echo and 30 % a fade.

    Parameters
    ----------
    items : list of dict
        Planned items (see :func:`benchmarks.evalset.plan`).
    seed : int
        Seed of the edition.
    timidity_share : float
        Share of the items rendered by TiMidity++ with freepats.

    Returns
    -------
    list of dict
        The same items.
    """
    from benchmarks.evalfourthrender import vary_bus
    from benchmarks.evalunseen import item_rng, vary

    vary(items, seed=seed)
    for it in items:
        it["seconds"] = SECONDS
        rng = item_rng(it["id"], seed, 5)
        u = rng.random(8)
        it["renderer"] = "fluidsynth"
        if u[0] < timidity_share:
            it.update(renderer="timidity", soundfont="freepats")
        it.update(drift="steady", drift_pct=0.0)
        pct = round(float(rng.uniform(2.0, 3.5)), 2) * float(rng.choice([-1.0, 1.0]))
        if it["id"].startswith("t") and u[1] < 0.45:
            if u[1] < 0.15:
                it.update(drift="sway", drift_pct=abs(pct),
                          drift_period_s=round(float(rng.uniform(8, 20)), 1),
                          drift_phase=round(float(rng.uniform(0, 2 * np.pi)), 3))
            elif u[1] < 0.3:
                it.update(drift="ramp", drift_pct=pct)
            else:
                it.update(drift="step", drift_pct=pct,
                          step_at=round(float(rng.uniform(0.35, 0.65)), 3))
        vary_bus(it, rng, u[2:5], wow=0.12, pump=0.12, radio=0.08, mono=0.1, wide=0.1)
        it["floor"] = "none"
        if u[5] < 0.35:
            it.update(floor=("vinyl", "hiss", "hum")[int(u[5] / 0.35 * 3)],
                      floor_db=round(float(rng.uniform(28, 42)), 1))
            if it["floor"] == "hum":
                it["hum_hz"] = float(rng.choice([50.0, 60.0]))
        it["echo"] = "none"
        if u[6] < 0.2:
            it.update(echo="slap", echo_ms=round(float(rng.uniform(70, 190))),
                      echo_feedback=round(float(rng.uniform(0.1, 0.35)), 2),
                      echo_mix=round(float(rng.uniform(0.25, 0.5)), 2))
        it["fade"] = "none"
        if u[7] < 0.3:
            it["fade"] = ("in", "out", "both")[min(int(u[7] / 0.1), 2)]
            if it["fade"] in ("in", "both"):
                it["fade_in_s"] = round(float(rng.uniform(3, 8)), 1)
            if it["fade"] in ("out", "both"):
                it["fade_out_s"] = round(float(rng.uniform(4, 10)), 1)
    return items


def step_map(seconds: float, *, pct: float, at: float, ramp_s: float = 1.0):
    """The warp of a tempo step: real time at each time of the steady performance.

    Parameters
    ----------
    seconds : float
        Length of the file (s); the event at ``seconds`` of the steady performance still
        sounds at ``seconds``, so the mean tempo over the file is kept.
    pct : float
        The tempo goes from ``pct`` per cent below the mean to ``pct`` above (``pct`` < 0:
        from above to below).
    at : float
        Where the step is, as a fraction of the file (0-1).
    ramp_s : float
        About how long the change takes (s).

    Returns
    -------
    (ndarray, ndarray)
        Steady times and real times (s) on a grid to interpolate, up to 20 s past the end.

    Raises
    ------
    ValueError
        When ``at`` is not inside the file.
    """
    if not 0.0 < at < 1.0:
        raise ValueError(f"the step must be inside the file, not at {at!r}")
    grid = np.linspace(0.0, seconds + 20.0, int((seconds + 20.0) * 200) + 1)
    shape = np.tanh((grid - at * seconds) / (ramp_s / 2))
    inside = grid <= seconds
    rate = 1.0 + pct / 100.0 * (shape - np.mean(shape[inside]))
    step = np.diff(grid)
    real = np.concatenate([[0.0], np.cumsum(step * 0.5 * (1 / rate[1:] + 1 / rate[:-1]))])
    real *= seconds / float(np.interp(seconds, grid, real))
    return grid, real


def _retimer(item: dict):
    if item.get("drift", "steady") == "steady":
        return None
    from benchmarks.evalfourthrender import _retimer as fourth_retimer
    from benchmarks.evalfourthrender import warp_events

    if item["drift"] != "step":
        return fourth_retimer(item)
    return warp_events(*step_map(item["seconds"], pct=item["drift_pct"], at=item["step_at"]))


def _pink(rng, n: int) -> np.ndarray:
    """Pink-ish noise (a -3 dB/octave filter on white noise), unit RMS."""
    import scipy.signal

    b = [0.049922035, -0.095993537, 0.050612699, -0.004408786]
    a = [1.0, -2.494956002, 2.017265875, -0.522189400]
    z = scipy.signal.lfilter(b, a, rng.normal(0.0, 1.0, n + 2000))[2000:]
    return z / (np.std(z) or 1.0)


def noise_floor(y: np.ndarray, sr: int, *, kind: str, db: float, seed: int,
                hum_hz: float = 50.0) -> np.ndarray:
    """The mix with a noise floor ``db`` dB below its RMS.

    Parameters
    ----------
    y : ndarray
        Audio, frames x channels.
    sr : int
        Sample rate (Hz).
    kind : str
        ``"vinyl"`` (crackle, rumble and hiss), ``"hiss"`` (pink noise), ``"hum"`` (mains
        hum at ``hum_hz`` with its 2nd to 5th harmonics) or ``"none"``.
    db : float
        How far below the mix's RMS the floor's RMS is (dB).
    seed : int
        Seed of the noise.

    Returns
    -------
    ndarray
        The mix with the floor added.

    Raises
    ------
    ValueError
        For an unknown ``kind``.
    """
    if kind == "none":
        return y
    import scipy.signal

    rng = np.random.default_rng(seed)
    n, chans = y.shape
    t = np.arange(n) / sr
    if kind == "hiss":
        z = np.stack([_pink(rng, n) for _ in range(chans)], axis=1)
    elif kind == "hum":
        wave = sum(a * np.sin(2 * np.pi * k * hum_hz * t + k)
                   for k, a in ((1, 1.0), (2, 0.5), (3, 0.35), (4, 0.15), (5, 0.1)))
        z = np.repeat(wave[:, None], chans, axis=1)
    elif kind == "vinyl":
        hiss = np.stack([_pink(rng, n) for _ in range(chans)], axis=1) * 0.4
        sos = scipy.signal.butter(2, 30.0, btype="lowpass", fs=sr, output="sos")
        rumble = scipy.signal.sosfilt(sos, rng.normal(0.0, 1.0, n))
        rumble = rumble / (np.std(rumble) or 1.0) * 0.6
        crackle = np.zeros((n, chans))
        count = rng.poisson(rng.uniform(8, 30) * n / sr)
        where = rng.integers(0, n, count)
        amps = rng.pareto(2.5, count) + 1.0
        side = rng.random(count)
        for w, a, s in zip(where, amps, side, strict=True):
            crackle[w, 0 if s < 0.4 else 1 if s < 0.8 else slice(None)] += a * rng.choice([-1, 1])
        sos = scipy.signal.butter(2, 1500.0, btype="highpass", fs=sr, output="sos")
        crackle = scipy.signal.sosfilt(sos, crackle, axis=0) * 6.0
        z = hiss + rumble[:, None] + crackle
    else:
        raise ValueError(f"unknown noise floor {kind!r}")
    level = float(np.sqrt(np.mean(y ** 2))) or 1e-4
    z = z / (float(np.sqrt(np.mean(z ** 2))) or 1.0) * level * 10 ** (-db / 20)
    return y + z


def slapback(y: np.ndarray, sr: int, *, ms: float, feedback: float, mix: float) -> np.ndarray:
    """A slapback echo: the mix repeated every ``ms`` milliseconds, each repeat
    ``feedback`` times the last, the echoes ``mix`` times as loud as the dry mix."""
    d = max(1, int(round(ms / 1000 * sr)))
    wet = np.zeros_like(y)
    gain, k = 1.0, 1
    while gain > 1e-3 and k * d < len(y):
        wet[k * d:] += gain * y[: len(y) - k * d]
        gain *= feedback
        k += 1
    return y + mix * wet


def fade(y: np.ndarray, sr: int, *, fade_in_s: float = 0.0, fade_out_s: float = 0.0):
    """Raised-cosine fades at the start (``fade_in_s``) and at the end (``fade_out_s``)."""
    gain = np.ones(len(y))
    for length, at_start in ((fade_in_s, True), (fade_out_s, False)):
        n = min(int(length * sr), len(y))
        if n > 0:
            ramp = 0.5 - 0.5 * np.cos(np.pi * np.arange(n) / n)
            if at_start:
                gain[:n] *= ramp
            else:
                gain[len(y) - n:] *= ramp[::-1]
    return y * gain[:, None]


def _post(item: dict):
    from benchmarks.evalfourthrender import _post as fourth_post

    fourth = fourth_post(item)

    def post(y, sr):
        if item.get("echo") == "slap":
            y = slapback(y, sr, ms=item["echo_ms"], feedback=item["echo_feedback"],
                         mix=item["echo_mix"])
        y = fourth(y, sr)
        y = noise_floor(y, sr, kind=item.get("floor", "none"), db=item.get("floor_db", 40.0),
                        seed=item["seed"] + 7, hum_hz=item.get("hum_hz", 50.0))
        return fade(y, sr, fade_in_s=item.get("fade_in_s", 0.0),
                    fade_out_s=item.get("fade_out_s", 0.0))

    return post


def freepats_program(program: int) -> int:
    """The freepats program that plays General MIDI ``program``: itself if freepats has it,
    else the nearest one of the same family of eight (the lower one on a tie), else 0."""
    if program in FREEPATS_PROGRAMS:
        return program
    family = [p for p in FREEPATS_PROGRAMS if p // 8 == program // 8]
    if not family:
        return 0
    return min(family, key=lambda p: (abs(p - program), p))


def _freepats_midi(src: str, dst: str) -> None:
    """Rewrite a MIDI file for freepats: programs it lacks mapped by :func:`freepats_program`,
    the drum kit set to its only kit, drum notes it lacks dropped."""
    import mido

    mf = mido.MidiFile(src)
    for track in mf.tracks:
        carry = 0
        kept = mido.MidiTrack()
        for msg in track:
            if msg.type in ("note_on", "note_off") and msg.channel == 9 \
                    and msg.note not in FREEPATS_DRUMS:
                carry += msg.time
                continue
            msg = msg.copy(time=msg.time + carry)
            carry = 0
            if msg.type == "program_change":
                msg = msg.copy(program=0 if msg.channel == 9 else freepats_program(msg.program))
            kept.append(msg)
        track[:] = kept
    mf.save(dst)


def timidity(mid: str, wav: str, *, sr: int, soundfont: str = FREEPATS_CFG) -> None:
    """Render a MIDI file to a WAV file with TiMidity++ and the freepats patches.

    Parameters
    ----------
    mid, wav : str
        The MIDI file read and the WAV file written (16-bit stereo).
    sr : int
        Sample rate (Hz).
    soundfont : str
        The TiMidity configuration of the patches (default :data:`FREEPATS_CFG`).

    Raises
    ------
    RuntimeError
        When TiMidity++ fails, writes nothing or loads an instrument from a SoundFont
        (Debian's default configuration maps the programs to FluidR3).
    """
    fixed = mid[:-4] + "_freepats.mid"
    _freepats_midi(mid, fixed)
    cmd = ["timidity", "-c", soundfont, "-idvv", "-Ow", "--output-stereo", "--output-16bit",
           "-s", str(sr), "-EFreverb=0", "-EFchorus=0", "-o", wav, fixed]
    proc = subprocess.run(cmd, capture_output=True, timeout=600, check=False, text=True)
    log = proc.stdout + proc.stderr
    if proc.returncode != 0 or not os.path.exists(wav):
        raise RuntimeError(f"timidity failed: {log[-300:]!r}")
    loaded = re.findall(r"Loading SF \w+ \d+ \d+: .*", log)
    if loaded:
        raise RuntimeError(f"timidity played SoundFont instruments, not freepats: {loaded[:3]}")


def render_fifth(item: dict, source: dict, soundfont: str, out_path: str) -> None:
    """Render one item of the fifth edition with its renderer and variation.

    Raises
    ------
    RuntimeError
        When the renderer fails or writes nothing.
    """
    from benchmarks.evalrender import fluidsynth, render_item

    synth = timidity if item.get("renderer") == "timidity" else fluidsynth
    render_item(item, source, soundfont, out_path, retime=_retimer(item), post=_post(item),
                synth=synth)
