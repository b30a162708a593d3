"""One SQLite writer at a time within a process, without SQLite's busy-wait.

SQLite lets one transaction write at a time; a writer that finds the lock taken sleeps in
SQLite's busy handler for up to 100 ms per try, even if the lock frees a moment later. The
callback path (store, then apply) is the busiest writer, so within one process its writes queue
on a lock that wakes the next writer at once. PostgreSQL needs none of this.
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

_lock = threading.Lock()


@contextmanager
def serialized_writes() -> Iterator[None]:
    if connection.vendor != "sqlite":
        yield
        return
    with _lock:
        yield
