"""What customers are told later, by direct message, about a link: it stopped working, or the outcome
of a check that could not be done at once; and the failures rebuilt from an alert's details."""

from __future__ import annotations

from typing import Any, Mapping

from handlers.model import LinkCard, Rejected, RejectionCategory, Unreachable, UnreachableCause
from handlers.text.explain import explain
from handlers.text.replies import Reply, is_nl, label, link_facts


def _link_name(card: LinkCard, lang: str) -> str:
    environment = card.environment or (card.debtor_name if card.is_rest else None) or label("unknown", lang)
    ending = f", token …{card.token_last4}" if card.token_last4 else ""
    return f"{environment}{ending}"


def rejected_from(details: Mapping[str, Any]) -> Rejected:
    """A rejection rebuilt from an alert's details (category or reason, code), to explain it."""
    try:
        category = RejectionCategory(str(details.get("category") or details.get("reason") or "other"))
    except ValueError:
        category = RejectionCategory.OTHER
    code = details.get("code")
    return Rejected(code=code if isinstance(code, int) else None, category=category,
                    message=str(details.get("message") or ""), latency_s=0.0)


def unreachable_from(details: Mapping[str, Any]) -> Unreachable:
    """An outage rebuilt from an alert's details (cause or reason, code), to explain it."""
    try:
        cause = UnreachableCause(str(details.get("cause") or details.get("reason") or "connection"))
    except ValueError:
        cause = UnreachableCause.CONNECTION
    return Unreachable(cause=cause, detail="", latency_s=0.0)


def customer_broken(card: LinkCard, details: Mapping[str, Any], lang: str) -> Reply:
    """Your link stopped working: which one, why, and what to do (details: category, code)."""
    said = explain(rejected_from(details), lang)
    name = _link_name(card, lang)
    headline = (f"Je Nmbrs-koppeling ({name}) werkt niet meer" if is_nl(lang)
                else f"Your Nmbrs link ({name}) stopped working")
    return Reply(tone="problem", headline=headline, detail=f"{said.headline}. {said.detail}", action=said.action,
                 facts=link_facts(card, lang, scope=False), offer_connect=True)


def customer_result(card: LinkCard, details: Mapping[str, Any], lang: str) -> Reply:
    """The outcome of a check that could not be done at once (details: outcome, category/cause, code)."""
    outcome = str(details.get("outcome") or card.state)
    nl = is_nl(lang)
    name = _link_name(card, lang)
    if outcome in ("valid", "active"):
        return Reply(
            tone="ok",
            headline=(f"Gelukt: je Nmbrs-koppeling ({name}) werkt" if nl else f"Done: your Nmbrs link ({name}) works"),
            detail=("Nmbrs heeft je gegevens nu bevestigd." if nl else "Nmbrs has now confirmed your details."),
            action=("Je hoeft niets meer te doen." if nl else "Nothing else to do."),
            facts=link_facts(card, lang),
        )
    if outcome in ("rejected", "broken"):
        said = explain(rejected_from(details), lang)
        return Reply(tone="problem", headline=said.headline, detail=said.detail, action=said.action,
                     facts=link_facts(card, lang, scope=False), offer_connect=True)
    said = explain(unreachable_from(details), lang)
    return Reply(tone="wait", headline=said.headline, detail=said.detail, action=said.action,
                 facts=link_facts(card, lang, scope=False))
