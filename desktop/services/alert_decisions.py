"""The one alert-decision protocol: every path that can raise clinical alerts (add or change a medication, sign a
prescription, merge a PHR file, save vital signs, lab results...) uses these three names.

    outcome = medications.add_medication(uow, patient_id, inp, decision)   # or prescriptions.sign(...), ...
    if isinstance(outcome, NeedsDecision):      # a result, never an exception: nothing was written
        decision = <desktop.widgets.alert_dialog.AlertDialog decides on outcome>   # -> Decision, or None: cancel
        outcome = medications.add_medication(uow, patient_id, inp, decision)      # the same call, decided

In a service that raises alerts:

    check = alerts.check_for_patient(uow, patient_id, proposed=...)   # an alerts.AlertCheck
    need = gate(uow, check, decision)           # NeedsDecision, or None when the write may go on
    if need is not None:
        return need
    ... write the row ...
    record(uow, patient_id, check, decision, medication_id=row.id)   # AlertOverride rows + audit

Rules (the same on every path):
- an interrupting alert (the practice's severities; contraindicated always) needs a physician's override with a
  reason from alerts.OVERRIDE_REASONS; `record` stores it as an AlertOverride and audits it;
- an interrupting alert about a measurement (a vital sign) is instead acknowledged by whoever entered it (the
  value was re-checked): `Decision.acknowledged`, stored by `record` in the same AlertOverride record;
- a check that could not run (knowledge base unavailable) needs an explicit acknowledgement, audited;
- `Decision(shown=frozenset())` (what a screen sends first) also stops at every alert not yet shown, moderate and
  minor ones included, so the dialog lists them; they need no reason, anyone may go on;
- `decision=None` (a script, a test) stops only where a decision is required;
- the system user (command line, no one logged in) is never stopped: the caller reports the alerts and the
  audit row counts them (`record` notes the undecided ones).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from .permissions import Permission
from .uow import UnitOfWork

__all__ = ["Decision", "NeedsDecision", "gate", "merge", "record"]


@dataclass(frozen=True, slots=True)
class Decision:
    """What the user decided in the alert dialog.

    overrides: (alert, reason, comment) for each interrupting alert the physician overrode.
    acknowledged: (alert, comment) for each interrupting measurement alert (a vital sign) the user re-checked
        and confirmed; counts only for alerts of alerts.ACKNOWLEDGEABLE_KINDS, never for an order's.
    acknowledged_no_checking: the user acknowledged that nothing could be checked.
    shown: keys of the alerts the user has seen listed; None means "do not stop only to list alerts".
    """

    overrides: tuple[tuple[Any, str, str], ...] = ()
    acknowledged_no_checking: bool = False
    acknowledged: tuple[tuple[Any, str], ...] = ()
    shown: frozenset[str] | None = None
    rehearsal: bool = False  # see Decision.rehearse()

    @classmethod
    def listing(cls) -> Decision:
        """The first attempt of a screen: stop at every alert so the dialog lists it."""
        return cls(shown=frozenset())

    @classmethod
    def rehearse(cls) -> Decision:
        """Let every entry through to see what a whole action (a PHR merge) would raise on the merged lists:
        only inside a savepoint that is rolled back; `record` stores nothing under it."""
        return cls(rehearsal=True)

    @property
    def overridden_keys(self) -> frozenset[str]:
        return frozenset(str(getattr(a, "key", "") or "") for a, _r, _c in self.overrides)

    @property
    def acknowledged_keys(self) -> frozenset[str]:
        from .alerts import ACKNOWLEDGEABLE_KINDS

        return frozenset(str(getattr(a, "key", "") or "") for a, _c in self.acknowledged
                         if getattr(a, "kind", "") in ACKNOWLEDGEABLE_KINDS)

    def acknowledgement_for(self, alert: Any) -> str | None:
        """The comment of this alert's acknowledgement ('' without one), None when not acknowledged."""
        key = str(getattr(alert, "key", "") or "")
        return next((c for a, c in self.acknowledged if str(getattr(a, "key", "") or "") == key), None) \
            if key in self.acknowledged_keys else None

    def override_for(self, alert: Any) -> tuple[str, str] | None:
        key = str(getattr(alert, "key", "") or "")
        return next(((r, c) for a, r, c in self.overrides if str(getattr(a, "key", "") or "") == key), None)

    def then(self, other: Decision) -> Decision:
        """This decision followed by a later one (the dialog's answer to the next NeedsDecision)."""
        shown = None if self.shown is None and other.shown is None else \
            frozenset(self.shown or ()) | frozenset(other.shown or ())
        return Decision(overrides=self.overrides + tuple(o for o in other.overrides
                                                         if str(getattr(o[0], "key", "")) not in self.overridden_keys),
                        acknowledged_no_checking=self.acknowledged_no_checking or other.acknowledged_no_checking,
                        acknowledged=self.acknowledged + tuple(a for a in other.acknowledged
                                                               if str(getattr(a[0], "key", "")) not in
                                                               self.acknowledged_keys),
                        shown=shown)


