"""The host name Airflow records for a task instance (``[core] hostname_callable``).

Airflow records the machine's FQDN by default, so two Celery workers on one machine (``make
airflow EXECUTOR=celery`` starts two) would look like one in the task instance table and the UI.
``scripts/airflow_services.sh`` gives each worker ``VERFAK_WORKER_HOSTNAME`` and points
``AIRFLOW__CORE__HOSTNAME_CALLABLE`` at ``verfak.hostname.worker_hostname``; anywhere else the
FQDN is kept. Kept import-light: every task process calls it.
"""

from __future__ import annotations

import socket

from verfak import config


def worker_hostname() -> str:
    """``VERFAK_WORKER_HOSTNAME`` when set (one name per worker), else the machine's FQDN."""
    return config.settings().worker_hostname or socket.getfqdn()
