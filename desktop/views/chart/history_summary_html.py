"""The Summary tab's history box: smoking status first (red when current), other social history, surgical and
procedure history (each once, with how often and when last), main family history."""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import Any

from desktop.domain.dates import show_date

RED, GREY = "#b00020", "#666666"


def history_html(brief: Any, tr: Callable[[str], str]) -> str:
    if brief is None:
        return f"<span style='color:{GREY}'>{escape(tr('Not loaded.'))}</span>"
    smoking = brief.smoking
    if smoking is None:
        smoke = f"<b style='color:#8a5a00'>{escape(tr('Smoking status not recorded'))}</b>"
    else:
        colour = RED if smoking.smoking_group == "current" else ""
        text = escape(smoking.summary) + (f" <span style='color:{GREY}'>({show_date(smoking.observed_date)})</span>"
                                          if smoking.observed_date else "")
        smoke = f"<b style='color:{colour}'>{text}</b>" if colour else f"<b>{text}</b>"
    parts = [f"<div><span style='color:{GREY}'>{escape(tr('Smoking'))}:</span> {smoke}</div>"]
    for line in brief.social_lines()[1 if smoking else 0:]:
        parts.append(f"<div style='color:{GREY}'>{escape(line)}</div>")
    if brief.procedures:
        items = []
        for p in brief.procedures:
            when = show_date(p.last) if p.last else tr("date unknown")
            times = f" ×{p.times}" if p.times > 1 else ""
            items.append(f"{escape(p.description)} <span style='color:{GREY}'>({when}{times})</span>")
        more = brief.procedures_total - len(brief.procedures)
        tail = f" <span style='color:{GREY}'>… {escape(tr('and %d more') % more)}</span>" if more > 0 else ""
        parts.append(f"<div><span style='color:{GREY}'>{escape(tr('Procedures'))}:</span> "
                     + "; ".join(items) + tail + "</div>")
    else:
        parts.append(f"<div style='color:{GREY}'>{escape(tr('No procedures recorded.'))}</div>")
    if brief.family:
        fam = "; ".join(escape(f.summary) for f in brief.family)
        more = brief.family_total - len(brief.family)
        tail = f" <span style='color:{GREY}'>… {escape(tr('and %d more') % more)}</span>" if more > 0 else ""
        parts.append(f"<div><span style='color:{GREY}'>{escape(tr('Family'))}:</span> {fam}{tail}</div>")
    else:
        parts.append(f"<div style='color:{GREY}'>{escape(tr('No family history recorded.'))}</div>")
    return "".join(parts)
