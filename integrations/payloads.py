"""What monitoring systems post, read into one shape: firing or resolved, a key, a title.

- Prometheus Alertmanager's webhook (`"version": "4"`): one body per alert group, `groupKey`
  naming the group and `status` the group's state; `commonLabels.severity` and
  `commonAnnotations.summary`/`description` say what it is.
- Grafana alerting's webhook contact point: the same group shape (Grafana's alerting grew out of
  Alertmanager) plus its own `title`, `state` and `message`.
- The generic body: `{"title", "severity", "dedup_key", "status": "firing"|"resolved",
  "description"}`, for scripts and everything else.

Each parser raises AlertRefused with a message that says what is wrong, for the sender's logs.
"""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from config import json_input
from integrations.errors import AlertRefused
from integrations.models import IntegrationKind

MAX_TITLE = 200
MAX_DESCRIPTION = 2000
MAX_KEY = 200  # longer keys (Alertmanager's can be) are kept as a digest


@dataclass(frozen=True)
class ParsedAlert:
    firing: bool
    dedup_key: str
    title: str
    description: str
    severity: str  # as the sender spells it ("critical", "warning", ...); "" when not given


def parse_alert(kind: str, body: bytes) -> ParsedAlert:
    """`body` as `kind` sends it. Raises AlertRefused."""
    try:
        data = json_input.load_json(body)
        json_input.check_storable(data)
    except json_input.JsonInputError as exc:
        raise AlertRefused(f"The body is not JSON the app reads: {exc.message}") from None
    if not isinstance(data, dict):
        raise AlertRefused("The body must be a JSON object.")
    return _PARSERS[IntegrationKind(kind)](data)


def _alertmanager(data: dict[str, Any]) -> ParsedAlert:
    if str(data.get("version")) != "4":
        raise AlertRefused(
            f'Alertmanager sends "version": "4"; this body says {data.get("version")!r}. '
            "Is this integration's kind right?"
        )
    return _group(data, sender="Alertmanager")


def _grafana(data: dict[str, Any]) -> ParsedAlert:
    parsed = _group(data, sender="Grafana")
    return parsed if parsed.title else replace(parsed, title=_text(data.get("title"), MAX_TITLE))


def _group(data: dict[str, Any], *, sender: str) -> ParsedAlert:
    """The alert-group body both Alertmanager and Grafana send."""
    key = data.get("groupKey")
    if not isinstance(key, str) or not key:
        raise AlertRefused(f"{sender}'s body has no groupKey, which names the alert group.")
    labels = _object(data, "commonLabels")
    annotations = _object(data, "commonAnnotations")
    alerts = data.get("alerts")
    if not isinstance(alerts, list):
        raise AlertRefused(f"{sender}'s body has no alerts list.")
    title = annotations.get("summary") or labels.get("alertname") or ""
    description = annotations.get("description") or ""
    if data.get("externalURL"):
        description = f"{description}\n{data['externalURL']}".strip()
    return ParsedAlert(
        firing=_firing(data.get("status")),
        dedup_key=_key(key),
        title=_text(title, MAX_TITLE),
        description=_text(description, MAX_DESCRIPTION),
        severity=_text(labels.get("severity"), 50),
    )


def _generic(data: dict[str, Any]) -> ParsedAlert:
    title = data.get("title")
    if not isinstance(title, str) or not title.strip():
        raise AlertRefused('The body needs a "title": what happened, in a few words.')
    key = data.get("dedup_key", title)
    if not isinstance(key, str) or not key:
        raise AlertRefused('"dedup_key" must be a non-empty string (it defaults to the title).')
    severity = data.get("severity", "")
    if not isinstance(severity, str):
        raise AlertRefused('"severity" must be a string, e.g. "critical".')
    return ParsedAlert(
        firing=_firing(data.get("status", "firing")),
        dedup_key=_key(key),
        title=_text(title, MAX_TITLE),
        description=_text(data.get("description"), MAX_DESCRIPTION),
        severity=severity[:50],
    )


def _firing(status: object) -> bool:
    if status not in ("firing", "resolved"):
        raise AlertRefused(f'"status" must be "firing" or "resolved", not {status!r}.')
    return status == "firing"


def _object(data: dict[str, Any], field: str) -> dict[str, str]:
    value = data.get(field) or {}
    if not isinstance(value, dict):
        raise AlertRefused(f'"{field}" must be an object of strings.')
    return {str(k): v for k, v in value.items() if isinstance(v, str)}


def _key(key: str) -> str:
    if len(key) <= MAX_KEY:
        return key
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()


def _text(value: object, limit: int) -> str:
    text = value.strip() if isinstance(value, str) else ""
    return text if len(text) <= limit else f"{text[: limit - 1]}…"


_PARSERS: dict[IntegrationKind, Callable[[dict[str, Any]], ParsedAlert]] = {
    IntegrationKind.ALERTMANAGER: _alertmanager,
    IntegrationKind.GRAFANA: _grafana,
    IntegrationKind.GENERIC: _generic,
}
