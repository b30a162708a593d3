"""Fuzzing the 2021 preview's callback parser (calls.callbacks): whatever the body, it
raises nothing but CallbackParseError, and every valid envelope parses."""

import copy
import json
from collections.abc import Callable
from datetime import UTC
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calls.callback_events import CallbackEvent, UnknownEvent
from calls.callbacks import CallbackParseError, parse_callback
from tests.calls.preview_envelopes import VALID_ENVELOPES, Json, camel, pascal, shouted

pytestmark = pytest.mark.dialect("preview")


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)


def parse_or_reject(body: bytes) -> None:
    try:
        events = parse_callback(body)
    except CallbackParseError as error:
        assert error.code
        return
    assert events
    for event in events:
        assert isinstance(event, CallbackEvent)
        assert event.event_time.tzinfo is UTC
        if not isinstance(event, UnknownEvent):
            assert isinstance(event.call_id, str) and event.call_id


@given(st.binary(max_size=300))
def test_fuzz_arbitrary_bytes(body: bytes) -> None:
    parse_or_reject(body)


@given(json_values)
def test_fuzz_arbitrary_json_values(value: Json) -> None:
    parse_or_reject(json.dumps(value).encode())


def _paths(document: Json, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(document, dict):
        for key, value in document.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            found += _paths(value, (*prefix, index))
    return found


@st.composite
def mutated_envelopes(draw: st.DrawFn) -> Json:
    spell = draw(st.sampled_from([pascal, camel, shouted]))
    document = spell(copy.deepcopy(draw(st.sampled_from(VALID_ENVELOPES))))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        paths = _paths(document)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = document
        for step in path[:-1]:
            parent = parent[step]
        action = draw(st.sampled_from(["replace", "delete", "recase"]))
        if action == "replace" or isinstance(parent, list):
            parent[path[-1]] = draw(json_values)
        elif action == "delete":
            del parent[path[-1]]
        else:
            recase = draw(st.sampled_from([str.upper, str.lower, str.title]))
            parent[recase(path[-1])] = parent.pop(path[-1])
    return draw(st.sampled_from([document, [document], [document, document]]))


@settings(max_examples=300)
@given(mutated_envelopes())
def test_fuzz_mutated_valid_envelopes(document: Json) -> None:
    parse_or_reject(json.dumps(document).encode())


@given(st.sampled_from(VALID_ENVELOPES), st.sampled_from([pascal, camel, shouted]))
def test_every_valid_envelope_parses_in_every_spelling(
    document: Json, spell: Callable[[Json], Json]
) -> None:
    (event,) = parse_callback(json.dumps(spell(document)).encode())

    assert not isinstance(event, UnknownEvent)
