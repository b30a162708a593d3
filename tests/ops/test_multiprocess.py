"""Multiprocess mode (PROMETHEUS_MULTIPROC_DIR): a scrape of one process reports the figures of
every process of the machine, past ones' counters included, live processes' gauges only."""

import os
import subprocess
import sys
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parents[2]
SETUP = "import django; django.setup()\n"
COUNT = (
    SETUP + "from calls.metrics import CALLBACKS_INGESTED\n"
    "from incidents.metrics import WEBSOCKET_CLIENTS\n"
    "CALLBACKS_INGESTED.inc({ingested}); WEBSOCKET_CLIENTS.inc({clients})\n"
)
SCRAPE = (
    SETUP + "from django.test.utils import setup_test_environment; setup_test_environment()\n"
    "from django.test import Client\n"
    "import sys; sys.stdout.write(Client().get('/metrics').content.decode())\n"
)


def environment(directory: Path) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG"}}
    return {
        **keep,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "LOCAL_ENV_FILE": os.devnull,
        "SECRET_KEY": "tests-only-secret-key-not-for-any-deployment-0123456789abcdef",
        "PROMETHEUS_MULTIPROC_DIR": str(directory),
        "SQLITE_PATH": str(directory.parent / "db.sqlite3"),
    }


def scrape(env: dict[str, str]) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", SCRAPE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return {
        sample.name: sample.value
        for family in text_string_to_metric_families(done.stdout)
        for sample in family.samples
        if not sample.labels
    }


def test_one_scrape_answers_for_every_process_of_the_machine(tmp_path: Path) -> None:
    directory = tmp_path / "metrics"
    directory.mkdir()
    env = environment(directory)
    # The database is never created: the backlog is left out of the scrape, which still works.
    subprocess.run(
        [sys.executable, "-c", COUNT.format(ingested=2, clients=5)],
        cwd=ROOT,
        env=env,
        timeout=60,
        check=True,
    )  # a process that has ended (or was killed)
    alive = subprocess.Popen(
        [
            sys.executable,
            "-c",
            COUNT.format(ingested=3, clients=1) + "print('ready', flush=True)\n"
            "import sys; sys.stdin.read()",
        ],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert alive.stdout is not None and alive.stdout.readline() == "ready\n"
        samples = scrape(env)
        assert samples["incident_reporter_callbacks_ingested_total"] == 5
        assert samples["incident_reporter_websocket_clients"] == 1  # the live process's only
    finally:
        alive.kill()
        alive.wait(10)
    samples = scrape(env)
    assert samples["incident_reporter_callbacks_ingested_total"] == 5  # counters outlive them
    assert samples.get("incident_reporter_websocket_clients", 0) == 0
