"""Logs: one JSON object per line (LOG_FORMAT=json) or plain text, and an access line per request.

Every record logged while a request runs carries that request's id (from
config.middleware.RequestIdMiddleware, also sent back as `X-Request-ID`), so one
request's lines can be found across web processes. A small formatter of our own:
python-json-logger would add a dependency for the same 40 lines.
"""

from __future__ import annotations

import contextvars
import json
import logging
import time
from datetime import UTC, datetime

# The id of the request this thread or task is serving ("" outside a request).
request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")

access_logger = logging.getLogger("weiquan.access")

# Attributes every LogRecord has; anything else came in through `extra=`.
_RESERVED = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


class RequestIdFilter(logging.Filter):
    """Give every record a `request_id` (the current request's, or "-")."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            # django.request logs after the middleware returned: its record carries the request.
            request = getattr(record, "request", None)
            record.request_id = getattr(request, "request_id", None) or request_id_var.get() or "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _RESERVED and key not in entry and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack_info"] = self.formatStack(record.stack_info)
        # default=str: a stray object in `extra=` must not lose the line.
        return json.dumps(entry, ensure_ascii=False, default=str)


def logging_config(*, log_format: str, level: str) -> dict:
    """The LOGGING setting for `log_format` "json" or "plain"."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "config.logs.RequestIdFilter"}},
        "formatters": {
            "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
            "json": {"()": "config.logs.JsonFormatter"},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": log_format,
                "filters": ["request_id"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # WeasyPrint reports each rendering step at INFO.
            "weasyprint": {"level": "WARNING"},
            "fontTools": {"level": "WARNING"},
            # runserver's own access line: ours (weiquan.access) says the same and more.
            "django.server": {"level": "WARNING"},
        },
    }


class AccessLogMiddleware:
    """Bind the request id for every log line of the request, then log one access line.

    Sits right after RequestIdMiddleware, so the line covers everything else,
    including answers that other middleware give without a view (redirects, 413).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = request_id_var.set(getattr(request, "request_id", "") or "")
        started = time.perf_counter()
        status = 500
        try:
            response = self.get_response(request)
            status = response.status_code
            return response
        finally:
            duration_ms = round((time.perf_counter() - started) * 1000, 2)
            access_logger.log(
                logging.WARNING if status >= 500 else logging.INFO,
                "%s %s %s %.1fms",
                request.method,
                request.path,
                status,
                duration_ms,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": status,
                    "duration_ms": duration_ms,
                },
            )
            request_id_var.reset(token)
