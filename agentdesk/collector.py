"""Python's cycle collector paused while a burst of allocation runs, and never resumed
by someone who did not pause it."""

from __future__ import annotations

import gc


class CollectorPause:
    """The cycle collector off from ``start()`` to ``stop()`` (or inside ``with``).

    Only a collector that was on is turned off, and only what this pause turned off is
    turned on again: a pause someone else made stays theirs.
    """

    def __init__(self) -> None:
        self._paused = False

    def start(self) -> None:
        if gc.isenabled():
            gc.disable()
            self._paused = True

    def stop(self) -> None:
        if self._paused:
            self._paused = False
            gc.enable()

    def __enter__(self) -> CollectorPause:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