@dataclass(frozen=True, slots=True)
class NeedsDecision:
    """The write did not happen: these alerts need the user's decision (or only to be shown).

    check: the alerts.AlertCheck (every alert found, in the engine's order; kb_available; error; unchecked).
    pending: the interrupting alerts still without an override.
    what: what was being done ("add warfarin", "sign RX000000174", "merge export.json"), for the dialog title.
    """

    check: Any
    pending: tuple[Any, ...] = ()
    what: str = ""
    details: dict = field(default_factory=dict, compare=False)  # path-specific extras (e.g. the PHR merge's)

    @property
    def alerts(self) -> tuple[Any, ...]:
        return tuple(getattr(self.check, "alerts", ()) or ())

    @property
    def kb_available(self) -> bool:
        return bool(getattr(self.check, "kb_available", True))

    @property
    def error(self) -> str:
        return str(getattr(self.check, "error", "") or "")

    @property
    def interrupting(self) -> tuple[Any, ...]:
        return tuple(getattr(self.check, "interrupting", ()) or ())

    @property
    def passive(self) -> tuple[Any, ...]:
        return tuple(getattr(self.check, "passive", ()) or ())

    @property
    def needs_override(self) -> bool:
        return bool(self.pending)

    @property
    def needs_acknowledgement(self) -> bool:
        return not self.kb_available

    def __str__(self) -> str:
        if not self.kb_available:
            return (f"interaction checking is unavailable ({self.error or 'unknown reason'}): "
                    f"{self.what or 'this order'} needs an explicit acknowledgement")
        if self.pending:
            return (f"{len(self.pending)} alert(s) need a physician's override with a reason before "
                    f"{self.what or 'this order'} can go on: "
                    + "; ".join(f"{a.severity}: {a.message}" for a in self.pending))
        return f"{len(self.alerts)} alert(s) to review before {self.what or 'this order'} can go on"


def _key(alert: Any) -> str:
    return str(getattr(alert, "key", "") or "")


def gate(uow: UnitOfWork, check: Any, decision: Decision | None, what: str = "") -> NeedsDecision | None:
    """None when the write may go on under this decision; otherwise what still needs deciding."""
    decision = decision or Decision()
    if decision.overrides:
        uow.require(Permission.OVERRIDE_ALERT)  # before anything is written
    if uow.user.id is None or decision.rehearsal:
        return None  # the system: the caller reports every alert; `record` audits them as undecided
    if not getattr(check, "kb_available", True):
        return None if decision.acknowledged_no_checking else NeedsDecision(check, (), what)
    decided = decision.overridden_keys | decision.acknowledged_keys
    pending = tuple(a for a in check.interrupting if _key(a) not in decided)
    unseen = decision.shown is not None and any(
        _key(a) not in decision.shown and _key(a) not in decided for a in check.alerts)
    if pending or unseen:
        return NeedsDecision(check, pending, what)
    return None


def record(uow: UnitOfWork, patient_id: int, check: Any, decision: Decision | None, *, what: str = "",
           medication_id: int | None = None, prescription_id: int | None = None) -> int:
    """After the write: store each override of an interrupting alert (AlertOverride, audited), the
    acknowledgement of an unchecked order, or the system's undecided alerts. Returns overrides stored."""
    from . import alerts as alert_service

    decision = decision or Decision()
    if check is None:
        return 0
    if decision.rehearsal:
        return 0  # nothing to store: the rehearsal's savepoint is rolled back
    entity, entity_id = ("medication", medication_id) if medication_id is not None else \
        ("prescription", prescription_id) if prescription_id is not None else ("alert", None)
    if not getattr(check, "kb_available", True):
        if decision.acknowledged_no_checking or uow.user.id is None:
            uow.audit("acknowledge", entity, entity_id, patient_id,
                      f"{what or 'order'} without interaction checking: {getattr(check, 'error', '')}")
        return 0
    if uow.user.id is None:
        undecided = list(check.interrupting)
        if undecided:
            uow.audit("alert", entity, entity_id, patient_id,
                      f"{what or 'order'} by the system with {len(undecided)} interrupting alert(s) not decided: "
                      + "; ".join(f"{a.severity}: {a.message}" for a in undecided))
        return 0
    stored = 0
    for alert in check.interrupting:
        found = decision.override_for(alert)
        if found is None:
            comment = decision.acknowledgement_for(alert)
            if comment is not None:
                alert_service.record_acknowledgement(uow, patient_id, alert, comment)
                stored += 1
            continue
        reason, comment = found
        alert_service.record_override(uow, patient_id, alert, reason, comment, medication_id=medication_id,
                                      prescription_id=prescription_id)
        stored += 1
    return stored


def merge(needs: Iterable[NeedsDecision], what: str = "") -> NeedsDecision | None:
    """Several NeedsDecision of one action (a PHR merge adds several medications) as one, for one dialog."""
    needs = list(needs)
    if not needs:
        return None
    first = needs[0]
    alerts: dict[str, Any] = {}
    pending: dict[str, Any] = {}
    for n in needs:
        for a in n.alerts:
            alerts.setdefault(_key(a) or a.message, a)
        for a in n.pending:
            pending.setdefault(_key(a) or a.message, a)
    unavailable = next((n for n in needs if not n.kb_available), None)
    check = replace(first.check, alerts=tuple(sorted(alerts.values(), key=lambda a: a.sort_key())))
    if unavailable is not None:
        check = replace(check, kb_available=False, error=unavailable.error)
    return NeedsDecision(check, tuple(pending.values()), what or first.what)
