"""The JWTs on GA callbacks (reference 3.7): RS256, signed with the emulator's own RSA key.

Each delivery gets a fresh token valid for 5 minutes, with a `kid` header naming the key in the
JWKS that the emulator serves at `/calling/keys` (named by its OpenID configuration).
"""

import base64
import hashlib
import uuid
from datetime import datetime, timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from acs_emulator.fields import JsonObject

LIFETIME = timedelta(minutes=5)
ALGORITHM = "RS256"
OPENID_PATH = "/calling/.well-known/acsopenidconfiguration"
JWKS_PATH = "/calling/keys"


def load_private_key(pem: bytes) -> rsa.RSAPrivateKey:
    """Read an RSA private key (PEM, unencrypted); raise ValueError for anything else."""
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("the JWT signing key must be an RSA private key")
    return key


class TokenSigner:
    """Signs callback JWTs; the key is made on first use unless given (PEM)."""

    def __init__(self, audience: str, private_key_pem: bytes | None = None) -> None:
        self.audience = audience
        self._key = None if private_key_pem is None else load_private_key(private_key_pem)
        self._kid: str | None = None

    @property
    def key(self) -> rsa.RSAPrivateKey:
        if self._key is None:
            self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return self._key

    @property
    def kid(self) -> str:
        if self._kid is None:
            der = self.key.public_key().public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            digest = hashlib.sha256(der).digest()[:16]
            self._kid = base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")
        return self._kid

    def sign(self, issuer: str, now: datetime) -> str:
        claims: dict[str, Any] = {
            "iss": issuer,
            "aud": self.audience,
            "iat": int(now.timestamp()),
            "nbf": int(now.timestamp()),
            "exp": int((now + LIFETIME).timestamp()),
            # Tokens of one second differ too: each delivery gets its own.
            "jti": str(uuid.uuid4()),
        }
        return jwt.encode(claims, self.key, algorithm=ALGORITHM, headers={"kid": self.kid})

    def jwks(self) -> JsonObject:
        public: dict[str, object] = RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        return {"keys": [{**public, "kid": self.kid, "use": "sig", "alg": ALGORITHM}]}


def openid_configuration(issuer: str, base_url: str) -> JsonObject:
    """The discovery document: who signs, and where the keys are."""
    return {
        "issuer": issuer,
        "jwks_uri": base_url + JWKS_PATH,
        "id_token_signing_alg_values_supported": [ALGORITHM],
        "token_endpoint_auth_signing_alg_values_supported": [ALGORITHM],
    }
