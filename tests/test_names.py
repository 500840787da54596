"""The one rule for names (SPEC "Operating it", Limits): the rule itself as a table, then the
same refusals at every entry point that takes a name (CLI, console, web services)."""

from __future__ import annotations

import httpx
import pytest

from asset_helpers import WRITE, bearer, mint
from planner_bridge.cli import main
from planner_bridge.errors import InvalidRequest
from planner_bridge.names import REFUSAL, check_name, name_problem
from planner_bridge.serving import blocking
from test_admin_console import sign_in_as, token_fields
from test_api_tokens import signed

__all__ = ["sign_in_as"]  # a fixture, shared with test_admin_console

# Names people really give things: accents, CJK, emoji (one with joiners), spaces, punctuation.
GOOD = [
    "Küchenstudio Müller",
    "キッチン東京",
    "厨房设计",
    "Café ☕",
    "🛋️ Sofa",
    "👩‍💻 dev team",  # zero-width joiners inside one emoji sequence
    "O'Brien & Sons — Kitchens",
    "Ελληνικά",
    "עברית",  # right-to-left script is fine; only the override characters are refused
]
# Each hides what it shows, or breaks a line: refused everywhere.
BAD = [
    "admin\u202egnp.exe",  # RIGHT-TO-LEFT OVERRIDE: shows as "adminexe.png"
    "a\u202ab",
    "a\u202bb",
    "a\u202cb",
    "a\u202db",
    "a\u2066b",
    "a\u2067b",
    "a\u2068b",
    "a\u2069b",
    "a\u200eb",
    "a\u200fb",
    "a\u061cb",
    "a\u200bb",  # ZERO WIDTH SPACE
    "a\u200cb",
    "a\u200db",  # a joiner between letters: nothing to join
    "a\u2060b",
    "a\u2064b",
    "a\ufeffb",
    "soft\u00adhyphen",
    "a\nb",
    "a\x00b",
    "a\x1bb",
    "a\x85b",
    "a\x9bb",
    "a\u2028b",  # LINE SEPARATOR: a line break to many renderers and logs
    "a\u2029b",  # PARAGRAPH SEPARATOR
    "a\U000e0041b",  # a TAG character: invisible
    "\u3164",  # HANGUL FILLER: a "letter" that draws nothing
    "a\u115fb",
    "a\u034fb",  # COMBINING GRAPHEME JOINER
    "a\ufff9b",  # INTERLINEAR ANNOTATION ANCHOR (format, invisible)
    "a\U0001d173b",  # a musical format control (category Cf), caught by category
]


@pytest.mark.parametrize("value", GOOD)
def test_real_names_pass(value):
    assert check_name(value, "name", 200) == value
    assert name_problem(value, "name", 200) is None


@pytest.mark.parametrize("value", BAD)
def test_hidden_and_control_characters_are_refused(value):
    with pytest.raises(InvalidRequest) as caught:
        check_name(value, "name", 200)
    assert caught.value.description == f"name {REFUSAL}"


@pytest.mark.parametrize("value", ["Sofa", "Bücher", "  padded  ", "a" * 20, "Ünïcödé"])
def test_a_name_is_returned_unchanged(value):
    assert check_name(value, "name", 20) == value


@pytest.mark.parametrize(
    ("value", "says"),
    [
        (None, "string of 1 to 20"),
        (7, "string of 1 to 20"),
        ("", "string of 1 to 20"),
        ("   ", "string of 1 to 20"),
        ("a" * 21, "string of 1 to 20"),
        ("a\nb", "control characters"),
        ("a\x00b", "control characters"),
        ("a\x85b", "control characters"),  # NEL: a line break to some terminals
        ("a\x9bb", "control characters"),  # CSI: starts a terminal escape sequence
        ("a\ud800", "not valid UTF-8"),
    ],
)
def test_refusals_name_the_field(value, says):
    with pytest.raises(InvalidRequest) as caught:
        check_name(value, "user.name", 20)
    assert caught.value.description.startswith("user.name ") and says in caught.value.description


# -- the same rule at every entry point --------------------------------------------------------

HIDDEN = "admin\u202egnp.exe"
FINE = "Küche 厨房 👩‍💻"


