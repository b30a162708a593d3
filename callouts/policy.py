"""Which rules a call-out runs by: a preset, rules given inline, or the default preset."""

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from callouts.errors import InvalidPolicy, TooManyRecipients, UnknownPolicy
from callouts.models import (
    DEFAULT_ANSWER_WINDOW_SECONDS,
    MAX_ANSWER_WINDOW_SECONDS,
    MIN_ANSWER_WINDOW_SECONDS,
    RETRYABLE_OUTCOMES,
    CalloutPolicy,
    default_retry_outcomes,
)

MAX_ATTEMPTS = 10
MAX_RETRY_WAIT_SECONDS = 24 * 3600


@dataclass(frozen=True)
class Rules:
    """The rules a call-out copies when it starts (see Callout's fields)."""

    max_attempts: int = 3
    retry_wait_seconds: int = 300
    retry_outcomes: list[str] = field(default_factory=default_retry_outcomes)
    answer_window_seconds: int = DEFAULT_ANSWER_WINDOW_SECONDS
    preset: CalloutPolicy | None = None


def preset_rules(preset: CalloutPolicy) -> Rules:
    return check_rules(
        Rules(
            max_attempts=preset.max_attempts,
            retry_wait_seconds=preset.retry_wait_seconds,
            # As stored: check_rules refuses a non-list (list() would split a string up).
            retry_outcomes=preset.retry_outcomes,
            answer_window_seconds=preset.answer_window_seconds,
            preset=preset,
        )
    )


def chosen_rules(choice: int | dict[str, Any] | None) -> Rules:
    """The rules `choice` names: a preset's id, inline rules, or None for the default preset
    (the built-in rules when no preset is the default). Raises UnknownPolicy, InvalidPolicy."""
    if choice is None:
        preset = CalloutPolicy.objects.filter(is_default=True).first()
        return preset_rules(preset) if preset is not None else Rules()
    if isinstance(choice, bool) or not isinstance(choice, int | dict):
        raise InvalidPolicy("Give the policy as a preset's id or as an object of rules.")
    if isinstance(choice, int):
        preset = CalloutPolicy.objects.filter(pk=choice).first()
        if preset is None:
            raise UnknownPolicy(f"There is no call-out policy with id {choice}.")
        return preset_rules(preset)
    return inline_rules(choice)


INLINE_FIELDS = ("max_attempts", "retry_wait_seconds", "retry_outcomes", "answer_window_seconds")


def inline_rules(given: dict[str, Any]) -> Rules:
    unknown = sorted(set(given) - set(INLINE_FIELDS))
    if unknown:
        raise InvalidPolicy(
            f"Unknown policy field {', '.join(unknown)}; a policy has {', '.join(INLINE_FIELDS)}."
        )
    defaults = Rules()
    return check_rules(
        Rules(
            max_attempts=given.get("max_attempts", defaults.max_attempts),
            retry_wait_seconds=given.get("retry_wait_seconds", defaults.retry_wait_seconds),
            retry_outcomes=given.get("retry_outcomes", defaults.retry_outcomes),
            answer_window_seconds=given.get(
                "answer_window_seconds", defaults.answer_window_seconds
            ),
        )
    )


def check_rules(rules: Rules) -> Rules:
    """`rules`, if they can work; raises InvalidPolicy saying what cannot."""
    attempts, wait, outcomes = rules.max_attempts, rules.retry_wait_seconds, rules.retry_outcomes
    if not _is_int(attempts) or not 1 <= attempts <= MAX_ATTEMPTS:
        raise InvalidPolicy(f"max_attempts must be a whole number from 1 to {MAX_ATTEMPTS}.")
    if not _is_int(wait) or not 0 <= wait <= MAX_RETRY_WAIT_SECONDS:
        raise InvalidPolicy(
            f"retry_wait_seconds must be a whole number from 0 to {MAX_RETRY_WAIT_SECONDS}."
        )
    window = rules.answer_window_seconds
    if not _is_int(window) or not MIN_ANSWER_WINDOW_SECONDS <= window <= MAX_ANSWER_WINDOW_SECONDS:
        raise InvalidPolicy(
            f"answer_window_seconds must be a whole number from {MIN_ANSWER_WINDOW_SECONDS} to "
            f"{MAX_ANSWER_WINDOW_SECONDS}."
        )
    if not isinstance(outcomes, list) or not all(isinstance(o, str) for o in outcomes):
        raise InvalidPolicy("retry_outcomes must be a list of outcome names.")
    unknown = sorted(set(outcomes) - RETRYABLE_OUTCOMES)
    if unknown:
        raise InvalidPolicy(
            f"{', '.join(unknown)} cannot be retried; retry_outcomes may hold "
            f"{', '.join(sorted(RETRYABLE_OUTCOMES))}."
        )
    return rules


def check_quorum(quorum: Any, recipients: int) -> int | None:
    """`quorum` (stop after this many acknowledgements), if it can be reached; raises
    InvalidPolicy when it is not a positive whole number or exceeds the number of recipients."""
    if quorum is None:
        return None
    if not _is_int(quorum) or quorum < 1:
        raise InvalidPolicy("quorum must be a whole number of at least 1.")
    if quorum > recipients:
        raise InvalidPolicy(
            f"quorum {quorum} can never be reached: the call-out has {recipients} recipients."
        )
    return int(quorum)


NOT_FOR_A_BRIDGE = (
    "A policy and a quorum apply only to a broadcast call-out (one call per person); a bridge "
    "call rings everyone once, together. Leave them out, or declare in broadcast mode."
)


def refuse_rules_for_bridge(*, policy: object, quorum: object) -> None:
    """Raises InvalidPolicy when a policy or a quorum comes with a bridge call (mode bridge)."""
    if policy is not None or quorum is not None:
        raise InvalidPolicy(NOT_FOR_A_BRIDGE)


def check_recipient_count(count: int) -> None:
    """Raises TooManyRecipients above CALLOUT_MAX_RECIPIENTS, saying how to raise it."""
    limit = settings.CALLOUT_MAX_RECIPIENTS
    if count > limit:
        raise TooManyRecipients(
            f"A call-out may have at most {limit} recipients ({count} given). Split it, or "
            "raise CALLOUT_MAX_RECIPIENTS in the environment."
        )


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
