"""`python -m grokcore stale|restamp ...`: list stale run records, or re-stamp them after proving
on a sample that the current code reproduces them bit for bit (grokcore.records.main)."""

import sys

from grokcore.records import main

sys.exit(main())
