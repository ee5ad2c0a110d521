"""The MIME-parsing worker pool: spawned processes that end with the desk.

A desk killed with SIGKILL runs no clean-up, so its pool's workers would live on as
orphans, each holding a Python interpreter. On Linux each worker asks the kernel to
send it SIGTERM when the desk ends (``PR_SET_PDEATHSIG``); everywhere, a worker that
starts after its desk has already gone exits at once.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import resource_tracker

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def parse_pool(workers: int) -> ProcessPoolExecutor:
    """Worker processes for MIME parsing, so it runs beside storing (not under one GIL).

    Spawned, never forked: the app has threads (IMAP readers, Textual) a fork would copy.
    """
    _start_resource_tracker()
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=end_with_parent,
        initargs=(os.getpid(),),
    )


def end_with_parent(parent: int) -> None:
    """Pool initializer: end this worker when the process ``parent`` ends, however it
    ends. The kernel's parent-death signal is tied to the thread that spawned the
    worker; the pool's workers are spawned by the thread running the sync, which
    outlives the pool."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != parent:  # the desk died before the signal was asked for
        os._exit(0)


def _start_resource_tracker() -> None:
    """Start multiprocessing's resource tracker with a real stderr.

    The tracker is handed ``sys.stderr``'s descriptor; inside Textual that is the app's
    print capture, whose ``fileno()`` is -1, and the spawn fails with "bad value(s) in
    fds_to_keep". Started with /dev/null as its stderr instead, it never writes over
    the screen either.
    """
    try:
        usable = sys.stderr is not None and sys.stderr.fileno() >= 0
    except (AttributeError, OSError, ValueError):
        usable = False
    if usable:
        return
    with open(os.devnull, "w") as devnull:
        saved, sys.stderr = sys.stderr, devnull
        try:
            resource_tracker.ensure_running()
        finally:
            sys.stderr = saved
