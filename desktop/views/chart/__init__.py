"""The chart's tabs. Each tab is a class taking a ChartContext, created when first shown.

Tab modules are imported directly: a tab whose code cannot be imported stops the app at start with the real
error, and a tab that fails while it is built or read shows the failure in red (see ChartView), never an
empty list.
"""

from __future__ import annotations

from dataclasses import dataclass

from desktop.services.permissions import Permission

from .allergies_tab import AllergiesTab
from .base import ChartTab
from .demographics_tab import DemographicsTab
from .encounters_tab import EncountersTab
from .family_history_tab import FamilyHistoryTab
from .immunizations_tab import ImmunizationsTab
from .medications_tab import MedicationsTab
from .outside_visits_tab import OutsideVisitsTab
from .problems_tab import ProblemsTab
from .procedures_tab import ProceduresTab
from .results_tab import ResultsTab
from .social_history_tab import SocialHistoryTab
from .summary_tab import SummaryTab
from .vitals_tab import VitalsTab


@dataclass(frozen=True)
class ChartTabSpec:
    key: str
    title: str
    factory: type[ChartTab]
    permission: Permission
    shortcut: str = ""


CHART_TABS: list[ChartTabSpec] = [
    ChartTabSpec("summary", "Summary", SummaryTab, Permission.VIEW_CHART, "Alt+1"),
    ChartTabSpec("problems", "Problems", ProblemsTab, Permission.VIEW_CHART, "Alt+2"),
    ChartTabSpec("medications", "Medications", MedicationsTab, Permission.VIEW_CHART, "Alt+3"),
    ChartTabSpec("allergies", "Allergies", AllergiesTab, Permission.VIEW_CHART, "Alt+4"),
    ChartTabSpec("immunizations", "Immunizations", ImmunizationsTab, Permission.VIEW_CHART, "Alt+5"),
    ChartTabSpec("vitals", "Vitals", VitalsTab, Permission.VIEW_CHART, "Alt+6"),
    ChartTabSpec("encounters", "Encounters", EncountersTab, Permission.VIEW_CHART, "Alt+7"),
    ChartTabSpec("results", "Results", ResultsTab, Permission.VIEW_CHART, "Alt+9"),
    ChartTabSpec("procedures", "Procedures", ProceduresTab, Permission.VIEW_CHART),
    ChartTabSpec("social_history", "Social history", SocialHistoryTab, Permission.VIEW_CHART),
    ChartTabSpec("family_history", "Family history", FamilyHistoryTab, Permission.VIEW_CHART),
    ChartTabSpec("outside_visits", "Outside visits", OutsideVisitsTab, Permission.VIEW_CHART),
    ChartTabSpec("demographics", "Demographics", DemographicsTab, Permission.VIEW_DEMOGRAPHICS, "Alt+8"),
]
