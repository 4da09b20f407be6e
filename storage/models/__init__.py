"""The tables of tokendesk, one model per module."""

from storage.models.alert import AlertRecord
from storage.models.apikey import ApiKey
from storage.models.attempt import IntakeAttempt
from storage.models.audit import AuditEntry
from storage.models.base import Base, utcnow
from storage.models.check import Check
from storage.models.connect_ticket import ConnectTicket
from storage.models.conversation import PendingConversation
from storage.models.invitation import Invitation
from storage.models.delivery import InboundDelivery
from storage.models.link import CHECKED_STATES, Link, LinkKind, LinkState
from storage.models.migration_debtor import MigrationDebtor, MoveState
from storage.models.migration_invite import MigrationInvite
from storage.models.oauth_state import OAuthState
from storage.models.pending_intake import PendingIntake
from storage.models.revocation import PendingRevocation
from storage.models.run import Lease, RecheckRun
from storage.models.teams_reference import TeamsReference
from storage.models.thread import SupportThread
from storage.models.webhook import WebhookEvent, WebhookStatus

__all__ = [
    "AlertRecord", "ApiKey", "AuditEntry", "Base", "CHECKED_STATES", "Check", "ConnectTicket", "InboundDelivery", "IntakeAttempt",
    "Invitation",
    "Lease", "Link", "LinkKind", "LinkState", "MigrationDebtor", "MigrationInvite", "MoveState", "OAuthState", "PendingConversation",
    "PendingIntake", "PendingRevocation",
    "RecheckRun", "SupportThread", "TeamsReference",
    "WebhookEvent", "WebhookStatus", "utcnow",
]
