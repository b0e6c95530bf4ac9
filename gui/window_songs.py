"""Adding songs to the window: the file dialogs and drag and drop.

Part of :class:`gui.main_window.MainWindow` (a mixin).  Files and folders go to the
engine's scan (:meth:`gui.engine.BatchEngine.add_paths`), which runs off the GUI thread; a
reference sheet dropped with them goes to the calibration part instead
(:func:`core.io.inputs.sheets_among` tells which path is the sheet).
"""

from __future__ import annotations

import logging
import os

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QFileDialog

from core.batch.scan import AUDIO_EXTENSIONS
from core.io.inputs import sheets_among

__all__ = ["SongInputMixin"]

log = logging.getLogger(__name__)


class SongInputMixin:
    """Song input part of the main window."""

    def add_paths(self, paths) -> None:
        """Add files and folders (folders recursively); the scan runs off the GUI thread."""
        paths = [os.fspath(p) for p in paths]
        if paths:
            log.info("adding %s", ", ".join(paths) if len(paths) <= 3
                     else f"{len(paths)} paths")
            self.engine.add_paths(paths)

    def add_files_dialog(self) -> None:
        pattern = " ".join(f"*{e}" for e in sorted(AUDIO_EXTENSIONS))
        files, _ = QFileDialog.getOpenFileNames(self, "Add audio files", self._last_dir(),
                                                f"Audio files ({pattern});;All files (*)")
        if files:
            self._remember_dir(os.path.dirname(files[0]))
            self.add_paths(files)

    def add_folder_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Add a folder of songs", self._last_dir())
        if folder:
            self._remember_dir(folder)
            self.add_paths([folder])

    def _last_dir(self) -> str:
        """The folder the last file dialog was left in (the home folder at first)."""
        return str(QSettings().value("ui/last_dir", os.path.expanduser("~"))) \
            if self.remember else os.path.expanduser("~")

    def _remember_dir(self, folder: str) -> None:
        if self.remember:
            QSettings().setValue("ui/last_dir", folder)

    def dragEnterEvent(self, event):  # noqa: N802 - Qt API
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()
        else:
            event.ignore()

    dragMoveEvent = dragEnterEvent

    def dropEvent(self, event):  # noqa: N802 - Qt API
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        dropped = sheets_among(paths)
        if dropped.left_out:
            log.warning("%d reference sheets dropped; loading %s only",
                        len(dropped.left_out) + 1, os.path.basename(dropped.sheet))
        if dropped.sheet is not None:
            self.load_reference(dropped.sheet)
        elif dropped.maybe:  # text files dropped with songs: read off the GUI thread
            self.calibration.load_text_sheet(dropped.maybe)
        self.add_paths(dropped.songs)
