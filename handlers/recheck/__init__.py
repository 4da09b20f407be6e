"""The nightly re-check: runs under a lease, the check pipeline and the link state machine."""

from handlers.recheck.service import (
    MANUAL_TRIGGERS, CheckReport, LinkNotFound, Recheck, RecheckBusy, RecheckPolicy, RunProgress, RunSummary,
    SweepReport,
)

__all__ = [
    "MANUAL_TRIGGERS", "CheckReport", "LinkNotFound", "Recheck", "RecheckBusy", "RecheckPolicy", "RunProgress",
    "RunSummary", "SweepReport",
]
