"""`python -m acs_emulator`: serve the emulator with uvicorn and print its connection string."""

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

import uvicorn

from acs_emulator.app import EmulatorApp, build_app
from acs_emulator.config import EMULATOR_RESOURCE_ID, EmulatorConfig, decode_access_key
from acs_emulator.signature import generate_access_key
from acs_emulator.tokens import load_private_key

SHUTDOWN_GRACE_S = 2


def connection_string(host: str, port: int, access_key: str, *, tls: bool = False) -> str:
    authority = f"[{host}]" if ":" in host else host
    scheme = "https" if tls else "http"
    return f"endpoint={scheme}://{authority}:{port}/;accesskey={access_key}"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m acs_emulator",
        description="Emulate ACS Call Automation (the 2021 preview and the GA API).",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument("--access-key", help="base64 access key; a random one if omitted")
    parser.add_argument(
        "--time-scale", type=float, default=1.0, help="multiplies every simulated delay"
    )
    parser.add_argument("--ring-timeout-ms", type=int, default=30_000)
    parser.add_argument(
        "--callback-attempts",
        type=int,
        default=4,
        help="deliveries of each callback before giving up (backoff 0.5, 1, 2, then 4 s, scaled)",
    )
    parser.add_argument("--create-call-status", type=int, choices=(200, 201), default=200)
    parser.add_argument(
        "--log-level", default="info", choices=("debug", "info", "warning", "error")
    )
    _add_ga_arguments(parser)
    args = parser.parse_args(argv)
    if args.access_key is None:
        args.access_key = generate_access_key()
    try:
        decode_access_key(args.access_key)
    except ValueError as exc:
        parser.error(f"--access-key: {exc}")
    if args.time_scale < 0:
        parser.error("--time-scale must be zero or more")
    if args.callback_attempts < 1:
        parser.error("--callback-attempts must be at least 1")
    if (args.tls_cert is None) != (args.tls_key is None):
        parser.error("--tls-cert and --tls-key go together")
    args.jwt_key_pem = None
    if args.jwt_key_file is not None:
        try:
            args.jwt_key_pem = Path(args.jwt_key_file).read_bytes()
            load_private_key(args.jwt_key_pem)
        except (OSError, ValueError, TypeError) as exc:
            parser.error(f"--jwt-key-file: {exc}")
    return args


def _add_ga_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tls-cert", help="PEM certificate: serve HTTPS (the GA SDK needs it)")
    parser.add_argument("--tls-key", help="PEM private key of --tls-cert")
    parser.add_argument(
        "--allow-http-callbacks",
        action="store_true",
        help="accept GA callback URIs over http to any host (default: loopback hosts only)",
    )
    parser.add_argument(
        "--jwt-issuer", help="issuer of callback JWTs (default: the URL clients reach us at)"
    )
    parser.add_argument(
        "--jwt-audience",
        default=EMULATOR_RESOURCE_ID,
        help="audience of callback JWTs, ACS's immutable resource id (default %(default)s)",
    )
    parser.add_argument(
        "--jwt-key-file", help="PEM RSA private key that signs callback JWTs (default: a new one)"
    )


async def serve(app: EmulatorApp, args: argparse.Namespace) -> None:
    # No lifespan: the app starts its work lazily, and aclose() runs here, in the serving loop.
    config = uvicorn.Config(
        app,
        host=args.host,
        port=args.port,
        lifespan="off",
        log_level=args.log_level,
        ssl_certfile=args.tls_cert,
        ssl_keyfile=args.tls_key,
        # An idle client connection left open (the GA SDK keeps one) must not hold up the exit.
        timeout_graceful_shutdown=SHUTDOWN_GRACE_S,
    )
    try:
        await uvicorn.Server(config).serve()
    finally:
        await app.aclose()


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    config = EmulatorConfig(
        access_key=args.access_key,
        time_scale=args.time_scale,
        ring_timeout_ms=args.ring_timeout_ms,
        callback_attempts=args.callback_attempts,
        create_call_status=args.create_call_status,
        allow_http_callbacks=args.allow_http_callbacks,
        jwt_issuer=args.jwt_issuer,
        jwt_audience=args.jwt_audience,
        jwt_private_key_pem=args.jwt_key_pem,
    )
    tls = args.tls_cert is not None
    print(connection_string(args.host, args.port, args.access_key, tls=tls), flush=True)
    scheme = "https" if tls else "http"
    print(
        f"Control page: {scheme}://{args.host}:{args.port}/emulator/", file=sys.stderr, flush=True
    )
    asyncio.run(serve(build_app(config), args))


if __name__ == "__main__":
    main()
