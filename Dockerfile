# Image for every Airflow service in docker-compose.yaml (api-server, scheduler,
# dag-processor, triggerer, celery workers, init).
#
# The tag pins Airflow 3.3.2 on Python 3.11, the same versions requirements.txt
# pins, so pip keeps the image's Airflow and only adds the pipeline's packages.
# DAGs, the verfak package (plugins/) and include/ are not baked in: compose
# mounts them, so every container runs the checked-out commit.
FROM apache/airflow:3.3.2-python3.11

# The base image runs as the unprivileged "airflow" user; pip installs into
# that user's site-packages, as the official "extending the image" guide does.
COPY requirements.txt /requirements.txt
RUN pip install --no-cache-dir -r /requirements.txt
