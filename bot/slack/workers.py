"""Daemon worker threads for the bot: conversations and Bolt's listeners run on these.

Not `ThreadPoolExecutor`, whose threads the interpreter joins at exit: a model call or a slow
Slack API call in flight must not keep the bot alive for minutes after SIGTERM. Nothing is lost
by not waiting: the audit log and the approval store are written before and after each command,
and a restart marks an approved command whose result never came back as `interrupted`.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any

log = logging.getLogger(__name__)


class WorkerPool:
    """A fixed number of daemon threads taking jobs from a queue."""

    def __init__(self, workers: int, name: str) -> None:
        self._jobs: queue.SimpleQueue[tuple[Callable[..., Any], tuple[Any, ...]] | None]
        self._jobs = queue.SimpleQueue()
        self._closed = False
        self._threads = [
            threading.Thread(target=self._work, name=f"{name}-{n}", daemon=True)
            for n in range(workers)
        ]
        for thread in self._threads:
            thread.start()

    def submit(self, job: Callable[..., Any], *args: Any) -> bool:
        """Queue `job(*args)`; False once the pool is shut down (the job is dropped)."""
        if self._closed:
            return False
        self._jobs.put((job, args))
        return True

    def _work(self) -> None:
        while (item := self._jobs.get()) is not None:
            job, args = item
            try:
                job(*args)
            except Exception:  # a job's exception would vanish with the thread: log it
                log.exception("%s failed", getattr(job, "__name__", "job"))

    def shutdown(self, timeout_s: float) -> bool:
        """Stop taking jobs; wait up to `timeout_s` for running ones. True if all finished."""
        self._closed = True
        for _ in self._threads:
            self._jobs.put(None)
        stop_waiting = threading.Event()
        timer = threading.Timer(timeout_s, stop_waiting.set)
        timer.daemon = True
        timer.start()
        for thread in self._threads:
            while thread.is_alive() and not stop_waiting.is_set():
                thread.join(0.05)
        timer.cancel()
        return not any(thread.is_alive() for thread in self._threads)


class DaemonExecutor(Executor):
    """`concurrent.futures.Executor` on a `WorkerPool`, for Bolt's `listener_executor`."""

    def __init__(self, workers: int, name: str) -> None:
        self.pool = WorkerPool(workers, name)

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()

        def run() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                future.set_result(fn(*args, **kwargs))
            except BaseException as exc:  # handed to whoever reads the future
                future.set_exception(exc)

        if not self.pool.submit(run):
            future.cancel()
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self.pool.shutdown(2.0 if wait else 0.0)
