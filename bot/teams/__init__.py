"""Microsoft Teams: the same desk as Slack, on Microsoft's Teams SDK (microsoft-teams-apps)."""
