"""What every view gets: the worker runner (with db and user) and the message service."""

from __future__ import annotations

from dataclasses import dataclass

from desktop.ops import Ops
from desktop.services.permissions import Permission
from desktop.services.uow import CurrentUser
from desktop.widgets.messages import MessageService, get_messages


@dataclass
class AppContext:
    ops: Ops
    messages: MessageService

    @property
    def user(self) -> CurrentUser:
        return self.ops.user

    @property
    def db(self):
        return self.ops.db

    def can(self, permission: Permission) -> bool:
        return self.user.can(permission)


def make_context(db, user, parent=None) -> AppContext:
    return AppContext(ops=Ops(db, user, parent), messages=get_messages())
