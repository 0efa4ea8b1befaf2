"""Settings for the load benchmark only: the production settings, plus a bare view to
compare with (benchmarks/urls.py) and no calculator rate limit for the one address the
load comes from. Never used by the test suite or a deployment."""

from huzhu.settings import *  # noqa: F403

ROOT_URLCONF = "benchmarks.urls"
# The generator is one address: the API's per-address limit would answer 429.
HUZHU_CALCULATOR_API_RATE = 1_000_000_000
