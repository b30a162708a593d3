import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list, env_rate, env_str, env_url


@pytest.mark.parametrize(
    ("raw", "expected"), [("1", True), ("true", True), ("ON", True), ("0", False), ("off", False)]
)
def test_env_bool_reads_the_accepted_spellings(
    monkeypatch: pytest.MonkeyPatch, raw: str, expected: bool
) -> None:
    monkeypatch.setenv("FLAG", raw)
    assert env_bool("FLAG") is expected


@pytest.mark.parametrize("garbage", ["yes", "no", "2", "enabled"])
def test_env_bool_rejects_garbage(monkeypatch: pytest.MonkeyPatch, garbage: str) -> None:
    monkeypatch.setenv("FLAG", garbage)
    with pytest.raises(ImproperlyConfigured, match="FLAG must be one of"):
        env_bool("FLAG")


def test_env_bool_uses_default_when_unset_or_blank(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FLAG", raising=False)
    assert env_bool("FLAG", default=True) is True
    monkeypatch.setenv("FLAG", "  ")
    assert env_bool("FLAG", default=False) is False


@pytest.mark.parametrize("garbage", ["ten", "1.5", "0x10"])
def test_env_int_rejects_garbage(monkeypatch: pytest.MonkeyPatch, garbage: str) -> None:
    monkeypatch.setenv("COUNT", garbage)
    with pytest.raises(ImproperlyConfigured, match="COUNT must be a whole number"):
        env_int("COUNT", 3)


def test_env_int_enforces_minimum(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COUNT", "-1")
    with pytest.raises(ImproperlyConfigured, match="at least 0"):
        env_int("COUNT", 3)
    monkeypatch.setenv("COUNT", "42")
    assert env_int("COUNT", 3) == 42


def test_env_list_and_str(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOSTS", " a.example , ,b.example ")
    assert env_list("HOSTS") == ["a.example", "b.example"]
    monkeypatch.delenv("NAME", raising=False)
    assert env_str("NAME", "fallback") == "fallback"


@pytest.mark.parametrize("garbage", ["localhost:5432", "mysql://x/y", "postgres://"])
def test_env_url_rejects_wrong_scheme_or_empty_url(
    monkeypatch: pytest.MonkeyPatch, garbage: str
) -> None:
    monkeypatch.setenv("DATABASE_URL", garbage)
    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL must be a URL"):
        env_url("DATABASE_URL", schemes=("postgres", "postgresql"))


def test_env_url_accepts_a_good_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    assert env_url("REDIS_URL", schemes=("redis",)) == "redis://127.0.0.1:6379/0"


@pytest.mark.parametrize("rate", ["30/min", "1/s", "1000/day", "5/hour"])
def test_env_rate_accepts_drf_rates(monkeypatch: pytest.MonkeyPatch, rate: str) -> None:
    monkeypatch.setenv("RATE", rate)
    assert env_rate("RATE", "1/s") == rate


@pytest.mark.parametrize("garbage", ["30", "0/min", "-1/min", "30/week", "ten/min", "30/"])
def test_env_rate_rejects_garbage(monkeypatch: pytest.MonkeyPatch, garbage: str) -> None:
    monkeypatch.setenv("RATE", garbage)
    with pytest.raises(ImproperlyConfigured, match="RATE must look like 30/min"):
        env_rate("RATE", "30/min")
