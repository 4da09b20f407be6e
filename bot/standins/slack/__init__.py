"""Slack's side for tests, benchmarks and try mode: the Web API server (server, methods), the
requests Slack sends (payloads, markup) and the one workspace both agree on (workspace)."""
