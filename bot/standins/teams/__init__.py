"""Microsoft's side of a Teams bot for tests and try mode: the token issuer and Bot Framework
connector (server) and the activities Teams sends (payloads)."""
