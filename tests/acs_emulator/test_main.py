"""`python -m acs_emulator`: arguments, the printed connection string, and a real run."""

import base64
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from acs_emulator import EMULATOR_RESOURCE_ID
from acs_emulator.__main__ import connection_string, parse_args
from tests.acs_emulator.scenarios import ACCESS_KEY, CALLS, call_body
from tests.acs_emulator.servers import Receiver
from tests.acs_emulator.signing import HmacAuth

PROJECT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_connection_string_names_the_endpoint_and_key() -> None:
    assert connection_string("127.0.0.1", 8100, "a2V5") == (
        "endpoint=http://127.0.0.1:8100/;accesskey=a2V5"
    )


def test_with_tls_the_connection_string_names_https() -> None:
    assert connection_string("127.0.0.1", 8443, "a2V5", tls=True) == (
        "endpoint=https://127.0.0.1:8443/;accesskey=a2V5"
    )


def test_ga_options_default_to_the_emulator_resource_id_and_loopback_http() -> None:
    args = parse_args([])

    assert (args.jwt_audience, args.jwt_issuer) == (EMULATOR_RESOURCE_ID, None)
    assert (args.allow_http_callbacks, args.tls_cert, args.jwt_key_pem) == (False, None, None)


def test_a_key_is_generated_when_none_is_given() -> None:
    args = parse_args([])

    assert len(base64.b64decode(args.access_key, validate=True)) == 32
    assert (args.host, args.port, args.time_scale) == ("127.0.0.1", 8100, 1.0)
    assert args.callback_attempts == 4


@pytest.mark.parametrize(
    "argv",
    [
        ["--access-key", "not base64!"],
        ["--time-scale", "-1"],
        ["--callback-attempts", "0"],
        ["--tls-cert", "cert.pem"],
        ["--jwt-key-file", "/nonexistent/key.pem"],
        ["--jwt-key-file", __file__],
    ],
    ids=[
        "key",
        "scale",
        "no-callback-attempts",
        "cert-without-key",
        "missing-jwt-key",
        "not-a-jwt-key",
    ],
)
def test_bad_arguments_stop_the_program(argv: list[str]) -> None:
    with pytest.raises(SystemExit):
        parse_args(argv)


def test_module_serves_and_prints_its_connection_string(
    receiver: Receiver, control: httpx.Client
) -> None:
    port = free_port()
    command = [sys.executable, "-m", "acs_emulator", "--port", str(port)]
    command += ["--access-key", ACCESS_KEY, "--time-scale", "0.01", "--log-level", "warning"]
    # Our own interpreter running our own module, with arguments built above.
    process = subprocess.Popen(  # noqa: S603
        command, cwd=PROJECT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        endpoint = f"http://127.0.0.1:{port}"
        assert line == f"endpoint={endpoint}/;accesskey={ACCESS_KEY}"
        with httpx.Client(base_url=endpoint, auth=HmacAuth(ACCESS_KEY)) as client:
            response = post_when_up(client, call_body(receiver.url))
        assert response.status_code == 200
        receiver.wait_for(response.json()["callLegId"], "CallLegStateChanged")
    finally:
        process.terminate()
        process.wait(timeout=10)


def post_when_up(client: httpx.Client, body: dict[str, object]) -> httpx.Response:
    deadline = time.monotonic() + 10
    while True:
        try:
            return client.post(CALLS, json=body)
        except httpx.ConnectError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
