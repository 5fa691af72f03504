"""The CrossGuard pack: `pulumi up --policy-pack policies` (or `python policies/__main__.py`).

It only constructs the pack, which serves the Analyzer protocol until the CLI stops it; the
rules live in importable modules (policies/rules/) that tests use without starting a server.
"""

import sys
from pathlib import Path

# The pack runs from this folder; the rules import `policies.*` and `components.*`.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from policies.pack import serve

serve()
