"""`python -m grokcore COMMAND ...`: the library's command line.

stale | restamp ...    stale run records, or re-stamp them after proving on a sample that the
                       current code reproduces them bit for bit (grokcore.records)
store list|unpack|verify ...   the shipped run-record stores (grokcore.store)
campaign --scale S ... fill a scale's runs, resumably (grokcore.campaign)
"""

import sys

if len(sys.argv) > 1 and sys.argv[1] in ("store", "campaign"):
    command = sys.argv.pop(1)
    if command == "store":
        from grokcore.store import main
    else:
        from grokcore.campaign import main
else:
    from grokcore.records import main

sys.exit(main())
