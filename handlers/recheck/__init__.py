"""The nightly re-check: runs under a lease (service), the check pipeline (pipeline, step) and the
link state machine as a pure function (transitions)."""

from handlers.recheck.service import Recheck
from handlers.recheck.values import (
    MANUAL_TRIGGERS,
    CheckReport,
    LinkNotFound,
    RecheckBusy,
    RecheckPolicy,
    RunProgress,
    RunSummary,
    SweepReport,
)

__all__ = [
    "MANUAL_TRIGGERS", "CheckReport", "LinkNotFound", "Recheck", "RecheckBusy", "RecheckPolicy", "RunProgress",
    "RunSummary", "SweepReport",
]
