"""The console's forms: what a submitted form asks for, and each refusal worded next to the
field it concerns. The rules themselves stay in the core (`entities`, `api_tokens`): a refusal
from there is only given back to the right field, with the field's label instead of its API name.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ..clients.entities import MAX_COMMENT_LENGTH
from ..errors import InvalidFields, InvalidScope, ProtocolError
from ..names import check_name, name_problem
from ..tokens.api_tokens import MAX_DAYS, MAX_NAME_LENGTH, MAX_USER_ID_LENGTH
from ..validation import ascii_number
from .openapi_parts import TOKEN_ID, static

RIGHTS = {"read": ["read"], "read write": ["read", "write"]}
# The core's field names (as its messages begin) -> (form field, the label people see).
FIELDS = {
    "user.id": ("user_id", "User id"),
    "user.name": ("user_name", "User name"),
    "name": ("name", "Name"),
    "expires_in_days": ("days", "Expires in days"),
    "rights": ("rights", "Rights"),
}


def key_comment(text: str) -> tuple[str, str]:
    """The comment for a new API key (optional) and the error to show, if any."""
    if not text.strip():
        return "", ""
    try:
        return check_name(text, "Comment", MAX_COMMENT_LENGTH).strip(), ""
    except ProtocolError as exc:
        return text, exc.description


@dataclasses.dataclass
class TokenForm:
    """ "Generate new token", as typed; shown again (never with a token) when refused."""

    name: str = ""
    user_id: str = ""
    user_name: str = ""
    days: str = ""
    never: bool = False
    rights: str = "read"
    errors: dict[str, str] = dataclasses.field(default_factory=dict)

    @classmethod
    def blank(cls, default_days: int) -> TokenForm:
        return cls(days=str(default_days))

    @classmethod
    def read(cls, form: dict[str, str]) -> TokenForm:
        read = cls(
            name=form.get("name", ""),
            user_id=form.get("user_id", ""),
            user_name=form.get("user_name", ""),
            days=form.get("days", "").strip(),
            never=form.get("never") == "yes",
            rights=form.get("rights", ""),
        )
        read.errors = read._check()
        return read

    def _check(self) -> dict[str, str]:
        """Every field's mistake at once (the names by the one rule, `names`)."""
        errors = {}
        for field, label, limit in (
            ("name", "Name", MAX_NAME_LENGTH),
            ("user_id", "User id", MAX_USER_ID_LENGTH),
            ("user_name", "User name", MAX_NAME_LENGTH),
        ):
            value = getattr(self, field)
            if not value.strip():
                if field != "user_name":  # optional: the user id stands in
                    errors[field] = f"{label} is required."
                continue
            problem = name_problem(value, label, limit)
            if problem:
                errors[field] = problem + "."
        if not self.never and self._days() is None:
            errors["days"] = (
                f"Expires in days must be a whole number from 1 to {MAX_DAYS},"
                " or tick Never expires."
            )
        if self.rights not in RIGHTS:
            errors["rights"] = "Choose the token's rights."
        return errors

    def _days(self) -> int | None:
        days = ascii_number(self.days, max_digits=4)
        return days if days is not None and 1 <= days <= MAX_DAYS else None

    def fields(self) -> dict[str, Any]:
        """The checked form as `ApiTokens.issue` takes it."""
        return {
            "name": self.name,
            "user_id": self.user_id,
            "user_name": self.user_name if self.user_name.strip() else None,
            "rights": RIGHTS[self.rights],
            "expires_in_days": None if self.never else self._days(),
        }

    def refused(self, exc: ProtocolError) -> dict[str, str]:
        """The core's refusals, each next to the field it names."""
        if isinstance(exc, InvalidScope):
            return {"rights": "This entity may not grant write rights."}
        problems = exc.problems if isinstance(exc, InvalidFields) else [exc.description]
        errors: dict[str, str] = {}
        for message in problems:
            field, worded = _worded(message or exc.error)
            errors.setdefault(field, worded)
        return errors