@pytest.fixture
def cli(planner, monkeypatch, capsys):
    monkeypatch.setenv("PLANNER_BRIDGE_ISSUER", planner.url)
    data_dir = str(planner.core.settings.data_dir)

    def run(*argv: str) -> tuple[int, str]:
        code = main([*argv, "--data-dir", data_dir])
        return code, capsys.readouterr().err

    return run


def test_the_cli_takes_the_rule_for_every_name(planner, shop, cli):
    refused = [
        ("entity", "create", HIDDEN, "--origin", "https://a.example"),
        ("entity", "set", shop.entity.id, "--name", HIDDEN),
        ("key", "create", shop.entity.id, "--comment", HIDDEN),
        ("api-token", "create", "--entity", shop.entity.id, "--user", "u", "--name", HIDDEN),
        ("api-token", "create", "--entity", shop.entity.id, "--user", HIDDEN, "--name", "n"),
        ("api-token", "create", "--entity", shop.entity.id, "--user", f"u:{HIDDEN}", "--name", "n"),
    ]
    for argv in refused:
        code, err = cli(*argv)
        assert code == 1 and REFUSAL in err and err.count("\n") == 1, (argv, err)
    assert cli("entity", "set", shop.entity.id, "--name", FINE)[0] == 0
    assert cli("key", "create", shop.entity.id, "--comment", FINE)[0] == 0
    argv = ("api-token", "create", "--entity", shop.entity.id, "--user", f"u:{FINE}")
    assert cli(*argv, "--name", FINE)[0] == 0
    assert blocking(planner.core.store.get_entity(shop.entity.id)).name == FINE


def test_the_console_takes_the_rule_for_every_name(planner, sign_in_as, shop):
    admin = sign_in_as(shop, "ada")
    page = admin.post("/admin/api-keys", comment=HIDDEN)
    assert page.status_code == 400 and 'id="comment-error"' in page.text
    for field in ("name", "user_id", "user_name"):
        page = admin.post("/admin/tokens", **token_fields(**{field: HIDDEN}))
        assert page.status_code == 400 and f'id="{field}-error"' in page.text, field
        assert "bidirectional overrides" in page.text
    assert admin.post("/admin/api-keys", comment=FINE).status_code == 303
    assert admin.post("/admin/tokens", **token_fields(name=FINE, user_name=FINE)).status_code == 303
    (token,) = blocking(planner.core.store.list_api_tokens(shop.entity.id))
    assert (token.name, token.user_name) == (FINE, FINE)


def test_the_web_services_take_the_rule_for_every_name(planner, shop):
    token = mint(planner.core, shop.entity.id, rights=WRITE, user="alice")
    for name in (HIDDEN, "a\u200bb", "a\ufeffb"):
        asset = {"name": name, "kind": "furniture"}
        answer = httpx.post(planner.url + "/v1/assets", json=asset, headers=bearer(token))
        assert answer.json()["error_description"] == f"name {REFUSAL}"
        kind = httpx.post(
            planner.url + "/v1/assets", json={"name": "n", "kind": name}, headers=bearer(token)
        )
        assert kind.json()["error_description"] == f"kind {REFUSAL}"
    for user in ({"id": HIDDEN, "name": "n"}, {"id": "u", "name": HIDDEN}):
        body = {"type": "user", "user": user}
        answer = signed(planner, shop, "POST", "/v1/tokens", body)
        assert answer.status_code == 400 and REFUSAL in answer.json()["error_description"]
    for body in ({"name": HIDDEN, "user": {"id": "u"}}, {"name": "n", "user": {"id": HIDDEN}}):
        answer = signed(planner, shop, "POST", "/v1/api-tokens", body)
        assert answer.status_code == 400 and REFUSAL in answer.json()["error_description"]
    fine = {"name": FINE, "kind": FINE}
    created = httpx.post(planner.url + "/v1/assets", json=fine, headers=bearer(token))
    assert created.status_code == 201 and created.json()["name"] == FINE
    body = {"type": "user", "user": {"id": FINE, "name": FINE}}
    assert signed(planner, shop, "POST", "/v1/tokens", body).status_code == 201
