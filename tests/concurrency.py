"""Run calls at the same moment on threads, each with its own database connection (PostgreSQL tests).

Shared by the concurrency tests of every app: the row locks and unique keys they prove only show under
real parallel connections.
"""

from __future__ import annotations

import queue
import threading
import time

from django.db import OperationalError, connection

#: Threads (and so connections) at most. PostgreSQL's default of 100 connections is shared with the rest of
#: the test run (the other xdist worker, a live server) and sometimes with other runs on the machine.
MAX_THREADS = 50
#: How long a thread waits for a free connection slot before it reports the failure as its result.
CONNECT_PATIENCE_SECONDS = 30.0


def _connect() -> None:
    """Open this thread's connection, waiting while the server has no free slot ("too many clients").

    Only the connection is retried: no call has run yet, so nothing can happen twice.
    """
    deadline = time.monotonic() + CONNECT_PATIENCE_SECONDS
    while True:
        try:
            connection.ensure_connection()
            return
        except OperationalError as error:
            if "too many clients" not in str(error) or time.monotonic() > deadline:
                raise
            connection.close()
            time.sleep(0.2)


def run_together(calls, *, threads: int = MAX_THREADS) -> list:
    """Run the calls concurrently on up to `threads` threads; return each call's result or exception, in order.

    Every thread connects first, then all start together at a barrier; each takes its next call as soon as
    its previous one returned.
    """
    results: list = [None] * len(calls)
    work: queue.Queue = queue.Queue()
    for index, call in enumerate(calls):
        work.put((index, call))
    pool = min(threads, len(calls))
    barrier = threading.Barrier(pool)

    def worker():
        try:
            try:
                _connect()
            except OperationalError:  # still no slot: the other threads take this one's share of the calls
                barrier.wait()
                return
            barrier.wait()
            while True:
                try:
                    index, call = work.get_nowait()
                except queue.Empty:
                    return
                try:
                    results[index] = call()
                except Exception as error:  # handed to the test, which reports it
                    results[index] = error
        finally:
            connection.close()

    workers = [threading.Thread(target=worker) for _ in range(pool)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    return results
