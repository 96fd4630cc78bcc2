"""Every chapter package's tests (chapters/*/tests) run with these fixtures."""

from grokcore.testing import tmp_cache  # noqa: F401  (autouse: a temporary run cache per test)
