"""The warm-up of every Dask worker of a cluster connection, those that start later too.

:class:`core.batch.cluster.ClusterConnection` warms up the workers it finds when it
connects, then registers :class:`WarmUpPlugin` with the scheduler, which hands it to every
worker that registers afterwards: one its nanny restarted (after it died, or after a song
given up on held its thread) or one that joins in the middle of a batch.  Such a worker
runs the warm-up (:func:`core.batch.cluster_tasks.warm_up_once`: the analyzer's imports,
compiled code, filter banks) before it reads any task from the scheduler: Dask sets up a
worker's plugins as it registers, before it handles the scheduler's messages.  So the first
song there is timed from its start as any other, not with the analyzer's start-up in it.

This module imports Dask: it is imported only once a connection is made (and on the workers,
to unpack the plugin).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Callable

from distributed.diagnostics.plugin import WorkerPlugin

from core.batch.cluster_tasks import warm_up_once

__all__ = ["WarmUpPlugin", "plugin_registration"]

log = logging.getLogger(__name__)


class WarmUpPlugin(WorkerPlugin):
    """Warm the analyzer up on each worker before it takes songs.

    The warm-up runs in a thread of its own, so the worker's event loop keeps answering
    while it runs; a worker whose warm-up fails or takes longer than ``timeout_s`` is not
    held back (its first song then pays for what is left, as before there was a warm-up).
    A worker that is already warm (the connection's own warm-up ran there) returns at once.

    Parameters
    ----------
    timeout_s : float
        The longest a worker waits for its warm-up (s).
    name : str
        The name it is registered under: one per connection, so a connection that leaves a
        scheduler takes only its own away.
    """

    def __init__(self, timeout_s: float = 180.0, name: str = "songcal-warm-up"):
        self.timeout_s = timeout_s
        self.name = name

    async def setup(self, worker) -> None:
        try:
            await asyncio.wait_for(asyncio.to_thread(warm_up_once), self.timeout_s)
        except TimeoutError:
            log.warning("the analyzer's warm-up on %s took more than %.0f s: taking songs "
                        "without waiting for it", worker.address, self.timeout_s)
        except Exception:  # the song itself will say what is wrong
            log.warning("the analyzer's warm-up on %s failed", worker.address,
                        exc_info=True)


def plugin_registration(client) -> tuple[str, Callable]:
    """How ``client`` (a ``distributed.Client``) registers a worker plugin:
    ``(method name, register)``, ``register(plugin, name)`` a coroutine function to run
    on the client's event loop (``client.sync``, which can bound it).

    The public ``Client.register_plugin`` is preferred, then ``Client.register_worker_plugin``
    (its name in older releases of distributed), then the client's own
    ``_register_worker_plugin`` coroutine.  Called from its event loop, a public method
    returns its coroutine rather than waiting, so each can be given a time limit.
    """
    for how in ("register_plugin", "register_worker_plugin"):
        method = getattr(client, how, None)
        if callable(method):
            async def register(plugin, name, method=method):
                answer = method(plugin, name=name)
                return await answer if inspect.isawaitable(answer) else answer

            return how, register

    async def register_private(plugin, name):
        return await client._register_worker_plugin(plugin, name, False)

    return "_register_worker_plugin", register_private
