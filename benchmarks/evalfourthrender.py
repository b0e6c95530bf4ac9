"""The ``fourth`` edition's rendering variation: drift, wow, bus and stereo image, per item.

:func:`vary_fourth` draws, for each planned item, the ``unseen`` edition's detuning, room
and master (:func:`benchmarks.evalunseen.vary`) and four new kinds of variation, all written
to the manifest; :func:`render_fourth` renders an item with them through
:func:`benchmarks.evalrender.render_item`:

* ``drift`` (tunes only): ``"sway"`` (the tempo swings slowly, a sine of period
  ``drift_period_s``) or ``"ramp"`` (a steady accelerando or ritardando over the file), by
  up to ``drift_pct`` per cent either way (2-3.5 %, inside the 4 % of a correct answer).
  The drift is normalized so that the file holds exactly as many beats as at the planned
  tempo: the truth, ``bpm``, is the mean tempo over the file.  ``"steady"`` otherwise.
* ``wow_pct`` and ``wow_hz``: tape wow, a slow periodic speed change of the whole mix
  (0.1-0.3 % at 0.4-1.5 Hz; a few cents of pitch, the mean tempo unchanged), or 0.
* ``bus``: ``"pump"`` (a fast, heavy compressor on the whole mix, ratio ``pump_ratio`` and
  release ``pump_release_ms``: the loud hits duck everything else), ``"radio"`` (a band
  from ``radio_band`` Hz, about 300 to 3,400, with soft saturation; the master colour is
  then plain) or ``"plain"``.
* ``width``: ``"mono"`` (both channels the same), ``"wide"`` (the side signal raised by
  ``width_gain``) or ``"stereo"``.
"""

from __future__ import annotations

import numpy as np

#: Length of every file of the edition (s).
SECONDS = 30.0
__all__ = ["SECONDS", "vary_fourth", "vary_bus", "drift_map", "warp_events", "wow", "pump", "radio", "stereo_width", "render_fourth"]


def vary_fourth(items: list[dict], *, seed: int) -> list[dict]:
    """Give the items the unseen edition's variation and the four new kinds (in place).

    Every item is made :data:`SECONDS` long.  The draws depend only on ``seed`` and the
    item's id.  About 40 % of the tunes drift, about 20 % of all items have wow, 20 % a
    pumping bus and 15 % a radio band, 15 % are mono and 15 % wide.

    Parameters
    ----------
    items : list of dict
        Planned items (see :func:`benchmarks.evalset.plan`).
    seed : int
        Seed of the edition.

    Returns
    -------
    list of dict
        The same items.
    """
    from benchmarks.evalunseen import item_rng, vary

    vary(items, seed=seed)
    for it in items:
        it["seconds"] = SECONDS
        rng = item_rng(it["id"], seed, 4)
        u = rng.random(5)
        it.update(drift="steady", drift_pct=0.0)
        if it["id"].startswith("t") and u[0] < 0.4:
            pct = round(float(rng.uniform(2.0, 3.5)), 2)
            if u[1] < 0.55:
                it.update(drift="sway", drift_pct=pct,
                          drift_period_s=round(float(rng.uniform(8, 20)), 1),
                          drift_phase=round(float(rng.uniform(0, 2 * np.pi)), 3))
            else:
                it.update(drift="ramp", drift_pct=pct * float(rng.choice([-1.0, 1.0])))
        vary_bus(it, rng, u[2:5], wow=0.2, pump=0.2, radio=0.15, mono=0.15, wide=0.15)
    return items


def vary_bus(it: dict, rng, u, *, wow: float, pump: float, radio: float, mono: float,
             wide: float) -> dict:
    """Draw an item's tape wow, bus (pumping compressor or radio band) and stereo image.

    Parameters
    ----------
    it : dict
        The item (updated in place and returned).
    rng : numpy.random.Generator
        The item's own generator (its values are drawn from it, in a fixed order).
    u : sequence of 3 floats
        Uniform draws in [0, 1) deciding wow, bus and image.
    wow, pump, radio, mono, wide : float
        Share of the items with wow, a pumping bus, a radio band, a mono and a wide image.
    """
    it.update(wow_pct=0.0, wow_hz=0.0)
    if u[0] < wow:
        it.update(wow_pct=round(float(rng.uniform(0.1, 0.3)), 3),
                  wow_hz=round(float(rng.uniform(0.4, 1.5)), 2))
    it["bus"] = "plain"
    if u[1] < pump:
        it.update(bus="pump", pump_ratio=round(float(rng.uniform(6, 12)), 1),
                  pump_release_ms=round(float(rng.uniform(80, 250))))
    elif u[1] < pump + radio:
        it.update(bus="radio", master="plain",
                  radio_band=[round(float(rng.uniform(250, 400))),
                              round(float(rng.uniform(2800, 3800)))])
        it.pop("lowpass_hz", None)
        it.pop("shelf_db", None)
    it["width"] = "stereo"
    if u[2] < mono:
        it["width"] = "mono"
    elif u[2] < mono + wide:
        it.update(width="wide", width_gain=round(float(rng.uniform(1.6, 2.2)), 2))
    return it


