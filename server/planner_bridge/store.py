"""The storage interface's old home, kept so callers move to `storage` at their own pace."""

from .storage import (
    Administrator,
    AdminSession,
    AnswerRecord,
    ApiKey,
    ApiTokenRecord,
    Asset,
    AsyncStore,
    Conflict,
    Entity,
    Headers,
    IdempotentAnswer,
    Reservation,
    Store,
)

__all__ = [
    "AdminSession",
    "Administrator",
    "AnswerRecord",
    "ApiKey",
    "ApiTokenRecord",
    "Asset",
    "AsyncStore",
    "Conflict",
    "Entity",
    "Headers",
    "IdempotentAnswer",
    "Reservation",
    "Store",
]
