"""What the last calibration export wrote, with a button that opens its folder.

:class:`ExportList` lists the files of the last export (each export goes into a new folder,
:func:`core.calibration.exports.new_export_folder`) and offers Open Folder, which shows the
folder in the desktop's file manager.
"""

from __future__ import annotations

import os

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from gui.formatting import plain_tip

__all__ = ["ExportList"]


class ExportList(QWidget):
    """The files of the last export and an Open Folder button (hidden before any export)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.folder = ""
        self.label = QLabel("")
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.PlainText)  # folder names are never markup
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.open_button = QPushButton("Open Folder")
        self.open_button.setToolTip("Show the export folder in the file manager")
        self.open_button.clicked.connect(self.open_folder)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.label, 1)
        lay.addWidget(self.open_button)
        self.hide()

    def show_paths(self, paths: dict) -> None:
        """List ``paths`` (export kind -> path written) and remember their folder."""
        if not paths:
            return
        files = list(paths.values())
        self.folder = os.path.dirname(files[0])
        names = ", ".join(os.path.basename(p) for p in files)
        self.label.setText(f"Wrote {len(files)} file{'s' if len(files) != 1 else ''} to "
                           f"{self.folder}: {names}")
        self.label.setToolTip(plain_tip("\n".join(files)))
        self.show()

    def open_folder(self) -> bool:
        """Open the folder of the last export in the file manager; False when there is none
        or the desktop cannot open it."""
        if not self.folder or not os.path.isdir(self.folder):
            return False
        return QDesktopServices.openUrl(QUrl.fromLocalFile(self.folder))
