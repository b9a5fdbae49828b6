"""A sliding-window limit on executed commands, shared by every conversation of a process."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class SlidingWindowLimiter:
    """At most `limit` acquisitions in any `window_s` seconds.

    A sliding window (not a fixed bucket) so that a burst straddling a bucket boundary cannot
    run twice the limit; a lock because Slack listeners run conversations in threads.
    """

    def __init__(
        self, limit: int, window_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if limit < 1 or window_s <= 0:
            raise ValueError("limit must be >= 1 and window_s > 0")
        self.limit, self.window_s, self._clock = limit, window_s, clock
        self._stamps: deque[float] = deque()
        self._lock = threading.Lock()

    def try_acquire(self) -> bool:
        """Take one slot if the window has room; never blocks."""
        with self._lock:
            now = self._clock()
            while self._stamps and now - self._stamps[0] >= self.window_s:
                self._stamps.popleft()
            if len(self._stamps) >= self.limit:
                return False
            self._stamps.append(now)
            return True

    def retry_after(self) -> float:
        """Seconds until the oldest slot in the window frees up (0 when there is room)."""
        with self._lock:
            if len(self._stamps) < self.limit:
                return 0.0
            return max(0.0, self.window_s - (self._clock() - self._stamps[0]))
