"""Menu entries that features add to the main window (chart actions, admin screens).

Each feature module exposes `install(window)`; a feature that is not present is simply not offered.
"""

from __future__ import annotations

import importlib
import logging

log = logging.getLogger(__name__)

# module names under desktop.views with an install(window) function
FEATURES = (
    "desktop.views.admin_menu",
    "desktop.views.phr_menu",
    "desktop.views.print_menu",
)


def install(window) -> None:  # noqa: ANN001
    for name in FEATURES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        module.install(window)
