"""Structured (JSON lines) logs, each carrying the id of the request it was written for.

The request id lives in a context variable set by ``app.api.middleware.RequestContext``; the
formatter reads it, so any ``logging.getLogger("newskb...")`` call inside a request is tagged
without passing the id around.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from contextvars import ContextVar
from datetime import UTC, datetime
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


def log_info(logger: logging.Logger, message: str, fields: dict[str, Any]) -> None:
    """``logger.info(message, extra=fields)``, written straight to our JSON handler when it is
    the only one that would see the line (the usual configuration).

    One access line per request went through a LogRecord, the logger tree and the handler's
    formatter: a tenth of a cached answer's CPU. The line is the same either way; any other
    handler or filter on the way (a test's ``caplog``, a custom config) gets the usual path.
    """
    if not logger.isEnabledFor(logging.INFO):
        return
    handlers = _only_ours(logger)
    if handlers is None:
        logger.info(message, extra=fields)
        return
    line = _json_line(time.time(), "info", logger.name, message, None, fields)
    for handler in handlers:
        handler.write_line(line)


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


class _OurHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Marks the handler we installed, so configuring twice replaces it instead of doubling."""

    def write_line(self, line: str) -> None:
        """What ``emit`` does with a formatted line, under the handler's lock."""
        with self.lock:  # type: ignore[union-attr]
            try:
                self.stream.write(line + self.terminator)
                self.flush()
            except Exception:  # as ``emit`` does: a broken stream must not fail the request
                self.handleError(logging.makeLogRecord({"msg": line}))


def configure_logging(level: str = "info", stream: IO[str] | None = None) -> logging.Logger:
    """Send the ``newskb`` loggers to ``stream`` (stderr) as JSON lines at ``level``.

    uvicorn's own lines (start-up, shutdown, its error log) become JSON lines too, and its plain
    access log is switched off: ``RequestContext`` writes one JSON access line per request, so
    a log shipper reads one format and sees each request once, whoever started the server.
    """
    # Fields no line shows, which every record would otherwise collect (the logging HOWTO's
    # "Optimization"): the caller's file and line (a stack walk), thread and process names.
    logging._srcfile = None
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    handler = _OurHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger(LOGGER_NAME)
    for old in [h for h in logger.handlers if isinstance(h, _OurHandler)]:
        logger.removeHandler(old)
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
