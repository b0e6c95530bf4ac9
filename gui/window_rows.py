"""Actions on the selected songs: listen to one, correct its tempo or key, give it more time,
skip it, remove it from the list (:meth:`gui.window_session.SessionMixin.remove_selected`).

Part of :class:`gui.main_window.MainWindow` (a mixin).  Each command is one ``QAction``
shared by the Edit and Batch menus, the table's context menu and the bar above the table.
A correction is the user's own value, recorded beside the analyzer's
(:meth:`core.batch.rules.Batch.correct`): ``bpm_user`` and ``key_user`` in the results CSV,
a pencil mark in the table; the analyzer's ``bpm`` and ``key`` are never changed.
"""

from __future__ import annotations

import logging
import os

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QInputDialog, QMenu, QToolButton

from core.batch.rules import ACTIVE_STATES, USER_TEMPO_RANGE, SongState, scaled_user_tempo
from core.io.keynotation import PITCH_NAMES
from gui.formatting import alternative_tempi, spell_key
from gui.preview import AudioPreview
from gui.tempo_dialog import SetTempoDialog

__all__ = ["RowActionsMixin", "KEY_NAMES", "TEMPO_RATIOS", "tempo_alternatives"]

log = logging.getLogger(__name__)

#: The 24 keys offered as a correction, spelled as the analyzer spells them.
KEY_NAMES = tuple(f"{p} {m}" for m in ("major", "minor") for p in PITCH_NAMES)
#: The metrical levels offered beside the octaves (x2, /2 have actions of their own): a
#: tempo read on the dotted beat or on the triplet pulse is off by 3/2 or 2/3, one read on
#: a figuration of three or four notes to a beat by 4/3 or 3/4, one read on a group of five
#: (quintuplets, a 5/4 bar's pulse against its beat) by 5/4 or 4/5.
TEMPO_RATIOS = ((1.5, "Tempo \u00d73/2"), (2.0 / 3.0, "Tempo \u00d72/3"),
                (4.0 / 3.0, "Tempo \u00d74/3"), (0.75, "Tempo \u00d73/4"),
                (1.25, "Tempo \u00d75/4"), (0.8, "Tempo \u00d74/5"))
#: What a tempo correction returns for a song it cannot scale (no tempo to start from, or
#: one the scale would take out of :data:`TEMPO_LIMITS`).
_NO_TEMPO = object()
#: Tempi the Set Tempo dialog accepts, and scaled tempi stay in (BPM).
TEMPO_LIMITS = USER_TEMPO_RANGE


class _OpeningMenu(QMenu):
    """A menu that names itself when it opens (``opening``): one slot fills any of the
    menus made alike, each told which it fills, by a plain bound method."""

    opening = Signal(QMenu)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.aboutToShow.connect(self._say_opening)

    def _say_opening(self) -> None:
        self.opening.emit(self)


def _shown_bpm(result) -> float | None:
    """The tempo the table shows for ``result``: the user's when set, else the analyzer's."""
    return result.bpm_user if result.bpm_user is not None else result.bpm


def _scalable(done) -> bool:
    """Whether any of the done jobs ``done`` shows a tempo to scale."""
    return any(_shown_bpm(j.result) for j in done)


def tempo_alternatives(result) -> list[float]:
    """The tempi the analyzer weighed for ``result`` (its ``bpm_alternatives``, best first,
    the chosen tempo among them), without unreadable entries."""
    out = []
    for value in alternative_tempi(result.bpm_alternatives):
        if TEMPO_LIMITS[0] <= value <= TEMPO_LIMITS[1] and value not in out:
            out.append(value)
    return out


