"""Helpers for the GA dialect's tests: request bodies, callback look-ups, JWTs and certificates."""

import datetime as dt
import ipaddress
from pathlib import Path
from typing import Any

import httpx
import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from tests.acs_emulator.scenarios import CALLEE, CALLER_ID, phone
from tests.acs_emulator.servers import Post, Receiver

GA_VERSION = "2026-03-12"
CONNECTIONS = "/calling/callConnections"
Q = {"api-version": GA_VERSION}


def ga_call_body(receiver_url: str, *targets: dict[str, object]) -> dict[str, object]:
    return {
        "targets": list(targets) or [phone(CALLEE)],
        "sourceCallerIdNumber": {"value": CALLER_ID},
        "callbackUri": f"{receiver_url}/callbacks/ga?secret=s3cret",
        "operationContext": "incident-42",
    }


def create_ga_call(acs: httpx.Client, body: dict[str, object]) -> str:
    response = acs.post(CONNECTIONS, params=Q, json=body)
    assert response.status_code == 201, response.text
    call_id = response.json()["callConnectionId"]
    assert isinstance(call_id, str)
    return call_id


def connected_ga_call(acs: httpx.Client, receiver: Receiver, body: dict[str, object]) -> str:
    call_id = create_ga_call(acs, body)
    receiver.wait_for(call_id, "CallConnected")
    return call_id


def action(acs: httpx.Client, call_id: str, verb: str, body: object = None) -> httpx.Response:
    """POST `/calling/callConnections/{id}{verb}` (verb like ':play' or '/participants:add')."""
    return acs.post(f"{CONNECTIONS}/{call_id}{verb}", params=Q, json=body)


def types_of(receiver: Receiver, call_id: str) -> list[str]:
    prefix = "Microsoft.Communication."
    names = [e.get("type") or e.get("eventType") for e in receiver.events(call_id)]
    return [str(name).removeprefix(prefix) for name in names]


def posts_for(receiver: Receiver, call_id: str) -> list[Post]:
    with receiver._lock:
        posts = list(receiver.posts)
    return [p for p in posts if any(call_id in str(e.get("subject")) for e in p.body)]


def verify_jwt(post: Post, jwks: dict[str, Any], issuer: str, audience: str) -> dict[str, Any]:
    """The callback's bearer token, verified against the JWKS; raises jwt errors."""
    scheme, _, token = post.headers["authorization"].partition(" ")
    assert scheme == "Bearer"
    kid = jwt.get_unverified_header(token)["kid"]
    key = jwt.PyJWKSet.from_dict(jwks)[kid]
    claims: dict[str, Any] = jwt.decode(
        token, key, algorithms=["RS256"], audience=audience, issuer=issuer
    )
    return claims


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 (its own CA) and its key, as PEM files."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path