def drift_map(seconds: float, *, kind: str, pct: float, period_s: float = 12.0,
              phase: float = 0.0):
    """The warp of a tempo drift: real time at each time of the steady performance.

    Parameters
    ----------
    seconds : float
        Length of the file (s); the steady performance and the drifting one both place
        the event at ``seconds`` at ``seconds``, so the mean tempo over the file is kept.
    kind : str
        ``"sway"`` (a sine of period ``period_s``, s, starting at ``phase``, radians) or
        ``"ramp"`` (linear over the file; ``pct`` > 0 speeds up).
    pct : float
        Largest tempo change either way, per cent.

    Returns
    -------
    (ndarray, ndarray)
        Steady times and real times (s) on a grid to interpolate, up to 20 s past the end.

    Raises
    ------
    ValueError
        For an unknown ``kind``.
    """
    grid = np.linspace(0.0, seconds + 20.0, int((seconds + 20.0) * 200) + 1)
    if kind == "sway":
        shape = np.sin(2 * np.pi * grid / period_s + phase)
    elif kind == "ramp":
        shape = np.clip((grid - seconds / 2) / (seconds / 2), -1.0, 1.0)
    else:
        raise ValueError(f"unknown drift {kind!r}")
    inside = grid <= seconds
    rate = 1.0 + pct / 100.0 * (shape - np.mean(shape[inside]))
    step = np.diff(grid)
    real = np.concatenate([[0.0], np.cumsum(step * 0.5 * (1 / rate[1:] + 1 / rate[:-1]))])
    real *= seconds / float(np.interp(seconds, grid, real))
    return grid, real


def _retimer(item: dict):
    grid, real = drift_map(item["seconds"], kind=item["drift"], pct=item["drift_pct"],
                           period_s=item.get("drift_period_s", 12.0),
                           phase=item.get("drift_phase", 0.0))
    return warp_events(grid, real)


def warp_events(grid: np.ndarray, real: np.ndarray):
    """A ``retime(events)`` for :func:`benchmarks.evalrender.render_item` that moves every
    note's start and end from steady time (``grid``) to real time (``real``)."""

    def retime(events):
        out = []
        for t, d, note, vel, ch in events:
            t0, t1 = np.interp([t, t + d], grid, real)
            out.append((float(t0), float(max(t1 - t0, 0.02)), note, vel, ch))
        return out

    return retime


def wow(y: np.ndarray, sr: int, *, pct: float, hz: float) -> np.ndarray:
    """Tape wow: the mix read at a speed that swings by ``pct`` per cent at ``hz``."""
    t = np.arange(len(y)) / sr
    depth = pct / 100.0 / (2 * np.pi * hz)  # seconds of delay swing for that speed swing
    where = np.clip(t + depth * np.sin(2 * np.pi * hz * t), 0.0, t[-1])
    return np.stack([np.interp(where, t, y[:, c]) for c in range(y.shape[1])], axis=1)


def pump(y: np.ndarray, sr: int, *, ratio: float, release_ms: float) -> np.ndarray:
    """A heavy bus compressor: 2 ms attack, ``release_ms`` release, threshold 18 dB below
    the loudest 5 ms blocks, ``ratio``:1 above it."""
    block = max(1, int(0.005 * sr))
    n = len(y) // block
    if n == 0:
        return y
    power = np.mean(y[: n * block] ** 2, axis=1).reshape(n, block).mean(axis=1)
    level = 10 * np.log10(power + 1e-12)
    thr = float(np.max(level)) - 18.0
    over = np.maximum(level - thr, 0.0)
    target = -over * (1 - 1 / ratio)
    att, rel = np.exp(-0.005 / 0.002), np.exp(-0.005 / (release_ms / 1000))
    gain = np.empty(n)
    g = 0.0
    for i, want in enumerate(target):
        coef = att if want < g else rel
        g = coef * g + (1 - coef) * want
        gain[i] = g
    centres = (np.arange(n) + 0.5) * block
    g_s = np.interp(np.arange(len(y)), centres, gain)
    return y * (10 ** (g_s / 20))[:, None]


def radio(y: np.ndarray, sr: int, *, band: tuple[float, float]) -> np.ndarray:
    """A band-limited "radio" master: a fourth-order band-pass and soft saturation."""
    import scipy.signal

    sos = scipy.signal.butter(4, list(band), btype="bandpass", fs=sr, output="sos")
    z = scipy.signal.sosfiltfilt(sos, y, axis=0)
    peak = float(np.max(np.abs(z))) or 1.0
    return np.tanh(2.0 * z / peak) * peak / 2.0


def stereo_width(y: np.ndarray, *, width: str, gain: float = 1.0) -> np.ndarray:
    """``"mono"``: both channels the mid signal; ``"wide"``: the side signal times ``gain``."""
    if width == "stereo" or y.shape[1] < 2:
        return y
    mid, side = (y[:, 0] + y[:, 1]) / 2, (y[:, 0] - y[:, 1]) / 2
    side = side * (0.0 if width == "mono" else gain)
    return np.stack([mid + side, mid - side], axis=1)


def _post(item: dict):
    def post(y, sr):
        if item.get("wow_pct"):
            y = wow(y, sr, pct=item["wow_pct"], hz=item["wow_hz"])
        if item.get("bus") == "pump":
            y = pump(y, sr, ratio=item["pump_ratio"], release_ms=item["pump_release_ms"])
        elif item.get("bus") == "radio":
            y = radio(y, sr, band=tuple(item["radio_band"]))
        return stereo_width(y, width=item.get("width", "stereo"),
                            gain=item.get("width_gain", 1.0))

    return post


def render_fourth(item: dict, source: dict, soundfont: str, out_path: str) -> None:
    """Render one item of the fourth edition with its drift, wow, bus and stereo image.

    Raises
    ------
    RuntimeError
        When FluidSynth fails or writes nothing.
    """
    from benchmarks.evalrender import render_item

    retime = _retimer(item) if item.get("drift", "steady") != "steady" else None
    render_item(item, source, soundfont, out_path, retime=retime, post=_post(item))
