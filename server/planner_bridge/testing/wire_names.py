"""The bridge's message names for the testing kit: a mirror of `HostEvent` and `PlannerEvent` in
web/sdk/protocol.js, the one home of the wire contract. tests/test_wire_names.py fails when the
two disagree, so a name is changed there and here together."""

from __future__ import annotations

# Host → planner.
HOST_EVENTS = ("Authentication", "Login", "TokenRefreshed", "Logout", "Command")
# Planner → host.
PLANNER_EVENTS = (
    "Ready",
    "AuthenticationRequired",
    "AuthenticationSucceeded",
    "AuthenticationFailed",
    "TokenExpired",
    "LoginRequired",
    "LoginSucceeded",
    "LoginFailed",
    "CloseApp",
    "CommandResult",
    "Loaded",
    "DesignOpened",
    "DesignChanged",
    "DesignSaved",
    "ItemAdded",
    "ItemRemoved",
    "SelectionChanged",
    "AddToCart",
    "Resize",
)
