"""A printed encounter note: visit details, SOAP sections, diagnoses, signature line and addenda."""

from __future__ import annotations

from datetime import datetime

from reportlab.lib.colors import black
from reportlab.platypus import Flowable, KeepTogether, Table, TableStyle

from .data import NoteData
from .flow import Styles, build, none_line, para, spacer, when
from .fonts import REGULAR
from .page import GREY, MARGIN, fmt_datetime, page_size


class _SignatureLine(Flowable):
    """A ruled line to sign on, with the signer's name and the electronic signature time beneath."""

    def __init__(self, width: float, caption: str):
        super().__init__()
        self.width = width
        self.caption = caption
        self.height = 40

    def wrap(self, _aw: float, _ah: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        c = self.canv
        c.setStrokeColor(black)
        c.setLineWidth(0.8)
        c.line(0, 14, self.width * 0.6, 14)
        c.setFont(REGULAR, 8)
        c.setFillColor(GREY)
        c.drawString(0, 4, self.caption)


def render_note(data: NoteData) -> bytes:
    st = Styles.get()
    page_w, _ = page_size(data.page_size)
    width = page_w - 2 * MARGIN
    story: list = []
    title = f"{data.kind.capitalize()} visit — {when(data.encounter_date)}"
    story.append(para(title, st.h1))
    meta = [["Provider", data.provider or "—", "Status", "Signed" if data.status == "signed" else "DRAFT — not signed"],
            ["Reason", data.reason or "—", "Signed", when(data.signed_at) if data.signed_at else "—"]]
    t = Table([[para(c, st.muted if i % 2 == 0 else st.cell) for i, c in enumerate(r)] for r in meta],
              colWidths=[width * 0.12, width * 0.48, width * 0.1, width * 0.3])
    t.setStyle(TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0), ("TOPPADDING", (0, 0), (-1, -1), 1),
                           ("BOTTOMPADDING", (0, 0), (-1, -1), 1), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story.append(t)
    for heading, text in (("Subjective", data.subjective), ("Objective", data.objective),
                          ("Assessment", data.assessment), ("Plan", data.plan)):
        story.append(para(heading, st.h2))
        story.append(para(text, st.body) if text.strip() else none_line("(nothing recorded)"))
    if data.diagnoses:
        story.append(para("Diagnoses", st.h2))
        for dx in data.diagnoses:
            story.append(para(f"• {dx}", st.body))

    story.append(spacer(16))
    if data.status == "signed":
        caption = f"Electronically signed by {data.signed_by or data.provider} on {when(data.signed_at)}"
    else:
        caption = "NOT SIGNED — draft note"
    story.append(KeepTogether([para("Signature", st.h3), _SignatureLine(width, caption)]))

    if data.addenda:
        story.append(para("Addenda", st.h2))
        for a in data.addenda:
            story.append(KeepTogether([
                para(f"Addendum by {a.author} — {when(a.created_at)}", st.h3),
                para(a.text, st.body),
                spacer(4),
            ]))
    printed_at = data.printed_at or datetime.now()
    printed = f"Printed {fmt_datetime(printed_at)}" + (f" by {data.printed_by}" if data.printed_by else "")
    return build(story, page_size_name=data.page_size, title=f"Encounter note — {data.patient.full_name}",
                 author=data.provider, practice=data.practice, patient=data.patient, doc_title="Encounter note",
                 footer_left=printed, as_of=data.encounter_date.date())
