"""Set-up for every test directory (tests/, examples/consumer/tests/).

Seen on CPython 3.11.7: after a Pulumi program fails on purpose under the mocks (bad-config,
missing-output and bad-state tests do that), a later `ast.parse` in the same process can fail
with "SystemError: AST constructor recursion depth mismatch". pytest parses every module it
imports through its assertion rewriter, and the hypothesis plugin imports hypothesis at the very
end of a session when no test did, so that import is done here, before any program runs.
"""

import hypothesis  # noqa: F401
