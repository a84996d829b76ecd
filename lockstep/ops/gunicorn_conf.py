"""gunicorn's settings for `lockstep serve` and `lockstep demo`, loaded with
`-c python:lockstep.ops.gunicorn_conf` (the command line adds bind, workers and the control
socket). It reads the environment only: gunicorn loads it before Django is set up."""

from __future__ import annotations

import os

_stop_timeout = int(os.environ.get("LOCKSTEP_STOP_TIMEOUT", "").strip() or 20)
# SIGTERM: stop accepting, finish in-flight requests for this long, then stop the workers;
# the supervisor kills what is left a little later (processes.py).
graceful_timeout = max(1, _stop_timeout - 2)
worker_class = "gthread"
# Lockstep logs one line per request itself, with its request id (core/middleware.py).
accesslog = None
errorlog = "-"

_json = os.environ.get("LOCKSTEP_LOG_FORMAT", "").strip().lower() == "json"
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "root": {"level": "INFO", "handlers": ["console"]},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": [], "propagate": True},
        "gunicorn.access": {"level": "WARNING", "handlers": [], "propagate": False},
    },
    "filters": {"request_id": {"()": "lockstep.core.logs.RequestIdFilter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "lockstep",
            "filters": ["request_id"],
            "stream": "ext://sys.stderr",
        }
    },
    "formatters": {
        "lockstep": {"()": "lockstep.core.logs.JsonFormatter"}
        if _json
        else {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}
    },
}
