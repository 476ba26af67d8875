"""Fixtures of the guard tests, shared with the notification tests."""

from tests.notifications.test_webhooks import hooks

__all__ = ["hooks"]
