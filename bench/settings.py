"""Settings for the server benchmark: Heliograph's own, plus the bench endpoints' URLs."""

from heliograph.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
