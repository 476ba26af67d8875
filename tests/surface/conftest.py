from tests.concurrency.server import live_install

__all__ = ["live_install"]
