"""Nmbrs' side for tests, benchmarks and try mode: the SOAP API v3 server (server), its accounts
(accounts) and its envelopes and faults (envelopes)."""
