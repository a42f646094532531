"""Unexpected exceptions become a logged traceback plus one sentence in the window, never a dialog or a crash.

PySide reports an exception raised in a slot or a virtual override (``paintEvent`` …) through ``sys.excepthook``;
:func:`install` routes that, and exceptions of plain threads, to the log and to :data:`reporter`, whose
``problem`` signal the main window shows as a non-modal banner. :func:`guarded` does the same for one callable
when a caller wants to carry on after a failure without depending on the global hook.
"""

from __future__ import annotations

import functools
import inspect
import logging
import sys
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Signal

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])


class ProblemReporter(QObject):
    """Carries user-facing sentences about unexpected failures to the window; safe to emit from any thread."""

    problem = Signal(str)


reporter: ProblemReporter | None = None


def _reporter() -> ProblemReporter:
    global reporter
    if reporter is None:
        reporter = ProblemReporter()
    return reporter


def sentence_for(exc: BaseException, where: str = "the window") -> str:
    return (
        f"Something went wrong in {where} ({type(exc).__name__}). "
        "The details are in the log; you can keep working, or restart the app if something looks stuck."
    )


def report(exc: BaseException, where: str = "the window") -> None:
    """Log ``exc`` with its traceback and show one sentence about it."""
    log.error("Unexpected error in %s", where, exc_info=(type(exc), exc, exc.__traceback__))
    try:
        _reporter().problem.emit(sentence_for(exc, where))
    except RuntimeError:  # the reporter was deleted during shutdown: the log line is all we can do
        log.debug("problem reporter gone; error only logged")


def _excepthook(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    if issubclass(exc_type, KeyboardInterrupt):
        sys.__excepthook__(exc_type, exc, tb)
        return
    if exc.__traceback__ is None:
        exc = exc.with_traceback(tb)
    report(exc)


def _thread_excepthook(args: threading.ExceptHookArgs) -> None:
    if args.exc_value is None or issubclass(args.exc_type, SystemExit):
        return
    name = args.thread.name if args.thread is not None else "a background thread"
    report(args.exc_value, where=f"a background task ({name})")


def install() -> ProblemReporter:
    """Route uncaught exceptions (Qt slots, overrides, threads) to the log and the banner. Idempotent."""
    sys.excepthook = _excepthook
    threading.excepthook = _thread_excepthook
    return _reporter()


def uninstall() -> None:
    sys.excepthook = sys.__excepthook__
    threading.excepthook = threading.__excepthook__


def guarded(fn: F) -> F:
    """Decorate a slot: an exception is logged and shown as a banner sentence, and the slot returns None."""

    # Qt passes a signal's arguments positionally; like PySide with a plain slot, drop those the slot doesn't take.
    code = fn.__code__
    takes_varargs = bool(code.co_flags & inspect.CO_VARARGS)
    max_args = code.co_argcount

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not takes_varargs:
            args = args[:max_args]
        try:
            return fn(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - the point of the guard: report, never propagate into Qt
            report(exc)
            return None

    return wrapper  # type: ignore[return-value]
