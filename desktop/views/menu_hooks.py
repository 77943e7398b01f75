"""Menu entries that features add to the main window (chart actions, admin screens): each feature module has
an `install(window)`; they are imported directly, so a broken one fails loudly at start."""

from __future__ import annotations

from . import admin_menu, phr_menu, print_menu

FEATURES = (admin_menu, phr_menu, print_menu)


def install(window) -> None:
    for feature in FEATURES:
        feature.install(window)
