"""A window closed while its start-up read is still running: the late answer is dropped, not delivered to
deleted widgets (it used to raise 'Internal C++ object already deleted' inside a later event loop)."""

from __future__ import annotations

import threading

import pytest
from shiboken6 import delete

from desktop.views.app import in_background
from desktop.views.main_window import MainWindow

pytestmark = pytest.mark.gui


def test_a_result_for_a_closed_window_is_dropped(qtbot):
    window = MainWindow()
    release = threading.Event()
    delivered: list = []
    ran = threading.Event()

    def work():
        release.wait(5)
        ran.set()
        return "Practice"

    in_background(work, lambda result, error: delivered.append((result, error)), window)
    delete(window)  # the window goes while the read is on its way
    release.set()
    qtbot.waitUntil(ran.is_set, timeout=5000)
    qtbot.wait(200)  # let the queued answer arrive
    assert delivered == []


def test_a_result_for_an_open_window_arrives(qtbot):
    window = MainWindow()
    qtbot.addWidget(window)
    delivered: list = []
    in_background(lambda: "Practice", lambda result, error: delivered.append((result, error)), window)
    qtbot.waitUntil(lambda: delivered == [("Practice", None)], timeout=5000)
