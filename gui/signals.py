"""SIGINT, SIGTERM and SIGHUP in the window: stop the batch, keep what is done, quit.

Qt's event loop runs in C++, so a Python signal handler would only run at the next Python
call, which may never come while the window is idle.  :class:`StopSignals` therefore has
Python write each signal's number to a socket (``signal.set_wakeup_fd``) that a
``QSocketNotifier`` watches: the event loop wakes at once and :attr:`StopSignals.received`
is emitted in the GUI thread.

:func:`install_stop_signals` wires that to the window: the batch is cancelled (songs that
do not stop at their next chunk are abandoned after :data:`STOP_GRACE_S`), unfinished
songs end ``cancelled``, the automation writes its exports as at the end of any batch (with
``--export-dir``: the partial results and, with ``--reference``, the calibration files) and
the window quits.  A second signal closes the window at once.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import socket

from PySide6.QtCore import QObject, QSocketNotifier, Signal

__all__ = ["StopSignals", "install_stop_signals", "STOP_SIGNALS", "STOP_GRACE_S"]

log = logging.getLogger(__name__)

#: Signals that stop the window (those this platform has).
STOP_SIGNALS = tuple(getattr(signal, n) for n in ("SIGINT", "SIGTERM", "SIGHUP")
                     if hasattr(signal, n))
#: Seconds running songs get to stop at their next chunk before they are abandoned.
STOP_GRACE_S = 1.0


class StopSignals(QObject):
    """Emit :attr:`received` in the GUI thread for each stop signal the process gets.

    Parameters
    ----------
    parent : QObject, optional
    signals : sequence of int, optional
        Signal numbers to handle (default :data:`STOP_SIGNALS`).

    Only the main thread may install signal handlers; elsewhere nothing is installed and
    :attr:`installed` is False.
    """

    #: ``(signum)`` a stop signal arrived.
    received = Signal(int)

    def __init__(self, parent=None, *, signals=STOP_SIGNALS):
        super().__init__(parent)
        self.signals = tuple(signals)
        #: The signals received so far, in order.
        self.seen: list[int] = []
        self._previous: dict[int, object] = {}
        self._old_wakeup = -1
        self._read, self._write = socket.socketpair()
        self._read.setblocking(False)
        self._write.setblocking(False)
        try:
            self._old_wakeup = signal.set_wakeup_fd(self._write.fileno(),
                                                    warn_on_full_buffer=False)
            for signum in self.signals:
                self._previous[signum] = signal.signal(signum, self._python_handler)
        except ValueError:  # not the main thread
            self.installed = False
            self._close_sockets()
            return
        self.installed = True
        self.notifier = QSocketNotifier(self._read.fileno(), QSocketNotifier.Type.Read, self)
        self.notifier.activated.connect(self._drain)

    @staticmethod
    def _python_handler(signum, _frame) -> None:
        # Nothing to do here: the wake-up byte carries the signal to _drain.  Having a
        # Python handler at all keeps the default action (exit, KeyboardInterrupt) away.
        return None

    def _drain(self, *_args) -> None:
        try:
            data = self._read.recv(256)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            return
        for signum in data:
            if signum in self.signals:
                self.seen.append(signum)
                self.received.emit(signum)

    def uninstall(self) -> None:
        """Restore the previous handlers and wake-up descriptor."""
        if not self.installed:
            return
        self.installed = False
        self.notifier.setEnabled(False)
        for signum, handler in self._previous.items():
            with contextlib.suppress(ValueError, OSError, TypeError):
                signal.signal(signum, handler)
        with contextlib.suppress(ValueError):
            signal.set_wakeup_fd(self._old_wakeup)
        self._close_sockets()

    def _close_sockets(self) -> None:
        for sock in (self._read, self._write):
            with contextlib.suppress(OSError):
                sock.close()


def install_stop_signals(window, automation, *, parent=None) -> StopSignals:
    """Stop ``window``'s batch on SIGINT, SIGTERM or SIGHUP and let ``automation`` write
    its exports and quit (see the module docstring).

    Parameters
    ----------
    window : gui.main_window.MainWindow
    automation : gui.app.Automation
        Its ``_on_finished`` exports and quits once the batch has ended (it is connected to
        the engine's ``batchFinished``).
    parent : QObject, optional
        Owner of the returned object (default: ``window``).

    Returns
    -------
    StopSignals
        :attr:`StopSignals.seen` tells afterwards whether a signal stopped the window.
    """
    stopper = StopSignals(parent or window)

    def on_signal(signum: int) -> None:
        name = signal.Signals(signum).name
        if len(stopper.seen) > 1:
            log.warning("%s again: closing the window now", name)
            window.confirm_quit = False
            window.close()
            return
        log.warning("%s received: stopping the batch, writing what is done", name)
        window.confirm_quit = False
        automation.args.quit_when_done = True
        automation.args.start = False  # a scan still running must not start the batch
        engine = window.engine
        if engine.is_running:
            engine.cancel_grace_s = STOP_GRACE_S
            engine.cancel()  # batchFinished follows; the automation exports and quits
        else:
            engine.batch.cancel()  # queued songs end cancelled
            automation._on_finished()

    stopper.received.connect(on_signal)
    return stopper
