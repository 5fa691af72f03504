"""Test set-up for the consumer example.

Seen on CPython 3.11.7: after a Pulumi program fails on purpose under the mocks (the missing-
output test), a later `ast.parse` in the same process can fail with "SystemError: AST
constructor recursion depth mismatch". pytest parses every module it imports through its
assertion rewriter, and the hypothesis plugin imports hypothesis at the very end of a session
when no test did, so that import is done here, before any program runs.
"""

import hypothesis  # noqa: F401
