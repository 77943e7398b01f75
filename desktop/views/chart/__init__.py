"""The chart's tabs. Each tab is a class taking a ChartContext, created lazily when first shown."""

from __future__ import annotations

from dataclasses import dataclass

from desktop.services.permissions import Permission


@dataclass(frozen=True)
class ChartTabSpec:
    key: str
    title: str
    factory: str | None  # "module:Class"; None shows an honest empty state
    permission: Permission
    shortcut: str = ""
    empty_text: str = ""


CHART_TABS: list[ChartTabSpec] = [
    ChartTabSpec("summary", "Summary", "desktop.views.chart.summary_tab:SummaryTab", Permission.VIEW_CHART, "Alt+1"),
    ChartTabSpec("problems", "Problems", "desktop.views.chart.problems_tab:ProblemsTab", Permission.VIEW_CHART, "Alt+2"),
    ChartTabSpec("medications", "Medications", "desktop.views.chart.medications_tab:MedicationsTab",
                 Permission.VIEW_CHART, "Alt+3"),
    ChartTabSpec("allergies", "Allergies", "desktop.views.chart.allergies_tab:AllergiesTab", Permission.VIEW_CHART,
                 "Alt+4"),
    ChartTabSpec("immunizations", "Immunizations", "desktop.views.chart.immunizations_tab:ImmunizationsTab",
                 Permission.VIEW_CHART, "Alt+5"),
    ChartTabSpec("vitals", "Vitals", "desktop.views.chart.vitals_tab:VitalsTab", Permission.VIEW_CHART, "Alt+6"),
    ChartTabSpec("encounters", "Encounters", "desktop.views.chart.encounters_tab:EncountersTab",
                 Permission.VIEW_CHART, "Alt+7"),
    ChartTabSpec("demographics", "Demographics", "desktop.views.chart.demographics_tab:DemographicsTab",
                 Permission.VIEW_DEMOGRAPHICS, "Alt+8"),
]
