"""SongCal's Qt window: views, table models, thread-pool workers and the watchdog.

Importing this package does not import Qt, so the command line starts fast; the window
modules (``gui.main_window`` and friends) import PySide6 themselves.
"""

__all__: list[str] = []
