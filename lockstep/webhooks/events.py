"""Which activity-event verbs a webhook can subscribe to, under the names receivers see."""

from __future__ import annotations

from lockstep.core.events import Verb

# Event type (what receivers see and owners pick) → the activity-event verb behind it.
EVENT_TYPES: dict[str, Verb] = {
    "program.launched": Verb.PROGRAM_LIVE,
    "program.closed": Verb.PROGRAM_CLOSED,
    "brief.acknowledged": Verb.BRIEF_ACKNOWLEDGED,
    "check.passed": Verb.CHECK_PASSED,
    "pulse.answered": Verb.PULSE_ANSWERED,
    "question.asked": Verb.QUESTION_ASKED,
    "question.answered": Verb.QUESTION_ANSWERED,
    "lead.sla_breached": Verb.LEAD_SLA_BREACHED,
    "lead.rejected": Verb.LEAD_REJECTED,
}
TYPE_OF_VERB = {verb.value: name for name, verb in EVENT_TYPES.items()}
LABELS = {
    "program.launched": "Program launched",
    "program.closed": "Program closed",
    "brief.acknowledged": "Brief acknowledged",
    "check.passed": "Knowledge check passed",
    "pulse.answered": "Pulse answered",
    "question.asked": "Question asked",
    "question.answered": "Question answered",
    "lead.sla_breached": "Lead SLA breached",
    "lead.rejected": "Lead rejected",
}
