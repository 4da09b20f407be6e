"""The intake's fixtures (Nmbrs stand-in, real gateway, recording notifier) for the invitation tests."""

from tests.handlers.intake.conftest import RecordingNotifier, gateway, nmbrs, notifier, outbox  # noqa: F401
