"""Keys, tokens and a key server for the tests of GA's signed callbacks (keys made here, with
cryptography; the OpenID configuration and JWKS served through httpx.MockTransport)."""

import json
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from calls.callback_tokens import CallbackTokenVerifier

ISSUER = "https://acscallautomation.communication.azure.com"
AUDIENCE = "7c5f2a10-3b1e-4d2a-9f00-0000000000aa"
JWKS_URI = f"{ISSUER}/calling/keys"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_jwk(key: rsa.RSAPrivateKey, kid: str) -> dict[str, Any]:
    jwk: dict[str, Any] = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
    return jwk | {"kid": kid, "use": "sig", "alg": "RS256"}


def token(
    key: rsa.RSAPrivateKey,
    *,
    kid: str | None = "key-1",
    issuer: str = ISSUER,
    audience: str = AUDIENCE,
    lifetime: float = 300.0,
    not_before: float | None = None,
    now: float | None = None,
    algorithm: str = "RS256",
) -> str:
    issued = time.time() if now is None else now
    claims: dict[str, Any] = {
        "iss": issuer,
        "aud": audience,
        "iat": int(issued),
        "exp": int(issued + lifetime),
    }
    if not_before is not None:
        claims["nbf"] = int(not_before)
    headers = {"kid": kid} if kid is not None else {}
    return jwt.encode(claims, key, algorithm=algorithm, headers=headers)


@dataclass
class KeyServer:
    """Serves ACS's OpenID configuration and JWKS; swap `jwks` to rotate keys."""

    jwks: dict[str, Any]
    requests: list[str] = field(default_factory=list)
    failing: bool = False

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(str(request.url))
        if self.failing:
            return httpx.Response(503)
        if str(request.url) == f"{ISSUER}/calling/.well-known/acsopenidconfiguration":
            return httpx.Response(200, json={"issuer": ISSUER, "jwks_uri": JWKS_URI})
        if str(request.url) == JWKS_URI:
            return httpx.Response(200, json=self.jwks)
        return httpx.Response(404)

    @property
    def key_fetches(self) -> int:
        return self.requests.count(JWKS_URI)


def serve(*keys: tuple[rsa.RSAPrivateKey, str]) -> KeyServer:
    return KeyServer({"keys": [public_jwk(key, kid) for key, kid in keys]})


def verifier_for(server: KeyServer, **options: Any) -> CallbackTokenVerifier:
    return CallbackTokenVerifier(
        issuer=ISSUER, audience=AUDIENCE, transport=httpx.MockTransport(server), **options
    )
