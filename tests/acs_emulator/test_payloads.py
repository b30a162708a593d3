"""Request-body parsing never fails with anything but a 400 ApiError, whatever JSON it is given."""

from hypothesis import given
from hypothesis import strategies as st

from acs_emulator.behaviours import parse_behaviour
from acs_emulator.errors import ApiError
from acs_emulator.faults import parse_faults
from acs_emulator.payloads import parse_create_call, parse_invite, parse_play_audio

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
KEYS = st.sampled_from(
    [
        "source",
        "targets",
        "callbackUri",
        "requestedModalities",
        "requestedCallEvents",
        "alternateCallerId",
        "sourceAlternateIdentity",
        "subject",
        "participants",
        "audioFileUri",
        "loop",
        "operationContext",
        "outcome",
        "tones",
        "answerAfterMs",
        "failNext",
        "seed",
        "error500Rate",
        "phoneNumber",
        "communicationUser",
        "value",
        "id",
    ]
)
bodies = st.dictionaries(KEYS, json_values, max_size=6)


@given(bodies)
def test_parsers_raise_only_bad_request(body: dict[str, object]) -> None:
    parsers = [
        parse_create_call,
        parse_play_audio,
        lambda b: parse_invite(b, None),
        lambda b: parse_behaviour(b, 2000),
        parse_faults,
    ]
    for parse in parsers:
        try:
            parse(body)
        except ApiError as error:
            assert error.status == 400
            assert error.message
