"""The SOAP → REST migration tracker: which debtors of each SOAP link are still to move, matching new
REST consents to them, and what support sees and decides (handlers.migration.service)."""

from handlers.migration.matching import (
    BY_BUTTON,
    AskedSupport,
    ConsentMatch,
    Covered,
    NothingToMatch,
    by_support,
    on_rest_consent,
)
from handlers.migration.outcomes import (
    MIGRATION_OUTCOMES,
    AlreadyDecided,
    MarkedNotNeeded,
    MatchConfirmed,
    MatchDeclined,
    MatchGone,
    MigrationChecklist,
    MigrationOutcome,
    MigrationOverview,
    NoDebtor,
    NotMigrating,
)
from handlers.migration.service import OVERVIEW_CAP, Migration, Refusal, days_left, overview, overview_document

__all__ = [
    "BY_BUTTON", "AskedSupport", "ConsentMatch", "Covered", "NothingToMatch", "by_support", "on_rest_consent",
    "MIGRATION_OUTCOMES", "AlreadyDecided", "MarkedNotNeeded", "MatchConfirmed", "MatchDeclined", "MatchGone",
    "MigrationChecklist", "MigrationOutcome", "MigrationOverview", "NoDebtor", "NotMigrating", "OVERVIEW_CAP",
    "Migration", "Refusal", "days_left", "overview", "overview_document",
]
