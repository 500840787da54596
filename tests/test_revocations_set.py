"""`tokens.revocation.Revocations`, the set every verifier checks in memory: what each kind of
entry refuses, its edges, its sweep, and that a verifier's cache hits see a change at once."""

from __future__ import annotations

import pytest

from planner_bridge.clock import FrozenClock
from planner_bridge.errors import InvalidToken
from planner_bridge.storage import DatabaseUnavailable, Revocation
from planner_bridge.tokens.revocation import (
    CLIENT,
    JTI,
    USER,
    RevocationEvent,
    Revocations,
    user_subject,
)
from planner_bridge.tokens.verification import AccessClaims

NOW = 1_800_000_000


def claims(*, jti="j1", client="pbk_1", user="alice", entity="ent_1", iat=NOW) -> AccessClaims:
    kind, sub = ("user", user) if user else ("legal_entity", entity)
    return AccessClaims(sub, entity, kind, ("read",), client, jti, iat, iat + 600, "kid")


@pytest.fixture
def revocations() -> Revocations:
    loaded = Revocations(FrozenClock(NOW))
    loaded.reloaded([])
    return loaded


def test_nothing_is_vouched_for_before_the_set_is_loaded_or_while_the_feed_is_cut():
    fresh = Revocations(FrozenClock(NOW))
    with pytest.raises(DatabaseUnavailable):
        fresh.check(claims())
    fresh.reloaded([])
    fresh.check(claims())
    fresh.lost()
    with pytest.raises(DatabaseUnavailable):
        fresh.check(claims())


def test_a_jti_entry_refuses_that_token_only(revocations):
    revocations.heard(Revocation(JTI, "j1", NOW, NOW + 600))
    with pytest.raises(InvalidToken, match="revoked"):
        revocations.check(claims(jti="j1"))
    revocations.check(claims(jti="j2"))


@pytest.mark.parametrize(
    ("entry", "refused", "kept"),
    [
        (Revocation(CLIENT, "pbk_1", NOW, NOW + 9), claims(client="pbk_1"), claims(client="x")),
        (
            Revocation(USER, user_subject("ent_1", "alice"), NOW, NOW + 9),
            claims(user="alice"),
            claims(user="bob"),
        ),
        (
            Revocation(USER, user_subject("ent_1", "alice"), NOW, NOW + 9),
            claims(user="alice"),
            claims(user="alice", entity="ent_2"),  # another shop's alice
        ),
    ],
)
def test_not_before_entries_refuse_what_was_issued_up_to_their_second(
    revocations, entry, refused, kept
):
    revocations.heard(entry)
    assert revocations.refuses(refused)
    assert revocations.refuses(claims_at(refused, NOW - 100))
    assert not revocations.refuses(claims_at(refused, NOW + 1))  # issued after: untouched
    assert not revocations.refuses(kept)


def test_a_users_entry_never_refuses_a_legal_entity_token(revocations):
    revocations.heard(Revocation(USER, user_subject("ent_1", "ent_1"), NOW, NOW + 9))
    assert not revocations.refuses(claims(user=None))


def test_entries_merge_to_the_later_edge_whatever_the_order(revocations):
    late, early = (Revocation(CLIENT, "pbk_1", t, NOW + 9) for t in (NOW + 5, NOW))
    revocations.heard(late)
    revocations.heard(early)  # heard late, out of order: changes nothing
    assert revocations.refuses(claims(iat=NOW + 5))


def test_entries_are_swept_once_the_tokens_they_name_have_expired():
    clock = FrozenClock(NOW)
    revocations = Revocations(clock)
    revocations.reloaded([Revocation(JTI, "old", NOW, NOW + 10)])
    revocations.heard(Revocation(JTI, "new", NOW, NOW + 1000))
    assert len(revocations) == 2
    clock.advance(120)  # past the sweep interval and past the old entry's end
    revocations.heard(Revocation(CLIENT, "pbk_1", NOW + 120, NOW + 2000))
    assert len(revocations) == 2 and not revocations.refuses(claims(jti="old", client="x"))


def test_every_change_bumps_the_generation_and_tells_the_listeners(revocations):
    told: list[int] = []
    revocations.on_change(lambda: told.append(revocations.generation))
    before = revocations.generation
    revocations.heard(Revocation(JTI, "j1", NOW, NOW + 9))
    revocations.lost()
    revocations.reloaded([])
    assert revocations.generation == before + 3 and told == [before + 1, before + 3]


def test_claims_that_passed_are_checked_against_what_changed_since(revocations):
    token = claims(jti="j1", client="pbk_1")
    passed = revocations.generation
    revocations.heard(Revocation(JTI, "other", NOW, NOW + 9))
    revocations.check(token, since=passed)  # the one change names another token
    revocations.heard(Revocation(CLIENT, "pbk_1", NOW, NOW + 9))
    with pytest.raises(InvalidToken):
        revocations.check(token, since=passed)


@pytest.mark.parametrize("then", ["many changes", "a reload", "a cut and a reload"])
def test_the_whole_set_is_consulted_when_the_changes_since_are_not_all_known(revocations, then):
    token = claims(jti="j1")
    passed = revocations.generation
    revocations.heard(Revocation(JTI, "j1", NOW, NOW + 9))
    if then == "many changes":
        for i in range(100):  # more than are remembered one by one
            revocations.heard(Revocation(JTI, f"other-{i}", NOW, NOW + 9))
    else:
        if then == "a cut and a reload":
            revocations.lost()
        revocations.reloaded([])
    with pytest.raises(InvalidToken):
        revocations.check(token, since=passed)


def test_a_cached_token_is_refused_as_soon_as_it_is_revoked(core):
    from asset_helpers import mint
    from support import register_shop

    shop = register_shop(core)
    token = mint(core, shop.entity.id, user="alice")
    verified = core.verifier.verify_access_token(token)
    assert core.verifier.verify_access_token(token) == verified  # a cache hit
    core.revocations.heard(Revocation(JTI, verified.jti, NOW, verified.expires_at + 60))
    with pytest.raises(InvalidToken, match="revoked"):
        core.verifier.verify_access_token(token)


def test_each_revocation_reaches_the_audit_hook_once(core, monkeypatch):
    from planner_bridge.serving import blocking
    from planner_bridge.tokens import revocation

    events: list[RevocationEvent] = []
    monkeypatch.setattr(revocation, "revoked", events.append)
    blocking(core.revoker.revoke_user("ent_1", "alice", way="user sign-out", actor="cli"))
    blocking(core.revoker.revoke_api_token("apt_1", "ent_1", way="api-token deleted", actor="k"))
    assert events == [
        RevocationEvent("user sign-out", "cli", "ent_1", USER, "ent_1\nalice"),
        RevocationEvent("api-token deleted", "k", "ent_1", CLIENT, "api-token:apt_1"),
    ]


def claims_at(original: AccessClaims, iat: int) -> AccessClaims:
    import dataclasses

    return dataclasses.replace(original, issued_at=iat)
