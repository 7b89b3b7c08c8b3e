"""Settings for bench/pages.py: the production settings, static files collected into a
temporary STATIC_ROOT (the bench runs collectstatic there, as a deployment would)."""

import os

from commonground.settings import *  # noqa: F403

STATIC_ROOT = os.environ["BENCH_STATIC_ROOT"]
