"""The Nmbrs stand-in's own tests use the same emptied-per-test stand-in as the gateway tests."""

from tests.bot.nmbrs.conftest import nmbrs  # noqa: F401 - fixtures are found by name
