"""The one place that shows errors and questions. Tests swap in a recorder instead of real message boxes."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from PySide6.QtWidgets import QMessageBox, QWidget

log = logging.getLogger(__name__)


def explain(exc: BaseException) -> tuple[str, str]:
    """(title, sentence) for an exception; unexpected ones get a generic sentence and go to the log."""
    from desktop.services.errors import (
        ConflictError,
        NotFound,
        PermissionDenied,
        ServiceError,
        ValidationError,
    )

    if isinstance(exc, PermissionDenied):
        return "Not allowed", f"{str(exc)[:1].upper()}{str(exc)[1:]}."
    if isinstance(exc, ValidationError):
        return "Please check the form", "\n".join(exc.errors.values()) or str(exc)
    if isinstance(exc, ConflictError):
        return "Changed by someone else", f"{str(exc)[:1].upper()}{str(exc)[1:]}. Reopen it to see the changes."
    if isinstance(exc, NotFound):
        return "Not found", str(exc)
    if isinstance(exc, ServiceError):
        return "Cannot do that", str(exc)
    from desktop.services.database import DatabaseOpenError, SchemaError

    if isinstance(exc, DatabaseOpenError | SchemaError):
        return "Database", str(exc)
    log.error("unexpected error", exc_info=(type(exc), exc, exc.__traceback__))
    return "Something went wrong", (
        f"The action could not be completed ({type(exc).__name__}). Nothing was saved. "
        "If it happens again, tell your administrator; the details are in the log."
    )


class MessageService:
    def error(self, parent: QWidget | None, exc: BaseException | str, title: str | None = None) -> None:
        if isinstance(exc, BaseException):
            t, text = explain(exc)
        else:
            t, text = "Error", exc
        QMessageBox.warning(parent, title or t, text)

    def info(self, parent: QWidget | None, text: str, title: str = "Information") -> None:
        QMessageBox.information(parent, title, text)

    def confirm(self, parent: QWidget | None, text: str, title: str = "Please confirm",
                yes: str = "Yes", no: str = "Cancel") -> bool:
        box = QMessageBox(QMessageBox.Icon.Question, title, text, parent=parent)
        yes_button = box.addButton(yes, QMessageBox.ButtonRole.AcceptRole)
        box.addButton(no, QMessageBox.ButtonRole.RejectRole)
        box.exec()
        return box.clickedButton() is yes_button

    def choose(self, parent: QWidget | None, text: str, title: str, choices: list[str], default: int = 0,
               cancel: int | None = None) -> int | None:
        """A question with several answers; returns the index chosen (Escape: `cancel`). `default` is the
        button Enter presses: the safe answer."""
        box = QMessageBox(QMessageBox.Icon.Question, title, text, parent=parent)
        buttons = [box.addButton(label, QMessageBox.ButtonRole.ActionRole) for label in choices]
        box.setDefaultButton(buttons[default])
        if cancel is not None:
            box.setEscapeButton(buttons[cancel])
        box.exec()
        clicked = box.clickedButton()
        return buttons.index(clicked) if clicked in buttons else cancel


@dataclass
class RecordingMessages(MessageService):
    """For tests: remembers what would have been shown; confirm() answers from a queue (default yes)."""

    shown: list[tuple[str, str]] = field(default_factory=list)
    answers: list[bool] = field(default_factory=list)
    choices: list[int] = field(default_factory=list)  # answers to choose(); default: the default button
    offered: list[tuple[list[str], int]] = field(default_factory=list)  # (choices, default) per choose()

    def error(self, parent, exc, title=None) -> None:
        t, text = explain(exc) if isinstance(exc, BaseException) else ("Error", exc)
        self.shown.append((title or t, text))

    def info(self, parent, text, title="Information") -> None:
        self.shown.append((title, text))

    def confirm(self, parent, text, title="Please confirm", yes="Yes", no="Cancel") -> bool:
        self.shown.append((title, text))
        return self.answers.pop(0) if self.answers else True

    def choose(self, parent, text, title, choices, default=0, cancel=None) -> int | None:
        self.shown.append((title, text))
        self.offered.append((list(choices), default))
        return self.choices.pop(0) if self.choices else default


messages: MessageService = MessageService()


def set_message_service(service: MessageService) -> None:
    global messages
    messages = service


def get_messages() -> MessageService:
    return messages
