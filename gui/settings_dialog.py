"""The analysis settings dialog and their persistence with ``QSettings``.

The dialog also names the session store file (``songcal analyze --session`` on the command
line); it is remembered under :data:`SESSION_STORE_KEY` and used from the next start.
"""

from __future__ import annotations

import dataclasses
import logging

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QSpinBox,
    QVBoxLayout,
)

from core.settings import (
    TEMPO_FLOORS,
    AnalysisSettings,
    default_workers,
    tempo_range_text,
    workers_for_memory,
)
from gui.keyboard import buttons_in_visual_order

__all__ = ["SettingsDialog", "load_settings", "save_settings", "SETTINGS_GROUP",
           "SESSION_STORE_KEY", "session_store_path", "open_session_store",
           "open_session_store_why", "CLUSTER_KEY",
           "SEND_FILES_KEY", "FLAT_KEYS_KEY", "flat_keys", "cluster_choice",
           "fit_workers_to_memory"]

log = logging.getLogger(__name__)

#: QSettings group holding the fields of :class:`AnalysisSettings`.
SETTINGS_GROUP = "analysis"
#: QSettings key of the session store file chosen in the dialog (empty: the default one).
SESSION_STORE_KEY = "session/store_path"
#: QSettings key of where songs run: empty for this computer's threads, ``local[:N]`` for
#: a Dask LocalCluster, or a scheduler address (``tcp://host:8786``).
CLUSTER_KEY = "engine/cluster"
#: QSettings key: send the files' bytes to the cluster instead of a shared path.
SEND_FILES_KEY = "engine/send_files"
#: QSettings key: the window shows keys with flats (E♭, B♭), not sharps.
FLAT_KEYS_KEY = "display/flat_keys"


def flat_keys(qs: QSettings | None = None) -> bool:
    """Whether the window shows keys with flats (a display choice: exports keep sharps)."""
    return str((qs or QSettings()).value(FLAT_KEYS_KEY, "false")).lower() in ("true", "1")


def cluster_choice(qs: QSettings | None = None, *, workers: int = 2):
    """Where the remembered settings say songs run: a
    :class:`core.batch.cluster.ClusterSpec`, or None for this computer's threads (also when
    the remembered value is not a cluster any more)."""
    qs = qs or QSettings()
    text = qs.value(CLUSTER_KEY, "")
    if not isinstance(text, str) or not text.strip():
        return None
    from core.batch.cluster import FILES_SEND, FILES_SHARED, parse_cluster

    send = str(qs.value(SEND_FILES_KEY, "false")).lower() in ("true", "1")
    try:
        return parse_cluster(text, files=FILES_SEND if send else FILES_SHARED,
                             default_workers=workers)
    except ValueError as err:
        log.warning("ignoring the remembered engine: %s", err)
        return None


def session_store_path(qs: QSettings | None = None) -> str:
    """The session store file chosen in the dialog, or ``""`` for the default one."""
    value = (qs or QSettings()).value(SESSION_STORE_KEY, "")
    return value if isinstance(value, str) else ""


def open_session_store(qs: QSettings | None = None):
    """The chosen session store, opened; None when none was chosen or it cannot be opened
    (the window then uses the default store)."""
    return open_session_store_why(qs)[0]


def open_session_store_why(qs: QSettings | None = None):
    """``(store, "")`` for the chosen session store; ``(None, "")`` when none was chosen;
    ``(None, reason)`` when it cannot be opened (the window then uses the default store,
    and says so: :meth:`gui.main_window.MainWindow.tell_chosen_store_problem`)."""
    path = session_store_path(qs)
    if not path:
        return None, ""
    from gui.window_session import open_store_why

    store, why = open_store_why(path)
    if store is None:
        log.warning("the chosen session store cannot be used (%s); using the default one",
                    why)
    return store, why


def load_settings(qs: QSettings | None = None) -> AnalysisSettings:
    """The remembered settings; defaults for anything missing or invalid."""
    qs = qs or QSettings()
    defaults = AnalysisSettings()
    values = {}
    qs.beginGroup(SETTINGS_GROUP)
    try:
        for f in dataclasses.fields(AnalysisSettings):
            if qs.contains(f.name):
                default = getattr(defaults, f.name)
                try:
                    values[f.name] = type(default)(qs.value(f.name))
                except (TypeError, ValueError):
                    log.warning("ignoring a bad remembered setting %s=%r", f.name,
                                qs.value(f.name))
    finally:
        qs.endGroup()
    try:
        return dataclasses.replace(defaults, **values)
    except ValueError as err:
        log.warning("remembered settings are invalid (%s); using defaults", err)
        return defaults


