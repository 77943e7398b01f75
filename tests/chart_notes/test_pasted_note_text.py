"""Text pasted into a note from another program can carry a NUL (PostgreSQL refuses the whole save with a
database error: the note could not be saved at all) or zero-width characters (invisible, they split the words).
They are dropped from the note's sections and from an addendum; line breaks and tabs stay."""

from __future__ import annotations

from desktop.models import Addendum, Encounter
from desktop.services import encounters


def test_a_note_and_its_addendum_are_saved_without_pasted_control_characters(db, as_role, add_patient):
    p = add_patient()
    with as_role("physician") as uow:
        e = encounters.create_encounter(uow, p.id, encounters.EncounterInput())
        e = encounters.save_draft(uow, e.id, encounters.NoteContent(
            reason="Cough\u200b", subjective="Cough\x00 for 3\u200b days\n\tno fever", objective="Lungs clear",
            assessment="URI", plan="Fluids\ufeff"), e.version)
    assert e.content.subjective == "Cough for 3 days\n\tno fever" and e.content.reason == "Cough"
    with as_role("physician") as uow:
        encounters.sign(uow, e.id, e.version)
        encounters.add_addendum(uow, e.id, "Called back:\x00 better\u00ad")
    with db.uow() as uow:
        stored = uow.session.get(Encounter, e.id)
        assert (stored.subjective, stored.plan) == ("Cough for 3 days\n\tno fever", "Fluids")
        assert [a.text for a in uow.session.query(Addendum).all()] == ["Called back: better"]
