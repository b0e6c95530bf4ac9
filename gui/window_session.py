"""What the window keeps between runs: the session store, an interrupted batch offered for
resuming, and the window's layout.

Part of :class:`gui.main_window.MainWindow` (a mixin).  The store
(:class:`core.batch.store.ResultStore`) caches finished songs and records each batch as a
session; a session that never ended is offered again at the next start.  The layout
(geometry, splitter, table columns) lives in ``QSettings`` when the window remembers.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QSettings

__all__ = ["SessionMixin", "open_store"]

log = logging.getLogger(__name__)


def open_store():
    """The user's session store, or None when it cannot be opened (the reason is logged;
    analysis still works, results are just not cached)."""
    try:
        from core.batch.store import ResultStore

        return ResultStore()
    except Exception:  # no store: analysis still works, results are just not cached
        log.exception("session store unavailable")
        return None


class SessionMixin:
    """Session and layout part of the main window."""

    # -- interrupted sessions ---------------------------------------------------------------
    def offer_resume(self) -> bool:
        """Offer to resume the last batch if it never ended; True when offered."""
        if self.store is None:
            return False
        try:
            session = self.store.unfinished_session()
        except Exception:
            log.exception("could not read the session store")
            return False
        if not session or not session.get("paths"):
            return False
        self.resume_banner.offer(session)
        return True

    def _resume_session(self, paths: list) -> None:
        session = self.resume_banner.session
        if session is not None and self.store is not None:
            self.store.end_session(session["id"])  # the resumed batch gets a session of its own
        log.info("resuming an interrupted batch of %d songs", len(paths))
        self._start_after_scan = True
        self.add_paths(paths)

    def _dismiss_session(self) -> None:
        session = self.resume_banner.session
        if session is not None and self.store is not None:
            self.store.end_session(session["id"])

    # -- window layout ----------------------------------------------------------------------
    def _save_layout(self) -> None:
        qs = QSettings()
        qs.setValue("ui/geometry", self.saveGeometry())
        qs.setValue("ui/state", self.saveState())
        qs.setValue("ui/splitter", self.splitter.saveState())
        # The reference columns come and go with the sheet: the remembered table layout
        # is the one without them.
        self.model.clear_reference_columns()
        qs.setValue("ui/table_header", self.table.horizontalHeader().saveState())
        qs.setValue("ui/table_columns", self.model.columnCount())

    def _restore_layout(self) -> None:
        qs = QSettings()
        restore = [("ui/geometry", self.restoreGeometry), ("ui/state", self.restoreState),
                   ("ui/splitter", self.splitter.restoreState)]
        try:
            n_cols = int(qs.value("ui/table_columns", self.model.columnCount()))
        except (TypeError, ValueError):
            n_cols = -1
        if n_cols == self.model.columnCount():  # a layout of other columns would not fit
            restore.append(("ui/table_header", self.table.horizontalHeader().restoreState))
        for key, fn in restore:
            value = qs.value(key)
            if value is not None:
                fn(value)
