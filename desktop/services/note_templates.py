"""SOAP note templates from resources/templates/*.json. `{{vitals}}` in a section is replaced by today's vitals.

Template blanks are marked fields, like Epic's wildcards: `***` where something must be typed, `{a/b}` where one
of the choices must be kept. F2 in the note editor jumps to the next one; a note with any left is not signed.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from desktop.config import RESOURCES

log = logging.getLogger(__name__)

MARKED_FIELD = re.compile(r"\*\*\*|\{[^{}\n]*/[^{}\n]*\}")  # "***" or a choice list "{controlled/not at goal}"

TEMPLATE_DIR = RESOURCES / "templates"
SECTIONS = ("subjective", "objective", "assessment", "plan")
VITALS_PLACEHOLDER = "{{vitals}}"
SOCIAL_PLACEHOLDER = "{{social_history}}"  # the current social history (smoking status first) in Subjective
NO_VITALS_TODAY = "Vitals: not recorded today"


@dataclass(frozen=True, slots=True)
class NoteTemplate:
    key: str
    title: str
    reason: str
    subjective: str
    objective: str
    assessment: str
    plan: str
    order: int = 100

    def sections(self, vitals_text: str = "", social_text: str = "") -> dict[str, str]:
        """The four sections with the vitals (and social history) placeholders filled in."""
        vitals = vitals_text or NO_VITALS_TODAY
        return {name: getattr(self, name).replace(VITALS_PLACEHOLDER, vitals).replace(
            SOCIAL_PLACEHOLDER, social_text or "Social history: not recorded") for name in SECTIONS}

    @property
    def wants_social_history(self) -> bool:
        return any(SOCIAL_PLACEHOLDER in getattr(self, name) for name in SECTIONS)


def _load(path: Path) -> NoteTemplate:
    data = json.loads(path.read_text(encoding="utf-8"))
    return NoteTemplate(
        key=data.get("key") or path.stem, title=data["title"], reason=data.get("reason", ""),
        **{name: data.get(name, "") for name in SECTIONS}, order=int(data.get("order", 100)),
    )


@cache
def _all(directory: Path = TEMPLATE_DIR) -> tuple[NoteTemplate, ...]:
    out = []
    for path in sorted(directory.glob("*.json")):
        try:
            out.append(_load(path))
        except (ValueError, KeyError, OSError) as exc:  # one broken file must not hide the others
            log.warning("note template %s skipped: %s", path.name, exc)
    return tuple(sorted(out, key=lambda t: (t.order, t.title)))


def list_templates() -> list[NoteTemplate]:
    return list(_all())


def get_template(key: str) -> NoteTemplate | None:
    return next((t for t in _all() if t.key == key), None)


def marked_fields(text: str) -> list[tuple[int, int, str]]:
    """(start, end, text) of every marked field still in the text."""
    return [(m.start(), m.end(), m.group()) for m in MARKED_FIELD.finditer(text or "")]
