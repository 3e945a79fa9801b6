"""Wiring of the multi-machine deployment: docker-compose.yaml, .env.example, Dockerfile.

There is no Docker engine where these tests run, so the compose file is checked
by parsing it (PyYAML, with YAML merge keys resolved). When the Docker Compose v2
CLI plugin is installed, `docker compose config` (which only parses and
interpolates, it needs no engine) is run on it as well; that single test is
skipped when the plugin is missing.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
COMPOSE_FILE = ROOT / "docker-compose.yaml"
ENV_EXAMPLE = ROOT / ".env.example"
DOCKERFILE = ROOT / "Dockerfile"
REQUIREMENTS = ROOT / "requirements.txt"

AIRFLOW_SERVICES = {
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-worker",
    "airflow-triggerer",
    "airflow-init",
}
BACKING_SERVICES = {"postgres", "redis", "warehouse"}
DEPLOY_DIR = ROOT / "include" / "deploy"
CHECK_SECRETS = DEPLOY_DIR / "check-secrets.sh"
WAREHOUSE_INIT = DEPLOY_DIR / "warehouse-init.sh"

# Where the official image looks for each folder (AIRFLOW_HOME=/opt/airflow).
EXPECTED_MOUNTS = {
    "/opt/airflow/dags": "./dags",
    "/opt/airflow/plugins": "./plugins",
    "/opt/airflow/include": "./include",
    "/opt/airflow/logs": "./logs",
    "/opt/airflow/data/landing": "./data/landing",
    "/opt/airflow/data/exports": "./data/exports",
    "/opt/airflow/data/reports": "./data/reports",
}
WAREHOUSE_URI = "postgresql://${WAREHOUSE_USER}:${WAREHOUSE_PASSWORD}@warehouse:5432/${WAREHOUSE_DB}"

SECRET_NAME = re.compile(r"PASSWORD|SECRET|KEY")
# One compose interpolation with no inline default: ${VAR} or ${VAR:?message} / ${VAR?message}.
BARE_INTERPOLATION = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*(?::?\?[^}]*)?\}")
# `$$` is compose's escape for a literal `$` (left to the container's shell).
DOLLAR_TOKEN = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)|\$([A-Za-z_][A-Za-z0-9_]*)")
URI_USERINFO = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://([^/@\s]*)@")


# --------------------------------------------------------------------------- helpers


def load_compose() -> dict:
    # safe_load resolves `<<: *anchor` merge keys (YAML 1.1 merge, supported by PyYAML's SafeLoader).
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))


def env_of(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):  # ["KEY=value", ...] form
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {str(k): "" if v is None else str(v) for k, v in env.items()}


def mounts_of(service: dict) -> dict[str, str]:
    """Map container path -> host source for bind mounts (short or long syntax)."""
    result = {}
    for vol in service.get("volumes") or []:
        if isinstance(vol, str):
            parts = vol.split(":")
            if len(parts) >= 2:
                result[parts[1]] = parts[0]
        else:
            result[vol["target"]] = vol.get("source", "")
    return result


def strip_modifiers(text: str) -> str:
    """${VAR:?msg} / ${VAR:-default} -> ${VAR}, to compare interpolated strings."""
    return re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)[^}]*\}", r"${\1}", text)


def script_of(service: dict) -> str:
    """The shell script of a `command: [bash, -c, script]` service."""
    command = service.get("command")
    assert isinstance(command, list), command
    assert command[:2] == ["bash", "-c"], command
    assert len(command) == 3, command
    return command[2]


def used_variables(text: str) -> set[str]:
    names = set()
    for m in DOLLAR_TOKEN.finditer(text):
        if m.group(0) != "$$":
            names.add(m.group(1) or m.group(2))
    return names


def env_example_values() -> dict[str, str]:
    values = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        m = re.match(r"^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$", line)
        if m:
            values[m.group(1)] = m.group(2).strip()
    return values


def walk_strings(node):
    if isinstance(node, dict):
        for key, value in node.items():
            yield str(key)
            yield from walk_strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from walk_strings(item)
    elif node is not None:
        yield str(node)


def inline_secret_findings(doc: dict, raw_text: str) -> list[str]:
    """Every place where a secret is written into the compose file instead of `${VAR}`."""
    findings = []
    for name, service in (doc.get("services") or {}).items():
        for key, value in env_of(service).items():
            if SECRET_NAME.search(key) and not BARE_INTERPOLATION.fullmatch(value):
                findings.append(f"{name}: {key}={value!r}")
        command = service.get("command")
        if isinstance(command, list):
            for flag, value in itertools.pairwise(command):
                if flag in ("--requirepass", "--password") and not BARE_INTERPOLATION.fullmatch(str(value)):
                    findings.append(f"{name}: {flag} {value!r}")
    for text in walk_strings(doc):
        for m in URI_USERINFO.finditer(text):
            userinfo = m.group(1)
            if ":" in userinfo:
                password = userinfo.split(":", 1)[1]
                if not BARE_INTERPOLATION.fullmatch(password):
                    findings.append(f"URI with inline password: {text!r}")
    # A default such as ${DB_PASSWORD:-airflow} is an inline secret too.
    for m in re.finditer(r"\$\{([A-Za-z_][A-Za-z0-9_]*):?-", raw_text):
        if SECRET_NAME.search(m.group(1)):
            findings.append(f"default value for secret variable {m.group(1)}")
    return findings


COMPOSE = load_compose()
SERVICES = COMPOSE["services"]


def is_airflow_service(service: dict) -> bool:
    return "build" in service or "airflow" in str(service.get("image", ""))


DETECTED_AIRFLOW = sorted(name for name, svc in SERVICES.items() if is_airflow_service(svc))


# --------------------------------------------------------------------------- services


def test_all_services_present():
    assert set(SERVICES) >= AIRFLOW_SERVICES | BACKING_SERVICES, sorted(
        AIRFLOW_SERVICES | BACKING_SERVICES - set(SERVICES)
    )


def test_airflow_services_are_exactly_the_expected_ones():
    # Guards the parametrised tests below: they run over the services that use the Airflow image.
    assert set(DETECTED_AIRFLOW) == AIRFLOW_SERVICES


def test_airflow_common_anchor_builds_the_project_image():
    common = COMPOSE["x-airflow-common"]
    assert common["build"] in (".", {"context": "."})
    assert common["image"].startswith("${AIRFLOW_IMAGE_NAME")


def test_service_commands():
    assert SERVICES["airflow-apiserver"]["command"] == "api-server"
    assert SERVICES["airflow-scheduler"]["command"] == "scheduler"
    assert SERVICES["airflow-dag-processor"]["command"] == "dag-processor"
    assert SERVICES["airflow-worker"]["command"] == "celery worker"
    assert SERVICES["airflow-triggerer"]["command"] == "triggerer"


def resolve_defaults(text: str) -> str:
    """${VAR:-default} -> default, as compose renders it when VAR is not set in .env."""
    return re.sub(r"\$\{[A-Za-z_][A-Za-z0-9_]*:-([^}]*)\}", r"\1", text)


def test_apiserver_publishes_8080_on_loopback_by_default():
    ports = [str(p) for p in SERVICES["airflow-apiserver"]["ports"]]
    assert len(ports) == 1, ports
    assert ports[0].endswith(":8080"), ports
    # Issue #12, item 15: the UI is not on every interface unless the operator says so; a reverse
    # proxy with TLS goes in front (docs/deployment.md).
    assert resolve_defaults(ports[0]) == "127.0.0.1:8080:8080", ports
    assert env_example_values()["AIRFLOW_API_BIND"] == "127.0.0.1"
    assert "proxy_pass http://127.0.0.1:8080" in (ROOT / "docs" / "deployment.md").read_text(encoding="utf-8")
    for name, service in SERVICES.items():  # nothing else on all interfaces either
        for port in service.get("ports") or []:
            assert resolve_defaults(str(port)).startswith("127.0.0.1:"), (name, port)


def test_warehouse_is_postgres_15_created_with_the_connection_credentials():
    warehouse = SERVICES["warehouse"]
    assert warehouse["image"].split(":")[0] == "postgres"
    assert warehouse["image"].split(":")[1].split("-")[0] == "15"
    env = {k: strip_modifiers(v) for k, v in env_of(warehouse).items()}
    # Issue #12, item 15: the image's superuser is not the pipeline's account. The pipeline's
    # role is made by the init script on a new volume, and is the one in the connection URI.
    assert env["POSTGRES_USER"] == "${WAREHOUSE_ADMIN_USER}"
    assert env["POSTGRES_PASSWORD"] == "${WAREHOUSE_ADMIN_PASSWORD}"
    assert env["POSTGRES_DB"] == "${WAREHOUSE_DB}"
    assert env["WAREHOUSE_USER"] == "${WAREHOUSE_USER}"
    assert env["WAREHOUSE_PASSWORD"] == "${WAREHOUSE_PASSWORD}"
    mounts = mounts_of(warehouse)
    assert mounts["/docker-entrypoint-initdb.d/10-verfak-owner.sh"] == "./include/deploy/warehouse-init.sh"
    assert mounts["/verfak-deploy"] == "./include/deploy"
    assert any(
        str(v).endswith(":ro") and "docker-entrypoint-initdb.d" in str(v) for v in warehouse["volumes"]
    )
    values = env_example_values()
    assert values["WAREHOUSE_ADMIN_USER"] != values["WAREHOUSE_USER"]
    # Its data must survive `docker compose down`; separate from Airflow's metadata DB.
    warehouse_volumes = [str(v).split(":")[0] for v in warehouse["volumes"] if not str(v).startswith("./")]
    postgres_volumes = [str(v).split(":")[0] for v in SERVICES["postgres"]["volumes"]]
    assert warehouse_volumes
    assert set(warehouse_volumes).isdisjoint(postgres_volumes)
    assert set(warehouse_volumes) <= set(COMPOSE["volumes"])


# --------------------------------------------------------------------------- airflow services


@pytest.mark.parametrize("name", DETECTED_AIRFLOW)
def test_executor_is_celery(name):
    env = env_of(SERVICES[name])
    assert env.get("AIRFLOW__CORE__EXECUTOR") == "CeleryExecutor"
    assert strip_modifiers(env["AIRFLOW__CELERY__BROKER_URL"]) == "redis://:${REDIS_PASSWORD}@redis:6379/0"
    backend = strip_modifiers(env["AIRFLOW__CELERY__RESULT_BACKEND"])
    assert (
        backend
        == "db+postgresql://${AIRFLOW_DB_USER}:${AIRFLOW_DB_PASSWORD}@postgres:5432/${AIRFLOW_DB_NAME}"
    )
    metadata = strip_modifiers(env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"])
    assert metadata == (
        "postgresql+psycopg2://${AIRFLOW_DB_USER}:${AIRFLOW_DB_PASSWORD}@postgres:5432/${AIRFLOW_DB_NAME}"
    )


@pytest.mark.parametrize("name", DETECTED_AIRFLOW)
def test_airflow3_settings(name):
    env = env_of(SERVICES[name])
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://airflow-apiserver:8080/execution/"
    # The same secrets for every component, all from .env.
    assert strip_modifiers(env["AIRFLOW__API_AUTH__JWT_SECRET"]) == "${AIRFLOW_JWT_SECRET}"
    assert strip_modifiers(env["AIRFLOW__CORE__FERNET_KEY"]) == "${AIRFLOW_FERNET_KEY}"
    assert strip_modifiers(env["AIRFLOW__API__SECRET_KEY"]) == "${AIRFLOW_API_SECRET_KEY}"
    assert env["AIRFLOW__CORE__LOAD_EXAMPLES"] == "false"
    assert env["VERFAK_LANDING_DIR"] == "/opt/airflow/data/landing"
    assert env["VERFAK_EXPORT_DIR"] == "/opt/airflow/data/exports"
    assert env["VERFAK_REPORT_DIR"] == "/opt/airflow/data/reports"


@pytest.mark.parametrize("name", DETECTED_AIRFLOW)
def test_mounts_dags_plugins_include_and_data(name):
    mounts = mounts_of(SERVICES[name])
    for target, source in EXPECTED_MOUNTS.items():
        assert mounts.get(target) == source, f"{name}: {target} is mounted from {mounts.get(target)!r}"


@pytest.mark.parametrize("name", DETECTED_AIRFLOW)
def test_warehouse_connection_points_at_warehouse_service(name):
    env = env_of(SERVICES[name])
    assert strip_modifiers(env["AIRFLOW_CONN_VERFAK_WAREHOUSE"]) == WAREHOUSE_URI


@pytest.mark.parametrize("name", DETECTED_AIRFLOW)
def test_waits_for_healthy_backing_services(name):
    depends_on = SERVICES[name]["depends_on"]
    for backing in BACKING_SERVICES:
        assert depends_on[backing]["condition"] == "service_healthy", (name, backing)
    if name != "airflow-init":
        assert depends_on["airflow-init"]["condition"] == "service_completed_successfully"


def test_worker_waits_for_healthy_apiserver():
    depends_on = SERVICES["airflow-worker"]["depends_on"]
    assert depends_on["airflow-apiserver"]["condition"] == "service_healthy"


def test_worker_is_scalable():
    worker = SERVICES["airflow-worker"]
    assert "container_name" not in worker
    assert not worker.get("ports"), worker.get("ports")
    assert "hostname" not in worker
    # Warm shutdown of Celery tasks on `docker compose stop` / scale-down.
    assert env_of(worker)["DUMB_INIT_SETSID"] == "0"
    assert worker["stop_grace_period"] == "5m"


def test_init_runs_both_migrations_in_order_and_fails_fast():
    init = SERVICES["airflow-init"]
    # The lines the shell executes (not echo'd progress messages or comments).
    commands = [
        line.strip()
        for line in script_of(init).splitlines()
        if line.strip() and not line.strip().startswith(("#", "echo "))
    ]
    assert commands[0] == "set -euo pipefail"
    db_migrate = commands.index("airflow db migrate")
    verfak_migrate = next(i for i, line in enumerate(commands) if line.endswith("python -m verfak migrate"))
    assert db_migrate < verfak_migrate
    # plugins/ must be importable by a plain `python -m` (outside Airflow's own processes).
    assert commands[verfak_migrate].startswith('PYTHONPATH="/opt/airflow/plugins')
    assert init.get("restart") in (None, "no")


def test_no_service_gets_agency_passwords_and_init_gets_the_admin_account():
    # Issue #12, item 8: agency passwords are set by the administrator with
    # `python -m verfak agency-password`, never through the environment of a container.
    env = {k: strip_modifiers(v) for k, v in env_of(SERVICES["airflow-init"]).items()}
    assert env["_AIRFLOW_WWW_USER_PASSWORD"] == "${AIRFLOW_ADMIN_PASSWORD}"
    for name, service in SERVICES.items():
        assert not any(k.startswith("VERFAK_AGENCY_PASSWORD_") for k in env_of(service)), name
    assert not any(k.startswith("VERFAK_AGENCY_PASSWORD_") for k in env_example_values())
    # `python -m verfak ...` works in every Airflow container (plugins/ on the path).
    for name in AIRFLOW_SERVICES:
        assert env_of(SERVICES[name])["PYTHONPATH"] == "/opt/airflow/plugins", name


# --------------------------------------------------------------------------- placeholder secrets


def checked_by_init() -> list[str]:
    """The variables airflow-init's first command checks."""
    lines = [line.strip() for line in script_of(SERVICES["airflow-init"]).splitlines()]
    executed = [line for line in lines if line and not line.startswith(("#", "echo "))]
    assert executed[0] == "set -euo pipefail"
    check = executed[1].split()
    assert check[:2] == ["bash", "/opt/airflow/include/deploy/check-secrets.sh"], executed[:2]
    return check[2:]


