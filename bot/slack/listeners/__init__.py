"""Bolt listeners grouped by surface; each module exposes `register(app, ctx)`."""
