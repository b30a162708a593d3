"""/readyz of a real daphne while its PostgreSQL and Redis are stopped under it: each test
starts servers of its own (a throwaway cluster, a throwaway Redis), never the shared ones."""

import glob
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.servers import DAPHNE, free_port, manage, processes, wait_for

INITDB = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
pytestmark = pytest.mark.skipif(
    not INITDB or not shutil.which("redis-server"), reason="needs PostgreSQL and redis-server"
)


class Postgres:
    """A cluster of its own on a free port, run as the postgres user when we are root."""

    def __init__(self, directory: Path) -> None:
        self.bin = Path(INITDB[-1]).parent
        self.data = directory / "data"
        self.port = free_port()
        self.as_pg = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []
        if self.as_pg:
            shutil.chown(directory, "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "--no-sync")
        self.socket_dir = directory

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        options = f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.data / "log"),
            "-w",
            "-o",
            options,
            "start",
        )

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run(
            [*self.as_pg, str(self.bin / tool), *args], check=True, capture_output=True, timeout=60
        )


class Redis:
    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while (
            subprocess.run(
                ["redis-cli", "-p", str(self.port), "ping"], capture_output=True, check=False
            ).stdout
            != b"PONG\n"
        ):
            assert time.monotonic() < deadline, "redis did not start"
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)
            self.process = None


@pytest.fixture
def servers() -> Iterator[tuple[Postgres, Redis]]:
    # Not under pytest's tmp_path: the postgres user cannot enter root's folders there.
    directory = Path(tempfile.mkdtemp(prefix="ops-postgres."))
    postgres, redis = Postgres(directory), Redis()
    postgres.start()
    redis.start()
    try:
        yield postgres, redis
    finally:
        redis.stop()
        subprocess.run(
            [
                *postgres.as_pg,
                str(postgres.bin / "pg_ctl"),
                "-D",
                str(postgres.data),
                "-m",
                "immediate",
                "-w",
                "stop",
            ],
            capture_output=True,
            check=False,
        )
        shutil.rmtree(directory, ignore_errors=True)


def readyz(port: int) -> tuple[int, dict[str, Any]]:
    response = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=20)
    return response.status_code, response.json()


def failed(body: dict[str, Any]) -> set[str]:
    return {name for name, result in body["checks"].items() if not result["ok"]}


def test_readyz_names_the_server_that_stopped(servers: tuple[Postgres, Redis]) -> None:
    postgres, redis = servers
    env = {
        **os.environ,
        "LOCAL_ENV_FILE": os.devnull,
        "DEBUG": "true",
        "DATABASE_URL": postgres.url,
        "REDIS_URL": redis.url,
        "READYZ_TIMEOUT_SECONDS": "3",
        "RING_SWEEP_SECONDS": "0",
    }
    manage(env, "migrate", "--noinput")
    port = free_port()
    command = [DAPHNE, "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"]
    with processes([command], env):
        wait_for(f"http://127.0.0.1:{port}/healthz")
        assert readyz(port) == (
            200,
            {
                "status": "ready",
                "checks": {
                    "database": {"ok": True},
                    "channel_layer": {"ok": True},
                    "task_queue": {"ok": True},
                },
            },
        )

        redis.stop()
        status, body = readyz(port)
        assert (status, body["code"], failed(body)) == (503, "not_ready", {"channel_layer"})
        assert body["message"] == "Not ready: channel_layer failed."

        redis.start()  # the same port: the layer reconnects
        assert readyz(port)[0] == 200

        postgres.stop()
        status, body = readyz(port)
        assert (status, failed(body)) == (503, {"database", "task_queue"})
        assert httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200  # still up

        postgres.start()
        assert readyz(port)[0] == 200
