"""Which words a customer alert becomes, whatever the platform that delivers it."""

from __future__ import annotations

from handlers.model import Alert, AlertKind
from handlers.text import customer_alerts
from handlers.text.connect_text import chat_consent
from handlers.text.replies import Reply


def customer_reply(alert: Alert, lang: str) -> Reply:
    """The reply for a customer alert (CUSTOMER_KINDS); every kind but a consent names its link."""
    if alert.kind is AlertKind.CUSTOMER_CONSENT:
        return chat_consent(alert.details, alert.link, lang)
    if alert.link is None:
        raise ValueError(f"{alert.kind} alert without its link")
    if alert.kind is AlertKind.CUSTOMER_BROKEN:
        return customer_alerts.customer_broken(alert.link, alert.details, lang)
    return customer_alerts.customer_result(alert.link, alert.details, lang)
