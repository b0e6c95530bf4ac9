"""SongCal's Qt window: views, table models, thread-pool workers and the watchdog.

Importing this package does not import Qt, so the command line starts fast; the window
modules (``gui.main_window`` and friends) import PySide6 themselves.

Start-up and the window
    - :mod:`gui.app` -- ``songcal gui``: the application, logging, automation options.
    - :mod:`gui.startup` -- process-wide settings made once at start-up.
    - :mod:`gui.signals` -- SIGINT/SIGTERM/SIGHUP stop the batch and quit cleanly.
    - :mod:`gui.crash_dialog`, :mod:`gui.doctor_dialog`, :mod:`gui.demo` -- the crash
      dialog, Help > Check Installation, Help > Open Demo Deck.
    - :mod:`gui.main_window` -- the window, built from parts: :mod:`gui.window_actions`
      (actions, menus, toolbar), :mod:`gui.window_songs` (file dialogs, drops),
      :mod:`gui.window_calibration` (reference sheet, Calibration tab),
      :mod:`gui.window_exports` (results CSV), :mod:`gui.window_session` (the library,
      resume, Clear / New Session and Undo, Force Fresh), :mod:`gui.window_layout` (the
      window's size, the bottom pane per tab, remembered columns), :mod:`gui.window_rows`
      (preview, corrections, more time, skip on the selected songs).
    - :mod:`gui.library` -- the window's list kept in the session store, brought back.

Running a batch
    - :mod:`gui.engine` -- :class:`~gui.engine.BatchEngine`, the one object the window drives.
    - :mod:`gui.worker_slots` -- worker slots, abandoned workers, the timeline.
    - :mod:`gui.scan_feed` -- rows from folder scans, in slices;
      :mod:`gui.scan_report` -- what a scan added, failed and left out, told once.
    - :mod:`gui.workers` -- the pool's runnables (song worker, folder scan) and their signals.
    - :mod:`gui.tasks` -- :func:`~gui.tasks.run_task`, every other background task.

The song table
    - :mod:`gui.song_columns` -- columns and item roles.
    - :mod:`gui.song_table` -- the model over the engine's batch.
    - :mod:`gui.song_filter` -- sorting and filtering proxy.
    - :mod:`gui.song_paint` -- state colours, icons, the progress bar delegate.
    - :mod:`gui.song_view` -- the view: layout, copy as TSV, context menu.
    - :mod:`gui.frozen_view` -- ``#`` and Title kept at the left edge.
    - :mod:`gui.column_chooser` -- show, hide and order columns, remembered by name.
    - :mod:`gui.column_help` -- what each column means (tips, the guide).
    - :mod:`gui.table_bar` -- the filter and the row actions above the table.

Panels
    - :mod:`gui.worker_panel`, :mod:`gui.plots`, :mod:`gui.log_panel`,
      :mod:`gui.stall_banner`, :mod:`gui.resume_banner`, :mod:`gui.store_banner`,
      :mod:`gui.status_notice` (a warning the status bar keeps in sight),
      :mod:`gui.settings_dialog`,
      :mod:`gui.formatting`, :mod:`gui.focus_ring` (the keyboard focus, clearly shown),
      :mod:`gui.announce` (the batch's progress told to screen readers),
      :mod:`gui.preview` (listening to a song), :mod:`gui.guide` (Help > SongCal Guide,
      Keyboard Shortcuts).

Calibration
    - :mod:`gui.calibration_controller` (threading and signals),
      :mod:`gui.calibration_follower` (the batch's results to the controller),
      :mod:`gui.calibration_view`, :mod:`gui.calibration_plots`,
      :mod:`gui.calibration_summary`, :mod:`gui.reference_columns`, :mod:`gui.match_dialog`.
"""

__all__: list[str] = []
