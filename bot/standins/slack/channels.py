"""Channels shared with another organisation (Slack Connect) in the Slack stand-in:
conversations.info, posts into a channel the bot is not in, and modals for users of another team.

Whether Slack opens an app's modal for a user of another organisation is not confirmed; the stand-in
opens it by default and refuses it (with EXTERNAL_MODAL_ERROR, our own stand-in word) when
`external_modals` is False. Slack names the trigger's user only to itself, so a test that wants the
refusal takes its trigger_id from `trigger_for(user)`.
"""

from __future__ import annotations

from typing import Any

from bot.standins.slack.methods import Refusal, State, WebApiMethods
from bot.standins.slack.workspace import new_trigger_id

#: The error views.open answers for a user of another team when external modals are off.
EXTERNAL_MODAL_ERROR = "external_user_modal_refused"


class ChannelMethods:
    """conversations.info and the shared-channel rules; mixed into SlackStandIn before WebApiMethods."""

    team_id: str
    _state: State
    _channels: dict[str, dict[str, Any]]
    _trigger_users: dict[str, str]
    external_modals: bool

    def _conversations_info(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._channels.get(str(params.get("channel") or ""))
        if channel is None:
            raise Refusal("channel_not_found")
        return {"channel": dict(channel)}

    def _chat_post_message(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._channels.get(str(params.get("channel") or ""))
        if channel is not None and not channel["is_member"]:
            raise Refusal("not_in_channel")
        return WebApiMethods._chat_post_message(self, params)  # type: ignore[arg-type]

    def _views_open(self, params: dict[str, Any]) -> dict[str, Any]:
        user = self._state.users.get(self._trigger_users.get(str(params.get("trigger_id") or ""), ""))
        if user is not None and user["team_id"] != self.team_id and not self.external_modals:
            raise Refusal(EXTERNAL_MODAL_ERROR)
        return WebApiMethods._views_open(self, params)  # type: ignore[arg-type]

    def _new_channel(self, channel_id: str, name: str, *, shared: bool, ext_shared: bool, member: bool,
                     other_team: str | None) -> dict[str, Any]:
        return {
            "id": channel_id, "name": name, "is_channel": True, "is_group": False, "is_im": False,
            "is_private": False, "is_archived": False, "is_general": False, "is_member": member,
            "is_shared": shared or ext_shared, "is_ext_shared": ext_shared, "is_org_shared": False,
            "is_pending_ext_shared": False, "context_team_id": self.team_id,
            "shared_team_ids": [self.team_id, *([other_team] if other_team else [])],
        }

    def _remember_trigger(self, user_id: str) -> str:
        trigger_id = new_trigger_id()
        self._trigger_users[trigger_id] = user_id
        return trigger_id


CHANNEL_METHODS = {
    "conversations.info": ChannelMethods._conversations_info,
    "chat.postMessage": ChannelMethods._chat_post_message,
    "views.open": ChannelMethods._views_open,
}
