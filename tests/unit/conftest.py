"""Unit tests of grokcore (the library)."""

from grokcore.testing import tmp_cache  # noqa: F401  (autouse: a temporary run cache per test)
