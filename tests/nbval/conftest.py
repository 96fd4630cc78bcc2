"""nbval compares only the cells tagged nbval-check-output (run with --nbval-lax), and of those
only the plain-text rendering: HTML and the claims JSON repeat the same table."""

import pytest

SKIP = ("text/html", "application/vnd.grokbook.claims+json", "stderr")


def pytest_collection_modifyitems(items):
    for item in items:
        parent = getattr(item, "parent", None)
        if (
            parent is not None
            and hasattr(parent, "skip_compare")
            and SKIP[0] not in parent.skip_compare
        ):
            parent.skip_compare = tuple(parent.skip_compare) + SKIP
            item.add_marker(pytest.mark.notebook)
