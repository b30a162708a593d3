"""`python -m acs_emulator`: serve the emulator with uvicorn and print its connection string."""

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence

import uvicorn

from acs_emulator.app import EmulatorApp, build_app
from acs_emulator.config import EmulatorConfig, decode_access_key
from acs_emulator.signature import generate_access_key


def connection_string(host: str, port: int, access_key: str) -> str:
    authority = f"[{host}]" if ":" in host else host
    return f"endpoint=http://{authority}:{port}/;accesskey={access_key}"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m acs_emulator", description="Emulate ACS Call Automation (2021 preview)."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument("--access-key", help="base64 access key; a random one if omitted")
    parser.add_argument(
        "--time-scale", type=float, default=1.0, help="multiplies every simulated delay"
    )
    parser.add_argument("--ring-timeout-ms", type=int, default=30_000)
    parser.add_argument("--create-call-status", type=int, choices=(200, 201), default=200)
    parser.add_argument(
        "--log-level", default="info", choices=("debug", "info", "warning", "error")
    )
    args = parser.parse_args(argv)
    if args.access_key is None:
        args.access_key = generate_access_key()
    try:
        decode_access_key(args.access_key)
    except ValueError as exc:
        parser.error(f"--access-key: {exc}")
    if args.time_scale < 0:
        parser.error("--time-scale must be zero or more")
    return args


async def serve(app: EmulatorApp, host: str, port: int, log_level: str) -> None:
    # No lifespan: the app starts its work lazily, and aclose() runs here, in the serving loop.
    config = uvicorn.Config(app, host=host, port=port, lifespan="off", log_level=log_level)
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
        create_call_status=args.create_call_status,
    )
    print(connection_string(args.host, args.port, args.access_key), flush=True)
    print(f"Control page: http://{args.host}:{args.port}/emulator/", file=sys.stderr, flush=True)
    asyncio.run(serve(build_app(config), args.host, args.port, args.log_level))


if __name__ == "__main__":
    main()
