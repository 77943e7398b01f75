"""Errors a service raises for the user to read; views show them, the CLI prints them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


class ServiceError(Exception):
    """Base: the message is a sentence for the user."""


class PermissionDenied(ServiceError):
    pass


class NotFound(ServiceError):
    pass


class Cancelled(ServiceError):
    """The user pressed Cancel: the operation stopped and left nothing changed."""


# what long operations take (all optional, none of them Qt): progress(done, total, stage) with total 0 when
# unknown, and cancelled() asked now and then; the GUI's Cancel button and the CLI's bar plug in here
ProgressFn = Callable[[int, int, str], None]
CancelFn = Callable[[], bool]


class ValidationError(ServiceError):
    """Field-level problems: {field name: message}. The form shows each beside its field."""

    def __init__(self, errors: dict[str, str], message: str | None = None):
        self.errors = dict(errors)
        super().__init__(message or "; ".join(f"{k}: {v}" for k, v in errors.items()))


@dataclass
class ConflictError(ServiceError):
    """Someone else saved this record since it was opened. Both versions travel with the error."""

    entity: str
    entity_id: int
    mine: dict = field(default_factory=dict)
    theirs: dict = field(default_factory=dict)
    their_version: int = 0
    changed_by: str = ""

    def __post_init__(self) -> None:
        super().__init__(
            f"this {self.entity} was changed by {self.changed_by or 'another user'} after you opened it"
        )
