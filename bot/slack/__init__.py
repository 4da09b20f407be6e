"""Slack only: the bolt app and its listeners, Block Kit rendering, and the Slack notifier."""
