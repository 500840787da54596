"""Settings: every PLANNER_BRIDGE_* variable read, overrides applied, all mistakes told at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from planner_bridge.demo.settings import DemoSettings
from planner_bridge.settings import Settings, SettingsError


def test_defaults_match_the_spec():
    settings = Settings.from_env({})
    assert settings.data_dir == Path("data")
    assert settings.signing_alg == "ES256"
    assert (settings.min_token_ttl, settings.max_token_ttl) == (60, 86400)
    assert (settings.default_token_ttl, DemoSettings.from_env(settings, {}).token_ttl) == (
        3600,
        3600,
    )
    assert settings.exchange_token_ttl == 900
    assert settings.sqlite_path == Path("data") / "planner-bridge.sqlite3"


def test_every_variable_is_read():
    environ = {
        "PLANNER_BRIDGE_DATA_DIR": "/srv/pb",
        "PLANNER_BRIDGE_ISSUER": "https://planner.example",
        "PLANNER_BRIDGE_SIGNING_ALG": "EdDSA",
        "PLANNER_BRIDGE_MIN_TOKEN_TTL": "5",
        "PLANNER_BRIDGE_MAX_TOKEN_TTL": "7200",
        "PLANNER_BRIDGE_DEFAULT_TOKEN_TTL": "600",
        "PLANNER_BRIDGE_EXCHANGE_TOKEN_TTL": "300",
        "PLANNER_BRIDGE_API_TOKEN_DAYS": "7",
        "PLANNER_BRIDGE_LEEWAY": "10",
        "PLANNER_BRIDGE_DEMO_TOKEN_TTL": "90",
        "PLANNER_BRIDGE_DATABASE_URL": "sqlite:////srv/pb/other.sqlite3",
    }
    settings = Settings.from_env(environ)
    assert settings.data_dir == Path("/srv/pb")
    assert settings.issuer == "https://planner.example"
    assert settings.signing_alg == "EdDSA"
    assert (settings.min_token_ttl, settings.max_token_ttl, settings.default_token_ttl) == (
        5,
        7200,
        600,
    )
    assert (settings.exchange_token_ttl, settings.api_token_days, settings.leeway) == (300, 7, 10)
    assert DemoSettings.from_env(settings, environ).token_ttl == 90
    assert settings.sqlite_path == Path("/srv/pb/other.sqlite3")


@pytest.mark.parametrize(
    "issuer", ["https://planner.example/base", "http://[::1]:8001", "http://0.0.0.0:8001"]
)
def test_an_issuer_with_a_path_or_an_ip_host_is_fine(issuer):
    assert Settings.from_env({"PLANNER_BRIDGE_ISSUER": issuer}).issuer == issuer


def test_other_environment_variables_are_ignored():
    assert Settings.from_env({"PATH": "/bin", "PLANNER_BRIDGE": "x"}) == Settings()


def test_flags_override_the_environment_and_none_means_not_given():
    environ = {"PLANNER_BRIDGE_DATA_DIR": "/from/env", "PLANNER_BRIDGE_LEEWAY": "5"}
    settings = Settings.from_env(environ, data_dir="/from/flag", leeway=None)
    assert settings.data_dir == Path("/from/flag") and settings.leeway == 5


def test_min_token_ttl_lowers_the_floor():
    assert Settings.from_env({"PLANNER_BRIDGE_MIN_TOKEN_TTL": "1"}).min_token_ttl == 1


@pytest.mark.parametrize(
    ("name", "value", "mentions"),
    [
        ("MIN_TOKEN_TTL", "soon", "MIN_TOKEN_TTL must be a whole number"),
        ("MIN_TOKEN_TTL", "0", "MIN_TOKEN_TTL"),
        ("MIN_TOKEN_TTL", "90000", "MIN_TOKEN_TTL"),
        ("DEFAULT_TOKEN_TTL", "30", "DEFAULT_TOKEN_TTL"),
        ("EXCHANGE_TOKEN_TTL", "901", "EXCHANGE_TOKEN_TTL"),
        ("LEEWAY", "61", "LEEWAY"),
        ("API_TOKEN_DAYS", "0", "API_TOKEN_DAYS"),
        ("SIGNING_ALG", "HS256", "SIGNING_ALG must be one of"),
        ("ISSUER", "planner.example", "ISSUER must be an http(s) URL"),
        ("ISSUER", "http://planner_bad.example", "ISSUER must be an http(s) URL"),
        ("ISSUER", "https://planner.example;x", "ISSUER must be an http(s) URL"),
        ("ISSUER", "https://user:pw@planner.example", "ISSUER must be an http(s) URL"),
        ("ISSUER", "http://[::1", "ISSUER must be an http(s) URL"),
        ("ISSUER", "http://planner.example:99999", "ISSUER must be an http(s) URL"),
        ("DATABASE_URL", "mysql://x", "DATABASE_URL"),
    ],
)
def test_each_mistake_is_named(name, value, mentions):
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({f"PLANNER_BRIDGE_{name}": value})
    assert any(mentions in problem for problem in caught.value.problems)
    assert all("\n" not in problem for problem in caught.value.problems)


@pytest.mark.parametrize(
    "environ",
    [
        {"PLANNER_BRIDGE_DEMO_TOKEN_TTL": "5"},  # below the default MIN_TOKEN_TTL of 60
        {"PLANNER_BRIDGE_DEMO_TOKEN_TTL": "-3"},
        {"PLANNER_BRIDGE_DEMO_TOKEN_TTL": "0", "PLANNER_BRIDGE_MIN_TOKEN_TTL": "1"},
        {"PLANNER_BRIDGE_DEMO_TOKEN_TTL": "90000"},
        {"PLANNER_BRIDGE_MAX_TOKEN_TTL": "1800", "PLANNER_BRIDGE_DEFAULT_TOKEN_TTL": "600"},
    ],
)
def test_a_demo_token_ttl_the_token_service_would_refuse_is_named(environ):
    # Otherwise every /planner-token of the demo shop answers 502.
    with pytest.raises(SettingsError) as caught:
        DemoSettings.from_env(Settings.from_env(environ), environ)
    [problem] = caught.value.problems
    assert "PLANNER_BRIDGE_DEMO_TOKEN_TTL" in problem
    assert "lower PLANNER_BRIDGE_MIN_TOKEN_TTL" in problem


def test_a_short_demo_token_ttl_is_fine_once_the_floor_is_lowered():
    environ = {"PLANNER_BRIDGE_DEMO_TOKEN_TTL": "5", "PLANNER_BRIDGE_MIN_TOKEN_TTL": "1"}
    assert DemoSettings.from_env(Settings.from_env(environ), environ).token_ttl == 5


def test_the_demo_options_are_the_demos_own():
    environ = {
        "PLANNER_BRIDGE_DEMO_PASSWORD": "correct horse",
        "PLANNER_BRIDGE_DEMO_TOKEN_TTL": "x",
    }
    assert Settings.from_env(environ) == Settings()  # the product reads neither
    with pytest.raises(SettingsError) as caught:
        DemoSettings.from_env(Settings(), environ)
    assert caught.value.problems == ["PLANNER_BRIDGE_DEMO_TOKEN_TTL must be a whole number"]
    demo = DemoSettings.from_env(Settings(), {"PLANNER_BRIDGE_DEMO_PASSWORD": "correct horse"})
    assert demo.password == "correct horse" and "correct horse" not in repr(demo)


def test_the_settings_know_which_values_the_environment_gave():
    environ = {"PLANNER_BRIDGE_ISSUER": "https://planner.example", "PLANNER_BRIDGE_LEEWAY": "5"}
    settings = Settings.from_env(environ, leeway=10)
    assert settings.from_environment == {"issuer", "leeway"}
    assert Settings.from_env({}, issuer="https://x.example").from_environment == frozenset()


def test_all_mistakes_are_told_at_once():
    environ = {"PLANNER_BRIDGE_SIGNING_ALG": "none", "PLANNER_BRIDGE_LEEWAY": "600"}
    with pytest.raises(SettingsError) as caught:
        Settings.from_env(environ)
    assert len(caught.value.problems) == 2
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({"PLANNER_BRIDGE_LEEWAY": "x", "PLANNER_BRIDGE_MAX_TOKEN_TTL": "y"})
    assert len(caught.value.problems) == 2


def test_settings_are_immutable_and_replace_makes_a_copy():
    settings = Settings()
    changed = settings.replace(issuer="https://other.example")
    assert settings.issuer != changed.issuer == "https://other.example"
    with pytest.raises(AttributeError):
        settings.issuer = "x"  # type: ignore[misc]
