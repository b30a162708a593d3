"""Verifying the GA API's signed callbacks: `Authorization: Bearer <JWT>`.

ACS signs each callback with a fresh RS256 token (five minutes' lifetime) whose issuer is
`https://acscallautomation.communication.azure.com` and whose audience is the resource's
immutable id; the keys are in the JWKS that `<issuer>/calling/.well-known/acsopenidconfiguration`
names (reference: shared/reference/acs-call-automation.md, section 3.7). The keys are fetched
with httpx (PyJWT's own PyJWKClient would use urllib), cached, and fetched again when a token
names a key we do not have, at most once per `min_refresh_interval` so that a flood of made-up
key ids cannot hammer the provider.
"""

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import jwt

logger = logging.getLogger(__name__)

OPENID_CONFIGURATION_PATH = "/calling/.well-known/acsopenidconfiguration"
ACS_ISSUER = "https://acscallautomation.communication.azure.com"
ALGORITHM = "RS256"


class CallbackTokenError(Exception):
    """The callback's token does not verify; `code` is short and stable for logs and answers."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class SigningKeysUnavailable(CallbackTokenError):
    """The provider's keys could not be fetched, so no token can be checked just now."""


# The PyJWT error behind each refusal, most specific first.
_REFUSALS: tuple[tuple[type[jwt.PyJWTError], str, str], ...] = (
    (jwt.ExpiredSignatureError, "token_expired", "The callback token has expired."),
    (jwt.ImmatureSignatureError, "token_not_yet_valid", "The callback token is not valid yet."),
    (jwt.InvalidAudienceError, "wrong_audience", "The callback token is for another resource."),
    (jwt.InvalidIssuerError, "wrong_issuer", "The callback token has the wrong issuer."),
    (jwt.InvalidSignatureError, "bad_signature", "The callback token's signature is wrong."),
    (jwt.MissingRequiredClaimError, "missing_claim", "The callback token lacks a claim."),
)


class CallbackTokenVerifier:
    """Checks callback tokens against one issuer's keys; thread-safe (one per process)."""

    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        transport: httpx.BaseTransport | None = None,
        leeway: float = 30.0,
        min_refresh_interval: float = 60.0,
        max_key_age: float = 24 * 3600.0,
        timeout: float = 5.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.issuer = issuer.rstrip("/")
        self.audience = audience
        self._leeway = leeway
        self._min_refresh_interval = min_refresh_interval
        self._max_key_age = max_key_age
        self._monotonic = monotonic
        self._http = httpx.Client(transport=transport, timeout=timeout)
        self._lock = threading.Lock()
        self._keys: dict[str | None, jwt.PyJWK] = {}
        self._fetched_at: float | None = None  # when keys last arrived
        self._tried_at: float | None = None  # when a fetch was last tried, even one that failed

    def close(self) -> None:
        self._http.close()

    def verify(self, authorization: str | None) -> dict[str, Any]:
        """The claims of the `Authorization: Bearer` token. Raises CallbackTokenError (its
        SigningKeysUnavailable when the keys cannot be fetched)."""
        token = _bearer_token(authorization)
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise CallbackTokenError(
                "malformed_token", "The callback token is not a JWT."
            ) from None
        if header.get("alg") != ALGORITHM:
            raise CallbackTokenError("bad_algorithm", f"Callback tokens must be {ALGORITHM}.")
        kid = header.get("kid")
        key = self._key(kid if isinstance(kid, str) else None)
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key,
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self._leeway,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.PyJWTError as exc:
            for kind, code, message in _REFUSALS:
                if isinstance(exc, kind):
                    raise CallbackTokenError(code, message) from None
            raise CallbackTokenError("invalid_token", "The callback token is not valid.") from None
        return claims

    def _key(self, kid: str | None) -> jwt.PyJWK:
        with self._lock:
            stale = self._fetched_at is None or (
                self._monotonic() - self._fetched_at > self._max_key_age
            )
            if (stale or self._lookup(kid) is None) and self._may_fetch():
                self._fetch()
            if not self._keys:
                raise SigningKeysUnavailable(
                    "keys_unavailable", "The provider's signing keys could not be fetched."
                )
            key = self._lookup(kid)
        if key is None:
            raise CallbackTokenError("unknown_key", "The callback token names an unknown key.")
        return key

    def _lookup(self, kid: str | None) -> jwt.PyJWK | None:
        if kid is None and len(self._keys) == 1:
            return next(iter(self._keys.values()))  # a token without a kid, one key to try
        return self._keys.get(kid) if kid is not None else None

    def _may_fetch(self) -> bool:
        now = self._monotonic()
        return self._tried_at is None or now - self._tried_at >= self._min_refresh_interval

    def _fetch(self) -> None:
        """Replace the keys with the issuer's current ones; on failure keep the old ones."""
        self._tried_at = self._monotonic()
        try:
            configuration = self._get_json(self.issuer + OPENID_CONFIGURATION_PATH)
            jwks_uri = configuration.get("jwks_uri")
            if not isinstance(jwks_uri, str) or not jwks_uri.startswith(("https://", "http://")):
                raise ValueError("the OpenID configuration names no jwks_uri")
            key_set = jwt.PyJWKSet.from_dict(self._get_json(jwks_uri))
        except (httpx.HTTPError, ValueError, jwt.PyJWTError) as exc:
            logger.warning("Could not fetch the callback signing keys of %s: %s", self.issuer, exc)
            return
        self._keys = {key.key_id: key for key in key_set.keys if key.key_type == "RSA"}
        self._fetched_at = self._tried_at
        logger.info("Fetched %d callback signing keys from %s.", len(self._keys), self.issuer)

    def _get_json(self, url: str) -> dict[str, Any]:
        response = self._http.get(url, headers={"Accept": "application/json"})
        response.raise_for_status()
        document = response.json()
        if not isinstance(document, dict):
            raise ValueError(f"{url} did not answer a JSON object")
        return document


def _bearer_token(authorization: str | None) -> str:
    scheme, _, token = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise CallbackTokenError("no_token", "The callback has no Authorization: Bearer token.")
    return token.strip()


def default_issuer(endpoint: str) -> str:
    """ACS's issuer for a real resource (`*.communication.azure.com`); otherwise (an emulator)
    the endpoint itself, its mount path included."""
    host = (httpx.URL(endpoint).host or "").lower()
    if host == "communication.azure.com" or host.endswith(".communication.azure.com"):
        return ACS_ISSUER
    return endpoint.rstrip("/")