def _worded(message: str) -> tuple[str, str]:
    """The form field a refusal of the core concerns, and the refusal in the form's words."""
    for prefix, (field, label) in FIELDS.items():
        if message.startswith(prefix):
            return field, label + message[len(prefix) :] + "."
    return "form", message


# -- how /openapi.json describes these routes (assembled by `openapi`) ---------------------------

HTML_PAGE = {"description": "An HTML page", "content": {"text/html": {}}}
CONSOLE_ERROR = {
    "description": "The console's error page: 400 a field refused, 401 wrong username or"
    " password, 403 a form without this session's CSRF token, 404 another entity's id or an"
    " unknown action, 429 too many failed sign-ins",
    "content": {"text/html": {}},
}


TO_CONSOLE = {
    "get": {
        "summary": "Not a page: sends the browser to /admin/ (Back to a form's URL, a bookmark)",
        "tags": ["administration console"],
        "responses": {"303": {"description": "To /admin/"}},
    }
}


def console_page(summary: str) -> dict[str, Any]:
    return {
        "get": {
            "summary": summary,
            "tags": ["administration console"],
            "security": [{"adminSession": []}],
            "responses": {"200": HTML_PAGE, "303": {"description": "Signed out: to /admin/"}},
        }
    }


def console_form(summary: str, *fields: str, shows_page: bool = False) -> dict[str, Any]:
    """A POST of the administration console (an HTML form: a 303 to /admin/ when done, a page
    when refused or to confirm), and the GET of its URL that sends the browser to /admin/."""
    properties = {name: {"type": "string"} for name in ("csrf", *fields)}
    answers: dict[str, Any] = {
        "303": {"description": "Done, or not signed in: back to /admin/"},
        "4XX": CONSOLE_ERROR,
    }
    if shows_page:
        answers["200"] = HTML_PAGE
    return {
        **TO_CONSOLE,
        "post": {
            "summary": summary,
            "tags": ["administration console"],
            "security": [{"adminSession": []}],
            "requestBody": {
                "required": True,
                "content": {
                    "application/x-www-form-urlencoded": {
                        "schema": {"type": "object", "properties": properties}
                    }
                },
            },
            "responses": answers,
        },
    }


def console_paths() -> dict[str, Any]:
    """The administration console (`apps.admin`): HTML pages and forms for administrators."""
    token_id = {**TOKEN_ID}
    action = {"name": "action", "in": "path", "required": True, "schema": {"type": "string"}}
    key_id = {"name": "key_id", "in": "path", "required": True, "schema": {"type": "string"}}
    change_token = console_form(
        "disable | enable | delete (delete confirms first)", shows_page=True
    )
    return {
        "/admin/": {
            "get": {
                "summary": "The sign-in form, or the signed-in administrator's console",
                "tags": ["administration console"],
                "responses": {"200": HTML_PAGE, "4XX": CONSOLE_ERROR},
            }
        },
        "/admin/activity": console_page("The entity's audit trail, newest first"),
        "/admin/sign-in": console_form("Sign in (a 303 to the console)", "username", "password"),
        "/admin/origins": console_form("Register an origin", "origin"),
        "/admin/origins/remove": console_form("Unregister an origin", "origin"),
        "/admin/sign-out": console_form("Sign out: the session ends on the server"),
        "/admin/api-keys": console_form(
            "Generate an API key; its secret is shown once", "comment", shows_page=True
        ),
        "/admin/api-keys/{key_id}/revoke": {
            "parameters": [key_id],
            **console_form("Revoke an API key (confirms first)", "confirm", shows_page=True),
        },
        "/admin/tokens": console_form(
            "Generate a web service token; shown once (never expires: asks to confirm first)",
            "name",
            "user_id",
            "user_name",
            "days",
            "never",
            "rights",
            shows_page=True,
        ),
        "/admin/tokens/{token_id}/{action}": {"parameters": [token_id, action], **change_token},
        "/admin/users/sign-out": console_form(
            "Sign out everywhere: every token of the user issued until now is revoked", "user_id"
        ),
        "/admin/static/{path}": static("The console's style and copy-button script"),
    }
