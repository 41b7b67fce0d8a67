"""Bounded retries with exponential backoff."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

__all__ = ["backoff_delays", "retry"]

T = TypeVar("T")
_log = logging.getLogger(__name__)


def backoff_delays(attempts: int, initial: float, maximum: float) -> list[float]:
    """Return the pauses between ``attempts`` tries: ``initial``, doubled each time, capped.

    Args:
        attempts: Number of tries (at least 1); there are ``attempts - 1`` pauses.
        initial: First pause in seconds.
        maximum: Longest pause in seconds.

    Returns:
        The pauses in seconds.
    """
    return [min(initial * 2**n, maximum) for n in range(max(attempts, 1) - 1)]


def retry(
    operation: Callable[[], T],
    *,
    retry_on: tuple[type[BaseException], ...],
    delays: list[float],
    what: str,
    before_retry: Callable[[], None] | None = None,
) -> T:
    """Call ``operation``; on one of ``retry_on``, pause and try again, once per delay.

    Args:
        operation: The call to make.
        retry_on: Exception types that warrant another try; anything else propagates at once.
        delays: Pauses before each further try (see `backoff_delays`).
        what: What is being tried, for the log.
        before_retry: Called before each further try (e.g. to drop a dead connection).

    Returns:
        What ``operation`` returned.

    Raises:
        BaseException: The last error when every try failed.
    """
    for delay in delays:
        try:
            return operation()
        except retry_on as error:
            _log.info("%s failed (%s); retrying in %.2fs", what, error, delay)
        time.sleep(delay)
        if before_retry is not None:
            before_retry()
    return operation()