def test_init_checks_every_secret_first():
    names = checked_by_init()
    init_env = {k: strip_modifiers(v) for k, v in env_of(SERVICES["airflow-init"]).items()}
    for name in names:  # each is the .env variable itself
        assert init_env[name] == "${" + name + "}", name
    secrets = {k for k in env_example_values() if SECRET_NAME.search(k)}
    # The warehouse superuser's password is checked by the warehouse's own init (it never
    # reaches an Airflow container); every other secret by airflow-init.
    assert set(names) == secrets - {"WAREHOUSE_ADMIN_PASSWORD"}
    init_script = WAREHOUSE_INIT.read_text(encoding="utf-8")
    assert "check-secrets.sh POSTGRES_PASSWORD WAREHOUSE_PASSWORD" in init_script
    assert env_of(SERVICES["warehouse"])["POSTGRES_PASSWORD"].startswith("${WAREHOUSE_ADMIN_PASSWORD")


def test_init_refuses_the_env_example_placeholders_and_empty_secrets():
    names = checked_by_init()
    placeholders = {name: env_example_values()[name] for name in names}
    assert set(placeholders.values()) == {"change-me"}
    result = subprocess.run(
        ["bash", str(CHECK_SECRETS), *names],
        env={"PATH": os.environ["PATH"], **placeholders},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode != 0
    for name in names:
        assert f"refusing to start: {name} is still the .env.example placeholder" in result.stderr
    # One secret empty, the others real: refused, naming that one, never printing a value.
    real = {name: f"s3cret-{i:02d}-0123456789abcdef" for i, name in enumerate(names)}
    result = subprocess.run(
        ["bash", str(CHECK_SECRETS), *names],
        env={"PATH": os.environ["PATH"], **real, "REDIS_PASSWORD": ""},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode != 0
    assert "REDIS_PASSWORD is empty" in result.stderr
    assert not any(value in result.stdout + result.stderr for value in real.values())
    result = subprocess.run(
        ["bash", str(CHECK_SECRETS), *names],
        env={"PATH": os.environ["PATH"], **real},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert not any(value in result.stdout + result.stderr for value in real.values())


def test_warehouse_init_refuses_placeholders_before_touching_the_database(tmp_path):
    """The script as the postgres image runs it on a new volume; psql is a stub that records its
    call, so a refusal is seen to come before any SQL."""
    (tmp_path / "bin").mkdir()
    calls = tmp_path / "psql-calls"
    stub = tmp_path / "bin" / "psql"
    stub.write_text(f"#!/usr/bin/env bash\ncat > /dev/null; echo called >> {calls}\n")
    stub.chmod(0o755)
    script = tmp_path / "warehouse-init.sh"
    script.write_text(
        WAREHOUSE_INIT.read_text().replace("/verfak-deploy/check-secrets.sh", str(CHECK_SECRETS))
    )
    (tmp_path / "pgdata").mkdir()
    (tmp_path / "pgdata" / "pg_hba.conf").write_text("host all all all scram-sha-256\n")
    base = {
        "PATH": f"{tmp_path / 'bin'}:{os.environ['PATH']}",
        "POSTGRES_USER": "postgres",
        "POSTGRES_DB": "verfak",
        "PGDATA": str(tmp_path / "pgdata"),
        "WAREHOUSE_USER": "verfak",
    }
    good = {"POSTGRES_PASSWORD": "admin-0123456789abcdef", "WAREHOUSE_PASSWORD": "owner-0123456789abcdef"}
    for bad in (
        {"POSTGRES_PASSWORD": "change-me"},
        {"WAREHOUSE_PASSWORD": ""},
        {"WAREHOUSE_USER": "postgres"},
    ):
        result = subprocess.run(
            ["bash", str(script)], env={**base, **good, **bad}, capture_output=True, text=True, timeout=30
        )
        assert result.returncode != 0, (bad, result.stderr)
        assert "refusing to start" in result.stderr, (bad, result.stderr)
        assert not calls.exists(), bad
    result = subprocess.run(
        ["bash", str(script)], env={**base, **good}, capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stderr
    assert calls.read_text() == "called\n"
    assert (tmp_path / "pgdata" / "pg_hba.conf").read_text().splitlines()[0] == "host all postgres all reject"
    assert not any(value in result.stdout + result.stderr for value in good.values())


def test_warehouse_owner_role_is_not_a_superuser():
    text = WAREHOUSE_INIT.read_text(encoding="utf-8")
    create = next(line for line in text.splitlines() if "CREATE ROLE %I" in line)
    for attribute in ("LOGIN", "NOSUPERUSER", "NOCREATEDB", "CREATEROLE", "NOREPLICATION", "NOBYPASSRLS"):
        assert f" {attribute} " in f" {create} ", attribute
    assert "ALTER DATABASE %I OWNER TO %I" in text
    # The password comes from the environment inside psql, not on its command line.
    assert "\\getenv owner_password WAREHOUSE_PASSWORD" in text
    assert "-v owner_password" not in text


# --------------------------------------------------------------------------- healthchecks


@pytest.mark.parametrize(
    ("name", "probe"),
    [("postgres", "pg_isready"), ("redis", "redis-cli ping"), ("warehouse", "pg_isready")],
)
def test_backing_service_healthchecks(name, probe):
    test = SERVICES[name]["healthcheck"]["test"]
    assert test[0] in ("CMD", "CMD-SHELL")
    assert probe in " ".join(test[1:])


def test_redis_healthcheck_checks_pong_not_just_exit_code():
    # redis-cli exits 0 on "NOAUTH Authentication required", so a password-protected
    # redis needs the reply itself checked.
    assert "PONG" in " ".join(SERVICES["redis"]["healthcheck"]["test"])
    assert SERVICES["redis"]["command"][:2] == ["redis-server", "--requirepass"]


@pytest.mark.parametrize("name", sorted(AIRFLOW_SERVICES - {"airflow-init"}))
def test_long_running_airflow_services_have_healthchecks(name):
    assert SERVICES[name]["healthcheck"]["test"]


# --------------------------------------------------------------------------- secrets and .env.example


def test_no_inline_secrets():
    findings = inline_secret_findings(COMPOSE, COMPOSE_FILE.read_text(encoding="utf-8"))
    assert findings == []


def test_inline_secret_check_catches_bad_files():
    bad = {
        "services": {
            "db": {"environment": {"POSTGRES_PASSWORD": "airflow"}},
            "app": {
                "environment": ["AIRFLOW__CORE__FERNET_KEY=abc", "CONN=postgresql://u:pw@db/x"],
                "command": ["redis-server", "--requirepass", "hunter2"],
            },
            "ok": {"environment": {"API_SECRET": "${API_SECRET:?required}"}},
        }
    }
    raw = "x: ${DB_PASSWORD:-airflow}"
    findings = inline_secret_findings(bad, raw)
    assert len(findings) == 5, findings
    assert not any(f.startswith("ok:") for f in findings)


def test_every_variable_is_documented_in_env_example():
    # Over the parsed document, so that ${...} in YAML comments is not counted.
    used = set().union(*(used_variables(text) for text in walk_strings(COMPOSE)))
    # Sanity: the variables the brief names are really read from .env.
    assert {
        "WAREHOUSE_USER",
        "WAREHOUSE_PASSWORD",
        "WAREHOUSE_DB",
        "AIRFLOW_FERNET_KEY",
        "AIRFLOW_JWT_SECRET",
        "WAREHOUSE_ADMIN_USER",
        "WAREHOUSE_ADMIN_PASSWORD",
    } <= used
    # `$${HOSTNAME}` and friends are escaped for the container shell, not read from .env.
    assert "HOSTNAME" not in used
    documented = set(env_example_values())
    assert sorted(used - documented) == []


def test_variable_scanner_skips_escaped_dollars():
    assert used_variables("a ${A} $B $${C} $$D ${E:?x} ${F:-y}") == {"A", "B", "E", "F"}


def test_env_example_holds_only_placeholders_for_secrets():
    values = env_example_values()
    secrets = {k: v for k, v in values.items() if SECRET_NAME.search(k)}
    assert len(secrets) >= 8, sorted(secrets)
    assert {k for k, v in secrets.items() if v != "change-me"} == set()


def test_env_example_explains_fernet_key_generation():
    text = ENV_EXAMPLE.read_text(encoding="utf-8")
    comments = "\n".join(line for line in text.splitlines() if line.lstrip().startswith("#"))
    assert "Fernet.generate_key()" in comments


def test_env_file_is_git_ignored():
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert ".env" in [line.strip() for line in ignored]


# --------------------------------------------------------------------------- Dockerfile


def test_dockerfile_installs_requirements_on_matching_airflow_image():
    lines = [
        line.strip()
        for line in DOCKERFILE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    froms = [line.split()[1] for line in lines if line.upper().startswith("FROM ")]
    assert froms == ["apache/airflow:3.3.2-python3.11"]
    copies = [line.split()[1:] for line in lines if line.upper().startswith(("COPY ", "ADD "))]
    assert ["requirements.txt", "/requirements.txt"] in copies
    runs = [line for line in lines if line.upper().startswith("RUN ")]
    assert any(re.search(r"\bpip install\b.*--no-cache-dir.*-r /requirements\.txt", run) for run in runs), (
        runs
    )
    # The image's Airflow and the pinned one must agree, or pip would replace Airflow.
    pins = REQUIREMENTS.read_text(encoding="utf-8")
    assert re.search(r"^apache-airflow==3\.3\.2\b", pins, re.MULTILINE)


def test_dockerignore_keeps_secrets_out_of_build_context():
    ignored = [line.strip() for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()]
    assert ".env" in ignored
    assert ".venv" in ignored


# --------------------------------------------------------------------------- docker compose config


def compose_plugin_missing_reason() -> str | None:
    docker = shutil.which("docker")
    if docker is None:
        return "docker CLI not installed"
    probe = subprocess.run([docker, "compose", "version"], capture_output=True, text=True)
    if probe.returncode != 0:
        return f"docker compose plugin not installed ({(probe.stderr or probe.stdout).strip()})"
    return None


def run_compose_config(env_file: Path) -> subprocess.CompletedProcess:
    # A shell variable overrides --env-file in compose, so hand it a clean environment.
    env = {k: os.environ[k] for k in ("PATH", "HOME", "DOCKER_CONFIG") if k in os.environ}
    return subprocess.run(
        [
            "docker",
            "compose",
            "-f",
            str(COMPOSE_FILE),
            "--env-file",
            str(env_file),
            "config",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )


def test_docker_compose_config(tmp_path):
    reason = compose_plugin_missing_reason()
    if reason:
        pytest.skip(reason)

    result = run_compose_config(ENV_EXAMPLE)
    assert result.returncode == 0, result.stderr
    assert "is not set" not in result.stderr, result.stderr
    resolved = json.loads(result.stdout)
    services = resolved["services"]
    assert set(services) == AIRFLOW_SERVICES | BACKING_SERVICES
    values = env_example_values()
    expected_uri = (
        f"postgresql://{values['WAREHOUSE_USER']}:{values['WAREHOUSE_PASSWORD']}"
        f"@warehouse:5432/{values['WAREHOUSE_DB']}"
    )
    for name in AIRFLOW_SERVICES:
        env = services[name]["environment"]
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
        assert env["AIRFLOW_CONN_VERFAK_WAREHOUSE"] == expected_uri
        targets = {v["target"] for v in services[name]["volumes"]}
        assert set(EXPECTED_MOUNTS) <= targets
    worker = services["airflow-worker"]
    assert "container_name" not in worker
    assert not worker.get("ports")

    # Without the secrets compose refuses to render (the ${VAR:?...} guards).
    empty = tmp_path / "empty.env"
    empty.write_text("")
    missing = run_compose_config(empty)
    assert missing.returncode != 0
    assert "required variable" in missing.stderr
