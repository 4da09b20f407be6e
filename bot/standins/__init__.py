"""Local stand-ins for the outside parties tokendesk talks to (Slack, Teams, Nmbrs, a customer's
webhook receiver), run over real HTTP on 127.0.0.1 by tests, benchmarks and try mode."""
