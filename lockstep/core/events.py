"""The vocabulary of the two append-only tables: activity-event verbs and audit actions.

Writers (services) and readers (the funnel, reminders, results) name events through these
enums, never through bare strings, so a renamed or mistyped verb fails type checking."""

from __future__ import annotations

from enum import StrEnum


class Verb(StrEnum):
    """Something a person did that a measurement counts (`core.ActivityEvent.verb`)."""

    PROGRAM_CREATED = "program.created"
    PROGRAM_DRAFT = "program.draft"
    PROGRAM_PREVIEW = "program.preview"
    PROGRAM_READY = "program.ready"
    PROGRAM_LIVE = "program.live"
    PROGRAM_CLOSED = "program.closed"
    PROGRAM_ENDORSED = "program.endorsed"
    PREVIEW_FEEDBACK = "preview.feedback"
    TARGET_ACKNOWLEDGED = "target.acknowledged"
    TARGET_DISPUTED = "target.disputed"
    BRIEF_OPENED = "brief.opened"
    BRIEF_ACKNOWLEDGED = "brief.acknowledged"
    ASSET_VIEWED = "asset.viewed"
    ASSET_DOWNLOADED = "asset.downloaded"
    TRAINING_COMPLETED = "training.completed"
    TRAINING_ATTENDED = "training.attended"
    CHECK_ATTEMPTED = "check.attempted"
    CHECK_PASSED = "check.passed"
    PROGRAM_CERTIFIED = "program.certified"
    PULSE_ANSWERED = "pulse.answered"
    QUESTION_ASKED = "question.asked"
    QUESTION_ANSWERED = "question.answered"
    LEAD_IMPORTED = "lead.imported"
    LEAD_TOUCHED = "lead.touched"
    LEAD_ACCEPTED = "lead.accepted"
    LEAD_REJECTED = "lead.rejected"
    LEAD_REASSIGNED = "lead.reassigned"
    LEAD_SLA_BREACHED = "lead.sla_breached"  # an untouched lead passed its first-touch SLA
    OPPORTUNITY_CREATED = "opportunity.created"
    OPPORTUNITY_WON = "opportunity.won"

    @classmethod
    def for_status(cls, status: str) -> Verb:
        return cls(f"program.{status}")


# What "informed" and "program activity" mean in events (the funnel and reminders share it).
INFORMED_VERBS = (Verb.BRIEF_OPENED, Verb.BRIEF_ACKNOWLEDGED)
KIT_USE_VERBS = (Verb.ASSET_VIEWED, Verb.ASSET_DOWNLOADED)


class Action(StrEnum):
    """A change an owner can read in the audit log (`core.AuditLog.action`)."""

    ORG_CREATED = "org.created"
    ORG_SETTINGS_CHANGED = "org.settings_changed"
    TEAM_CREATED = "team.created"
    TEAM_UPDATED = "team.updated"
    TEAM_DELETED = "team.deleted"
    MEMBER_ADDED = "member.added"
    MEMBER_CHANGED = "member.changed"
    MEMBER_REMOVED = "member.removed"
    MEMBER_NOTIFICATIONS_CHANGED = "member.notifications_changed"
    INVITATION_SENT = "invitation.sent"
    INVITATION_REVOKED = "invitation.revoked"
    INVITATION_ACCEPTED = "invitation.accepted"
    API_TOKEN_CREATED = "api_token.created"
    API_TOKEN_REVOKED = "api_token.revoked"
    PROGRAM_CREATED = "program.created"
    PROGRAM_UPDATED = "program.updated"
    PROGRAM_ARCHIVED = "program.archived"
    PROGRAM_UNARCHIVED = "program.unarchived"
    PROGRAM_STATUS_CHANGED = "program.status_changed"
    ACTIVITY_ADDED = "program.activity_added"
    ACTIVITY_REMOVED = "program.activity_removed"
    WIIFM_CHANGED = "program.wiifm_changed"
    ENDORSED = "program.endorsed"
    CHAMPION_ADDED = "program.champion_added"
    CHAMPION_REMOVED = "program.champion_removed"
    FEEDBACK_ANSWERED = "program.feedback_answered"
    ASSET_ADDED = "program.asset_added"
    ASSET_REMOVED = "program.asset_removed"
    TARGET_ADDED = "program.target_added"
    TARGET_CHANGED = "program.target_changed"
    TARGET_REMOVED = "program.target_removed"
    TARGET_ACKNOWLEDGED = "program.target_acknowledged"
    TARGET_DISPUTED = "program.target_disputed"
    TRAINING_ADDED = "program.training_added"
    TRAINING_CHANGED = "program.training_changed"
    TRAINING_REMOVED = "program.training_removed"
    CHECK_SAVED = "program.check_saved"
    CHECK_QUESTION_ADDED = "check.question_added"
    CHECK_QUESTION_REMOVED = "check.question_removed"
    ATTENDANCE_RECORDED = "training.attendance_recorded"
    PULSE_SETTINGS_CHANGED = "pulse.anonymity_changed"
    PULSE_ROUND_ADDED = "pulse.round_added"
    QUESTION_ANSWERED = "question.answered"
    QUESTION_ADDED_TO_FAQ = "question.added_to_faq"
    QUESTION_REMOVED_FROM_FAQ = "question.removed_from_faq"
    LEAD_REASSIGNED = "lead.reassigned"
    REPS_REMINDED = "program.reps_reminded"  # a sales leader's one-click reminder
    LEADS_ASSIGNED_TO_PROGRAM = "lead.assigned_to_program"
    REJECTION_REASON_ADDED = "rejection_reason.added"
    REJECTION_REASON_TOGGLED = "rejection_reason.toggled"
    IMPORT_STARTED = "import.started"
    IMPORT_FINISHED = "import.finished"
    WEBHOOK_CREATED = "webhook.created"
    WEBHOOK_CHANGED = "webhook.changed"
    WEBHOOK_DELETED = "webhook.deleted"
    WEBHOOK_DISABLED = "webhook.disabled"
    LESSONS_SAVED = "program.lessons_saved"
    DIGEST_SUBSCRIBED = "digest.subscribed"
    DIGEST_UNSUBSCRIBED = "digest.unsubscribed"
    TWO_FACTOR_ENABLED = "two_factor.enabled"
    TWO_FACTOR_DISABLED = "two_factor.disabled"
    TWO_FACTOR_RESET = "two_factor.reset"  # an owner removed a member's second factor
    RECOVERY_CODES_RENEWED = "two_factor.recovery_codes_renewed"
    SESSIONS_ENDED = "member.sessions_ended"
    MEMBER_TOKENS_REVOKED = "member.api_tokens_revoked"
    PERSON_EXPORTED = "person.exported"
    PERSON_ERASED = "person.erased"