class RowActionsMixin:
    """Row actions of the main window."""

    def _make_row_actions(self) -> None:
        self.preview_action = self._act(
            "Pre&view Song", self.preview_selected, "Ctrl+P", None,
            "Play 20 seconds of the selected song (again to stop)", short="\u25b6 Preview")
        self.bpm_double_action = self._act(
            "Tempo \u00d72", self.double_tempo, "Ctrl+Shift+Up", None,
            "Your tempo for the selected songs: twice the one shown (recorded as bpm_user)",
            short="BPM \u00d72")
        self.bpm_half_action = self._act(
            "Tempo \u00f72", self.halve_tempo, "Ctrl+Shift+Down", None,
            "Your tempo for the selected songs: half the one shown (recorded as bpm_user)",
            short="BPM \u00f72")
        self.tempo_action = self._act(
            "Set Te&mpo\u2026", self.choose_tempo, "Ctrl+B", None,
            "Your tempo for the selected songs: a value you type, or (the arrow) one of the "
            "tempi the analyzer weighed (recorded as bpm_user)", short="BPM\u2026")
        self.key_action = self._act(
            "Set &Key\u2026", self.choose_key, "Ctrl+K", None,
            "Your key for the selected songs (recorded as key_user)", short="Key\u2026")
        self.checked_action = self._act(
            "Checked by &Ear", self.mark_checked, "Ctrl+Shift+C", None,
            "You listened and take the selected songs' tempo and key as shown (recorded as "
            "user_checked; they leave Tempo or key to check); again to take the mark back")
        self.clear_correction_action = self._act(
            "Clear Co&rrections", self.clear_corrections, "Ctrl+Shift+K", None,
            "Forget your tempo, key and check mark for the selected songs")
        self.more_time_action = self._act(
            "Give It More &Time", self.give_selected_more_time, "Ctrl+T", None,
            "Move the selected running songs' time-out one budget later")
        self.skip_action = self._act(
            "S&kip Song", self.skip_selected, "Ctrl+Del", None,
            "Give up on the selected songs; the batch goes on")
        self.remove_action = self._act(
            "Remove from &List", self.remove_selected, "Del", None,
            "Take the selected songs out of the list (a running one is skipped first; the "
            "batch goes on); Undo brings them back")
        # Delete removes, and Ctrl+Delete skips, only while the table has the focus: in the
        # filter field they delete text, and nowhere else do they touch songs.
        for a in (self.skip_action, self.remove_action):
            a.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.table.addAction(a)
        #: A submenu of the Edit menu and the context menu: the tempi weighed, the levels.
        self.tempo_levels_action = QAction("Tempo C&hoices", self)
        self.tempo_levels_action.setMenu(self.tempo_menu())
        #: The corrections, in the Edit menu and the context menu.
        self.correction_actions = (self.bpm_double_action, self.bpm_half_action,
                                   self.tempo_action, self.tempo_levels_action, self.key_action,
                                   self.checked_action, self.clear_correction_action)
        #: The buttons of the bar above the table.
        self.row_bar_actions = (self.preview_action, None, self.bpm_double_action,
                                self.bpm_half_action, self.tempo_action, self.key_action, None,
                                self.columns_action)

    def _init_rows(self, audio_output) -> None:
        self.preview = AudioPreview(self.engine.run_task, output=audio_output, parent=self)
        self.preview.failed.connect(self._preview_failed)
        self.preview.started.connect(self._on_preview_started)
        self.preview.stopped.connect(self.statusBar().clearMessage)
        self.table.row_actions = [self.preview_action, None, *self.correction_actions, None,
                                  self.more_time_action, None, self.remove_action]
        self.table.selectionModel().selectionChanged.connect(self._update_row_actions)
        # Double-click, Enter and Space play the song (again: stop), as in a player.
        self.table.doubleClicked.connect(self._on_row_double_clicked)
        self.table.playRequested.connect(self.preview_selected)
        # The Tempo button's arrow lists the tempi weighed, the Key button's the 24 keys.
        menus = {self.tempo_action: self.tempo_menu, self.key_action: self.key_menu}
        for button in self.table_bar.buttons:
            make = menus.get(button.defaultAction())
            if make is not None:
                button.setMenu(make())
                button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)

    # -- what is selected -------------------------------------------------------------------
    def _selected_jobs(self) -> list:
        jobs = self.engine.batch.jobs
        return [jobs[i] for i in self.table.selected_job_ids() if i is not None and i < len(jobs)]

    def _update_row_actions(self, *_):
        if not hasattr(self, "preview"):
            return
        jobs = self._selected_jobs()
        self._show_chunks(jobs)
        done = [j for j in jobs if j.state is SongState.DONE and j.result is not None]
        for a in (self.bpm_double_action, self.bpm_half_action):
            a.setEnabled(_scalable(done))
        self.tempo_action.setEnabled(bool(done))
        self.tempo_levels_action.setEnabled(bool(done))
        self.key_action.setEnabled(bool(done))
        self.checked_action.setEnabled(bool(done))
        self.clear_correction_action.setEnabled(any(j.result.has_user_values for j in done))
        self.preview_action.setEnabled(len(jobs) == 1 or self.preview.playing is not None)
        self.more_time_action.setEnabled(any(j.state in ACTIVE_STATES for j in jobs))
        self.remove_action.setEnabled(bool(jobs))
        self.skip_action.setEnabled(any(j.state not in (SongState.DONE, SongState.FAILED,
                                                        SongState.TIMED_OUT,
                                                        SongState.CANCELLED,
                                                        SongState.SKIPPED) for j in jobs))

    def _show_chunks(self, jobs) -> None:
        """The Chunks tab follows the selection (``jobs``): one analyzed song, or a prompt."""
        if len(jobs) == 1 and jobs[0].state is SongState.DONE and jobs[0].result is not None:
            self.chunk_view.show_song(jobs[0])
        else:
            self.chunk_view.show_nothing()

    # -- preview --------------------------------------------------------------------------
    def preview_selected(self) -> None:
        """Play (or stop) an excerpt of the selected song."""
        jobs = self._selected_jobs()
        if self.preview.playing is not None and (not jobs or jobs[0].path == self.preview.playing):
            self.preview.stop()
            return
        if len(jobs) != 1:
            self.statusBar().showMessage("Select one song to preview.", 4000)
            return
        self.preview.toggle(jobs[0].path)

    def _on_row_double_clicked(self, _index) -> None:
        self.preview_selected()

    def _on_preview_started(self, path: str) -> None:
        self.statusBar().showMessage(
            f"Playing {os.path.basename(path)} (Ctrl+P again to stop)", 20000)

    def _preview_failed(self, message: str) -> None:
        log.warning("%s", message)
        self.statusBar().showMessage(message, 10000)

    # -- corrections ----------------------------------------------------------------------
    def double_tempo(self) -> int:
        """Tempo \u00d72: twice the tempo shown, for the selected songs."""
        return self.scale_tempo(2.0)

    def halve_tempo(self) -> int:
        """Tempo \u00f72: half the tempo shown, for the selected songs."""
        return self.scale_tempo(0.5)

    def scale_tempo(self, factor: float) -> int:
        """Record ``factor`` x the tempo shown as the user's tempo of each selected done
        song (back at the analyzer's value, the correction is dropped); returns how many."""
        left = []

        def scaled(r):
            base = _shown_bpm(r)
            value = scaled_user_tempo(base, factor)
            if value is None:
                if base:
                    left.append(r)
                return _NO_TEMPO
            return value

        n = self._record_tempo(scaled)
        if left:
            lo, hi = TEMPO_LIMITS
            self.statusBar().showMessage(
                f"{len(left)} song{'s' if len(left) != 1 else ''} not changed: "
                f"{'its' if len(left) == 1 else 'their'} tempo \u00d7{factor:g} would be "
                f"outside {lo:g}\u2013{hi:g} BPM.", 6000)
        return n

    def set_tempo(self, bpm: float | None) -> int:
        """Record ``bpm`` (None clears) as the user's tempo of each selected done song; at the
        analyzer's own value the correction is dropped.  Returns how many songs changed."""
        return self._record_tempo(lambda _r: None if bpm is None else round(float(bpm), 2))

    def _record_tempo(self, tempo_of) -> int:
        """Record ``tempo_of(result)`` as the user's tempo of each selected done song (None
        clears, :data:`_NO_TEMPO` leaves the song as it is); a value at the analyzer's own
        tempo clears.  Returns how many songs changed."""
        changes = []
        for job in self._selected_jobs():
            r = job.result
            if job.state is not SongState.DONE or r is None:
                continue
            value = tempo_of(r)
            if value is _NO_TEMPO:
                continue
            if value is not None and r.bpm is not None and abs(value - r.bpm) < 0.005:
                value = None
            changes.append((job.id, {"bpm_user": value}))
            if len(changes) <= 20:
                log.info("tempo of %s: %s (analyzer %s)", job.path,
                         "analyzer's" if value is None else f"{value:g} BPM by you", r.bpm)
        if len(changes) > 20:
            log.info("tempo of %d more songs set", len(changes) - 20)
        n = self.engine.correct_each(changes)
        if n:
            self._after_correction()
        return n

    def choose_tempo(self) -> None:
        """Ask for a tempo (typed, or tapped along with the song's preview) and record it
        for the selected songs."""
        jobs = [j for j in self._selected_jobs() if j.state is SongState.DONE and j.result]
        if not jobs:
            self.statusBar().showMessage("Select analyzed songs to set their tempo.", 4000)
            return
        r = jobs[0].result
        current = _shown_bpm(r) or 120.0
        dialog = SetTempoDialog(len(jobs), current, TEMPO_LIMITS, can_play=len(jobs) == 1,
                                parent=self)
        playing = []

        def play():
            self.preview_selected()
            playing.append(True)

        dialog.playRequested.connect(play)
        started = self.preview.started.connect(lambda _p: dialog.set_playing(True))
        stopped = self.preview.stopped.connect(lambda: dialog.set_playing(False))
        try:
            accepted = dialog.exec() == SetTempoDialog.DialogCode.Accepted
        finally:
            self.preview.started.disconnect(started)
            self.preview.stopped.disconnect(stopped)
        if playing and self.preview.playing is not None:
            self.preview.stop()  # what the dialog started ends with it
        value = dialog.value()
        dialog.deleteLater()
        if accepted:
            self.set_tempo(value)

    def tempo_menu(self) -> QMenu:
        """A menu of the tempi the analyzer weighed for the selected song (one song), the
        other metrical levels of the tempo shown and Clear; filled each time it opens."""
        menu = _OpeningMenu(self)
        menu.opening.connect(self._fill_tempo_menu)  # (there are two: each names itself)
        menu.triggered.connect(self._tempo_chosen)
        return menu

    def _tempo_chosen(self, action: QAction) -> None:
        """A choice of the tempo menu: its data is ``("set", bpm)`` (None clears) or
        ``("scale", factor)``; the window's own actions in it (no data) run by themselves."""
        choice = action.data()
        if choice is None:
            return
        how, value = choice
        if how == "scale":
            self.scale_tempo(value)
        else:
            self.set_tempo(value)

    def _fill_tempo_menu(self, menu: QMenu) -> None:
        menu.clear()
        done = [j for j in self._selected_jobs() if j.state is SongState.DONE and j.result]
        if len(done) == 1:
            r = done[0].result
            shown = _shown_bpm(r)
            weighed = tempo_alternatives(r)
            if weighed:
                menu.addSection("Tempi the analyzer weighed")
            group = QActionGroup(menu)  # one tempo at a time: radio marks, the shown one set
            for i, value in enumerate(weighed):
                label = f"{value:.1f} BPM" + ("  (its choice)" if i == 0 else "")
                a = menu.addAction(label)
                a.setData(("set", value))
                a.setCheckable(True)
                a.setChecked(shown is not None and abs(shown - value) < 0.005)
                group.addAction(a)
        menu.addSection("The tempo shown")
        for action in (self.bpm_double_action, self.bpm_half_action):
            menu.addAction(action)
        scalable = _scalable(done)
        for factor, name in TEMPO_RATIOS:
            a = menu.addAction(name)
            a.setData(("scale", factor))
            a.setEnabled(scalable)
        menu.addSeparator()
        a = menu.addAction("Clear Tempo Correction")
        a.setData(("set", None))
        a.setEnabled(any(j.result.bpm_user is not None for j in done))

    def set_key(self, key: str | None) -> int:
        """Record ``key`` (e.g. ``"A minor"``; None clears) as the user's key of each
        selected done song; returns how many."""
        ids = [j.id for j in self._selected_jobs() if j.state is SongState.DONE]
        n = self.engine.correct(ids, key_user=key)
        if n:
            log.info("key of %d song(s): %s", n, key or "the analyzer's")
            self._after_correction()
        return n

    def choose_key(self) -> None:
        """Ask for a key (keyboard friendly) and record it for the selected songs."""
        jobs = [j for j in self._selected_jobs() if j.state is SongState.DONE and j.result]
        if not jobs:
            self.statusBar().showMessage("Select analyzed songs to set their key.", 4000)
            return
        current = jobs[0].result.key_user or jobs[0].result.key or KEY_NAMES[0]
        index = KEY_NAMES.index(current) if current in KEY_NAMES else 0
        n = len(jobs)
        shown = [spell_key(k, flats=self.model.flat_keys) for k in KEY_NAMES]
        key, ok = QInputDialog.getItem(self, "Set Key", f"Key of {n} song{'s' if n != 1 else ''}:",
                                       shown, index, False)
        if ok and key in shown:
            self.set_key(KEY_NAMES[shown.index(key)])  # (kept as the analyzer spells it)

    def mark_checked(self) -> int:
        """Mark the selected done songs as checked by ear by the user (their tempo and key,
        as shown, taken as right), or take the mark back when every one has it; returns
        how many changed."""
        done = [j for j in self._selected_jobs()
                if j.state is SongState.DONE and j.result is not None]
        mark = None if done and all(j.result.user_checked for j in done) else True
        n = self.engine.correct([j.id for j in done], user_checked=mark)
        if n:
            log.info("%d song(s) %s", n, "checked by ear" if mark else "no longer marked checked")
            self.proxy.refilter()
            self._update_row_actions()
            songs = f"{n} song{'s' if n != 1 else ''}"
            self.statusBar().showMessage(
                f"{songs} marked as checked by ear (exported as user_checked)." if mark
                else f"{songs} no longer marked as checked.", 6000)
        return n

    def clear_corrections(self) -> int:
        """Forget the user's tempo, key and check mark of the selected songs; returns how
        many."""
        ids = [j.id for j in self._selected_jobs() if j.state is SongState.DONE]
        n = self.engine.correct(ids, bpm_user=None, key_user=None, user_checked=None)
        if n:
            self._after_correction()
        return n

    def _after_correction(self) -> None:
        self.proxy.refilter()  # a song set by the user leaves "Tempo or key to check"
        self._update_row_actions()
        self.statusBar().showMessage("Your correction is recorded next to the analyzer's "
                                     "value and exported as bpm_user / key_user.", 6000)

    def key_menu(self) -> QMenu:
        """A menu of the 24 keys (and Clear) for the selected songs."""
        menu = QMenu(self)
        for key in KEY_NAMES:
            menu.addAction(spell_key(key, flats=self.model.flat_keys)).setData(key)
        menu.addSeparator()
        menu.addAction("Clear Key Correction")  # no data: None
        menu.triggered.connect(self._key_chosen)
        return menu

    def _key_chosen(self, action: QAction) -> None:
        self.set_key(action.data())

    # -- time -----------------------------------------------------------------------------
    def give_more_time(self, job_id: int) -> None:
        """Move one song's time-out one budget later (the banner's button)."""
        limit = self.engine.extend(job_id)
        if limit is not None:
            name = os.path.basename(self.engine.batch.jobs[job_id].path)
            self.statusBar().showMessage(f"{name} may now run until {limit:.0f} s.", 5000)
        self.banner.refresh()

    def give_selected_more_time(self) -> None:
        for job in self._selected_jobs():
            if job.state in ACTIVE_STATES:
                self.give_more_time(job.id)

    def skip_selected(self) -> None:
        for job in self._selected_jobs():
            self.engine.skip(job.id)

