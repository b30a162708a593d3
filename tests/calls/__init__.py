import pytest

# A helper the callback tests share asserts on what it parsed: pytest explains its failures as
# it does a test's own asserts only if it rewrites the module, which it does unasked for tests
# and conftest files alone.
pytest.register_assert_rewrite("tests.calls.preview_envelopes")
