"""Structured (JSON lines) logs, each carrying the id of the request it was written for.

The request id lives in a context variable set by ``app.api.middleware.RequestContext``; the
formatter reads it, so any ``logging.getLogger("newskb...")`` call inside a request is tagged
without passing the id around.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import threading
import time
import weakref
from contextvars import ContextVar
from datetime import UTC, datetime
from json.encoder import encode_basestring_ascii
from typing import IO, Any

request_id_var: ContextVar[str | None] = ContextVar("newskb_request_id", default=None)

LOGGER_NAME = "newskb"
# Attributes every LogRecord has; anything else came through ``extra=`` and is logged as a field.
# uvicorn's ``color_message`` repeats the message with terminal colours: never a field.
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {
    "message",
    "asctime",
    "taskName",
    "color_message",
}
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]")  # a terminal control sequence (colours, bold)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id and extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        return _json_line(
            record.created,
            record.levelname.lower(),
            record.name,
            _ANSI.sub("", record.getMessage()),
            getattr(record, "request_id", None),
            {k: v for k, v in record.__dict__.items() if k not in _STANDARD},
            self.formatException(record.exc_info) if record.exc_info else None,
        )


def _json_line(
    created: float,
    level: str,
    logger: str,
    message: str,
    request_id: str | None,
    fields: dict[str, Any],
    exception: str | None = None,
) -> str:
    line: dict[str, Any] = {
        "time": _timestamp(created),
        "level": level,
        "logger": logger,
        "message": message,
    }
    if request_id := request_id or request_id_var.get():
        line["request_id"] = request_id
    for key, value in fields.items():
        line.setdefault(key, value)
    if exception:
        line["exception"] = exception
    # ASCII only: no character of a hostile path or header can break the line in two.
    return _ENCODER.encode(line)


# ``json.dumps(line, default=str)`` builds this encoder anew for every line (half of its cost).
_ENCODER = json.JSONEncoder(default=str)


def log_access(
    logger: logging.Logger,
    *,
    method: str,
    path: str,
    route: str,
    status: int,
    duration_ms: float,
    client: str | None,
) -> None:
    """One access line, ``logger.info("GET /path 200", extra=...)`` with these fields, written
    straight to our JSON handler when it is the only one that would see it (the usual
    configuration).

    Through a LogRecord, the logger tree and the handler's formatter, one line per request cost
    a tenth of a cached answer's CPU, and the generic JSON encoder, in a served app, still about
    a tenth: the line is filled into its template instead, each text escaped by the encoder's
    own function. The line is the same either way (tests compare); any other handler or filter
    on the way (a test's ``caplog``, a custom config) gets the usual path.
    """
    if not logger.isEnabledFor(logging.INFO):
        return
    message = f"{method} {path} {status}"
    handlers = _only_ours(logger)
    if handlers is None:
        fields = {"method": method, "path": path, "route": route, "status": status}
        fields |= {"duration_ms": duration_ms, "client": client}
        logger.info(message, extra=fields)
        return
    request_id = request_id_var.get()
    line = (
        f'{{"time": "{_timestamp(time.time())}", "level": "info", "logger": {_text(logger.name)}, '
        f'"message": {_text(message)}, '
        + (f'"request_id": {_text(request_id)}, ' if request_id else "")
        + f'"method": {_text(method)}, "path": {_text(path)}, "route": {_text(route)}, '
        f'"status": {int(status)}, "duration_ms": {float(duration_ms)!r}, '
        f'"client": {"null" if client is None else _text(client)}}}'
    )
    for handler in handlers:
        handler.write_line(line)


_text = encode_basestring_ascii  # a str as JSON, ASCII only (as ``_ENCODER`` writes it)


def _only_ours(logger: logging.Logger) -> list[_OurHandler] | None:
    """The handlers a record of ``logger`` would reach, if all are ours and nothing filters."""
    found: list[_OurHandler] = []
    current: logging.Logger | None = logger
    while current is not None:
        if current.filters:
            return None
        for handler in current.handlers:
            if type(handler) is not _OurHandler or handler.filters or handler.level > logging.INFO:
                return None
            found.append(handler)
        current = current.parent if current.propagate else None
    return found


def _timestamp(created: float) -> str:
    """ISO 8601 in UTC with milliseconds; the second's text is reused (one access line per
    request made ``datetime.isoformat`` a tenth of the log's cost)."""
    global _last_second, _last_text
    second = int(created)
    if second != _last_second:
        _last_second = second
        _last_text = datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{_last_text}.{int((created - second) * 1000):03d}+00:00"


_last_second, _last_text = -1, ""


# A block of lines written at once stays whole on a pipe shared with other processes (POSIX
# writes at most PIPE_BUF bytes to a pipe without interleaving them with another writer's).
BLOCK_BYTES = 4096


class _OurHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Marks the handler we installed, so configuring twice replaces it instead of doubling.

    With ``flush_interval`` set, the access lines (``log_access``) wait in memory and are
    written in blocks of up to ``BLOCK_BYTES`` of whole lines, at the latest ``flush_interval``
    seconds after the first of them: a served app writes one per request, and one write per
    line cost a cached answer about 6 % of its CPU. Any other line (uvicorn's, a warning, an
    error) is written at once, after every line waiting before it; so is what waits when the
    handler is flushed (logging's shutdown at exit) and before the process forks. uvicorn
    re-raises the SIGTERM it shut down for, so no exit hook runs then: its shutdown lines write
    what waits.
    """

    def __init__(self, stream: IO[str], flush_interval: float = 0.0) -> None:
        super().__init__(stream)
        self.flush_interval = flush_interval
        self._pending: list[str] = []
        self._pending_bytes = 0
        self._due = threading.Event()  # set while a line waits for the flusher
        self._flusher: threading.Thread | None = None
        self._closed = False
        _BUFFERING.add(self)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
        except Exception:
            self.handleError(record)
            return
        self.write_line(line, now=True)

    def write_line(self, line: str, *, now: bool = False) -> None:
        """What ``emit`` does with a formatted line, under the handler's lock."""
        with self.lock:  # type: ignore[union-attr]
            try:
                if not self.flush_interval or self._closed:
                    self.stream.write(line + self.terminator)
                    self.stream.flush()
                    return
                self._pending.append(line)
                self._pending_bytes += len(line) + 1
                if now or self._pending_bytes >= BLOCK_BYTES:
                    self._write_pending()
                elif not self._due.is_set():
                    self._wake_flusher()
            except Exception:  # as ``emit`` does: a broken stream must not fail the request
                self.handleError(logging.makeLogRecord({"msg": line}))

    def flush(self) -> None:
        with self.lock:  # type: ignore[union-attr]
            self._write_pending()
            if self.stream and hasattr(self.stream, "flush"):
                self.stream.flush()

    def close(self) -> None:
        self.write_waiting()
        self._closed = True
        self._due.set()  # the flusher wakes and ends
        super().close()

    def write_waiting(self) -> None:
        """Write the waiting lines, never raising: with the stream closed or broken (a test
        runner's, a pipe nobody reads) they are dropped, as ``emit`` drops a line then."""
        with self.lock:  # type: ignore[union-attr]
            try:
                self._write_pending()
            except Exception:
                self._pending.clear()
                self._pending_bytes = 0

    def _write_pending(self) -> None:
        """The waiting lines, in blocks of whole lines of at most ``BLOCK_BYTES`` each."""
        if not self._pending:
            return
        block: list[str] = []
        size = 0
        for line in self._pending:
            if block and size + len(line) + 1 > BLOCK_BYTES:
                self.stream.write("\n".join(block) + "\n")
                block, size = [], 0
            block.append(line)
            size += len(line) + 1
        if block:
            self.stream.write("\n".join(block) + "\n")
            self.stream.flush()
        self._pending.clear()
        self._pending_bytes = 0

    def _wake_flusher(self) -> None:
        if self._flusher is None or not self._flusher.is_alive():  # none yet, or forked
            self._flusher = threading.Thread(
                target=self._flush_after_interval, name="newskb-log-flush", daemon=True
            )
            self._flusher.start()
        self._due.set()

    def _flush_after_interval(self) -> None:
        while not self._closed:
            self._due.wait()
            time.sleep(self.flush_interval)
            self._due.clear()
            self.write_waiting()

    def _forget_after_fork(self) -> None:
        """In a forked child: the parent writes what was waiting; the flusher did not survive."""
        self._pending.clear()
        self._pending_bytes = 0
        self._due = threading.Event()
        self._flusher = None


_BUFFERING: weakref.WeakSet[_OurHandler] = weakref.WeakSet()


def _flush_before_fork() -> None:
    for handler in list(_BUFFERING):
        handler.write_waiting()


def _forget_in_child() -> None:
    for handler in list(_BUFFERING):
        handler._forget_after_fork()


os.register_at_fork(before=_flush_before_fork, after_in_child=_forget_in_child)


def configure_logging(
    level: str = "info", stream: IO[str] | None = None, *, flush_ms: int = 0
) -> logging.Logger:
    """Send the ``newskb`` loggers to ``stream`` (stderr) as JSON lines at ``level``.

    uvicorn's own lines (start-up, shutdown, its error log) become JSON lines too, and its plain
    access log is switched off: ``RequestContext`` writes one JSON access line per request, so
    a log shipper reads one format and sees each request once, whoever started the server.
    With ``flush_ms``, access lines are written in blocks, at most that many milliseconds late.
    """
    # Fields no line shows, which every record would otherwise collect (the logging HOWTO's
    # "Optimization"): the caller's file and line (a stack walk), thread and process names.
    logging._srcfile = None
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    handler = _OurHandler(stream or sys.stderr, flush_interval=flush_ms / 1000)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger(LOGGER_NAME)
    for old in [h for h in logger.handlers if isinstance(h, _OurHandler)]:
        logger.removeHandler(old)
        old.close()  # its waiting lines first; its flusher ends
    logger.addHandler(handler)
    logger.setLevel(level.upper())
    server = logging.getLogger("uvicorn")
    server.handlers = [handler]
    server.propagate = False
    logging.getLogger("uvicorn.access").disabled = True
    return logger


def uvicorn_log_config(level: str = "info") -> dict[str, Any]:
    """uvicorn's ``log_config``: JSON lines from its first line on, in every process of it
    (the supervisor of ``--workers`` never loads the app, so ``configure_logging`` never runs
    there)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": f"{__name__}.JsonFormatter"}},
        "handlers": {
            "json": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            }
        },
        "loggers": {
            "uvicorn": {"handlers": ["json"], "level": level.upper(), "propagate": False},
            "uvicorn.access": {"handlers": [], "propagate": False},
        },
    }
