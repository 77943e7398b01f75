"""Issue 12 point 4: a part of the chart that cannot be read says so in red, and the banner says the chart is
incomplete; never "No allergies recorded" for allergies that could not be read."""

from __future__ import annotations

import dataclasses

import pytest

pytestmark = pytest.mark.gui


@pytest.fixture
def open_chart(qtbot, app_ctx, add_patient):
    from desktop.views.chart_view import ChartView

    patient = add_patient(given="Alma", family="Reyes")

    def make(tab: str):
        view = ChartView(app_ctx("physician"), patient.id)
        qtbot.addWidget(view)
        view.resize(1200, 800)
        view.show()
        view.show_tab(tab)
        return view

    return make


def test_allergies_that_cannot_be_read_are_not_shown_as_none(qtbot, open_chart, monkeypatch):
    from desktop.services import allergies

    def broken(*_a, **_k):
        raise OSError("disk I/O error")

    monkeypatch.setattr(allergies, "list_allergies", broken)
    view = open_chart("allergies")
    page = view.page("allergies")
    qtbot.waitUntil(lambda: view.banner.incomplete.isVisible(), timeout=5000)
    assert page.stack.currentWidget() is page.empty
    assert "could not be loaded" in page.empty.text() and "not recorded" not in page.empty.text().lower()
    assert "#b00020" in page.empty.styleSheet()  # red
    assert view.banner.incomplete.text() == "Chart incomplete: Allergies could not be loaded"


def test_a_tab_that_cannot_be_built_says_so_and_marks_the_chart(qtbot, open_chart, monkeypatch):
    from desktop.views import chart as chart_tabs
    from desktop.views import chart_view

    class Broken(chart_tabs.ChartTab):
        def __init__(self, chart, parent=None):
            raise FileNotFoundError("resources/kb/vaccines.json")

    tabs = [dataclasses.replace(s, factory=Broken) if s.key == "immunizations" else s for s in chart_tabs.CHART_TABS]
    monkeypatch.setattr(chart_view, "CHART_TABS", tabs)
    view = open_chart("immunizations")
    page = view.page("immunizations")
    assert "could not be loaded" in page.label.text() and "vaccines.json" in page.label.text()
    assert "#b00020" in page.label.styleSheet()
    assert view.banner.incomplete.isVisible()
    assert "Immunizations" in view.banner.incomplete.text()
    view.show_tab("problems")  # the other tabs work as usual
    qtbot.waitUntil(lambda: view.page("problems")._loading == 0, timeout=5000)
    assert view.page("problems").empty.text() == "No problems recorded."