def fit_workers_to_memory(settings: AnalysisSettings, subject: str | None = None):
    """``(settings, why)``: ``settings`` with no more workers than the available memory
    holds songs in progress on this computer (:func:`core.settings.workers_for_memory`, the
    command line's rule: 64 MB each, at least one worker), and why they were lowered (the
    sentence starts with ``subject``, else "N workers"), or None when they were not."""
    cap = workers_for_memory(settings.workers)
    if cap is None:
        return settings, None
    why = cap.reason(subject or f"{cap.asked} workers", plural=subject is None)
    return dataclasses.replace(settings, workers=cap.fits), why


def save_settings(settings: AnalysisSettings, qs: QSettings | None = None) -> None:
    """Remember ``settings``."""
    qs = qs or QSettings()
    qs.beginGroup(SETTINGS_GROUP)
    for key, value in settings.to_dict().items():
        qs.setValue(key, value)
    qs.endGroup()
    qs.sync()


class SettingsDialog(QDialog):
    """Edit workers, time budget, hard limit, chunk length, analysis sample rate and the
    tempo range."""

    def __init__(self, settings: AnalysisSettings, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Settings")
        form = QFormLayout()
        self.workers = QSpinBox()
        self.workers.setRange(1, 256)
        self.workers.setValue(settings.workers)
        self.workers.setToolTip(f"Songs analyzed at once (this machine has "
                                f"{default_workers()} cores)")
        self.budget_base = QDoubleSpinBox()
        self.budget_base.setRange(0.1, 3600.0)
        self.budget_base.setDecimals(1)
        self.budget_base.setSuffix(" s")
        self.budget_base.setValue(settings.budget_base_s)
        self.budget_factor = QDoubleSpinBox()
        self.budget_factor.setRange(0.0, 100.0)
        self.budget_factor.setDecimals(2)
        self.budget_factor.setSuffix(" s per s of audio")
        self.budget_factor.setValue(settings.budget_factor)
        self.hard_limit = QDoubleSpinBox()
        self.hard_limit.setRange(1.0, 100.0)
        self.hard_limit.setDecimals(1)
        self.hard_limit.setSuffix(" \u00d7 budget")
        self.hard_limit.setValue(settings.hard_limit_factor)
        self.chunk = QDoubleSpinBox()
        self.chunk.setRange(5.0, 600.0)
        self.chunk.setDecimals(0)
        self.chunk.setSuffix(" s")
        self.chunk.setValue(settings.chunk_seconds)
        self.sample_rate = QSpinBox()
        self.sample_rate.setRange(8000, 48000)
        self.sample_rate.setSingleStep(50)
        self.sample_rate.setSuffix(" Hz")
        self.sample_rate.setValue(settings.sample_rate)
        self.tempo_range = QComboBox()
        floors = list(TEMPO_FLOORS)
        if settings.tempo_floor_bpm not in floors:  # a range set elsewhere (command line)
            floors = sorted(floors + [settings.tempo_floor_bpm])
        for floor in floors:
            text = tempo_range_text(floor)
            self.tempo_range.addItem(
                "Automatic (the most likely beat)" if not floor else text, floor)
        self.tempo_range.setCurrentIndex(floors.index(settings.tempo_floor_bpm))
        self.tempo_range.setToolTip(
            "The octave every tempo is stated in. Automatic states each song at the beat the "
            "analyzer finds most likely; a range states it the way DJ programs and dance "
            "charts do (88\u2013175: a half-time groove at 170 reads 170, a chorale at 66 "
            "reads 132). Tempo readings that are not octaves of each other are still told "
            "apart by the analysis.")
        form.addRow("&Workers:", self.workers)
        #: Why the workers asked for will be lowered (hidden while the memory holds them).
        self.workers_note = QLabel("")
        self.workers_note.setWordWrap(True)
        self.workers_note.setTextFormat(Qt.TextFormat.PlainText)
        self.workers_note.hide()
        form.addRow("", self.workers_note)
        form.addRow("Time &budget, base:", self.budget_base)
        form.addRow("Time budget, &per audio second:", self.budget_factor)
        form.addRow("&Hard limit:", self.hard_limit)
        form.addRow("Ch&unk length:", self.chunk)
        form.addRow("&Analysis sample rate:", self.sample_rate)
        form.addRow("&Tempo range:", self.tempo_range)
        from core.batch.store import default_store_path

        self.session_store = QLineEdit(session_store_path())
        self.session_store.setPlaceholderText(default_store_path())
        # wide enough to show the default file's whole path, up to a reasonable width
        self.session_store.setMinimumWidth(min(520, self.session_store.fontMetrics()
                                               .horizontalAdvance(default_store_path()) + 24))
        self.session_store.setToolTip("SQLite file that keeps finished songs and sessions "
                                      "(empty: the default one). Used from the next start.")
        form.addRow("Session store &file:", self.session_store)
        qs = QSettings()
        cluster = qs.value(CLUSTER_KEY, "")
        self.cluster = QLineEdit(cluster if isinstance(cluster, str) else "")
        self.cluster.setPlaceholderText("this computer (threads)")
        self.cluster.setToolTip("Where songs run: empty for this computer; local or local:N "
                                "for a Dask cluster of N processes here; tcp://HOST:8786 "
                                "for the Dask scheduler of a cluster (needs "
                                "pip install 'songcal[cluster]'). Used from the next batch.")
        self.send_files = QCheckBox("&Send each file's bytes to the cluster")
        self.send_files.setToolTip("For a cluster that cannot see this computer's folders "
                                   "(small decks); otherwise every worker must read the "
                                   "files at the same path.")
        self.send_files.setChecked(str(qs.value(SEND_FILES_KEY, "false")).lower()
                                   in ("true", "1"))
        form.addRow("Run so&ngs on:", self.cluster)
        form.addRow("", self.send_files)
        self.key_names = QComboBox()
        self.key_names.addItem("Sharps (C#, F#, A#)", False)
        self.key_names.addItem("Flats (D\u266d, G\u266d, B\u266d)", True)
        self.key_names.setCurrentIndex(1 if flat_keys(qs) else 0)
        self.key_names.setToolTip("How the window spells the keys with a black-key tonic. "
                                  "Exports keep sharps, which every notation reads.")
        form.addRow("&Key names:", self.key_names)
        self.workers.valueChanged.connect(self._check_workers)
        self.cluster.textChanged.connect(self._check_workers)
        self._check_workers()
        note = QLabel("A song past its budget is flagged as stalled; past the hard limit it is "
                      "timed out and the batch moves on. Changes apply to the next batch.")
        note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel
                                   | QDialogButtonBox.StandardButton.RestoreDefaults)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        buttons.button(QDialogButtonBox.StandardButton.RestoreDefaults).clicked.connect(
            self._defaults)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(note)
        lay.addWidget(buttons)
        buttons_in_visual_order(buttons)  # once the box is in the dialog

    def accept(self) -> None:  # noqa: D102 - Qt API
        text = self.cluster.text().strip()
        if text:
            from core.batch.cluster import parse_cluster

            try:
                parse_cluster(text)
            except ValueError as err:
                QMessageBox.warning(self, "Run songs on", str(err))
                self.cluster.setFocus()
                return
        qs = QSettings()
        qs.setValue(SESSION_STORE_KEY, self.session_store.text().strip())
        qs.setValue(CLUSTER_KEY, text)
        qs.setValue(SEND_FILES_KEY, self.send_files.isChecked())
        qs.setValue(FLAT_KEYS_KEY, bool(self.key_names.currentData()))
        super().accept()

    def _check_workers(self) -> None:
        """Say, under Workers, when this computer's available memory does not hold that many
        songs in progress and how many will run (none said for a cluster, whose machines
        have memory of their own)."""
        why = None
        if not self.cluster.text().strip():
            _s, why = fit_workers_to_memory(AnalysisSettings(workers=self.workers.value()))
        self.workers_note.setText(f"Lowered on this computer: {why}." if why else "")
        self.workers_note.setVisible(bool(why))

    def _defaults(self) -> None:
        d = AnalysisSettings()
        self.workers.setValue(d.workers)
        self.budget_base.setValue(d.budget_base_s)
        self.budget_factor.setValue(d.budget_factor)
        self.hard_limit.setValue(d.hard_limit_factor)
        self.chunk.setValue(d.chunk_seconds)
        self.sample_rate.setValue(d.sample_rate)
        self.tempo_range.setCurrentIndex(self.tempo_range.findData(d.tempo_floor_bpm))
        self.key_names.setCurrentIndex(0)

    def settings(self) -> AnalysisSettings:
        """The settings as edited (the widgets' ranges keep them valid)."""
        return AnalysisSettings(
            workers=self.workers.value(), budget_base_s=self.budget_base.value(),
            budget_factor=self.budget_factor.value(),
            hard_limit_factor=self.hard_limit.value(),
            chunk_seconds=self.chunk.value(), sample_rate=self.sample_rate.value(),
            tempo_floor_bpm=float(self.tempo_range.currentData()))
