"""Set-up for every test directory (tests/, examples/consumer/tests/).

Seen on CPython 3.11.7: after a Pulumi program fails on purpose under the mocks (bad-config,
missing-output and bad-state tests do that), a later `ast.parse` in the same process can fail
with "SystemError: AST constructor recursion depth mismatch". pytest parses every module it
imports through its assertion rewriter, and the hypothesis plugin imports hypothesis at the very
end of a session when no test did, so that import is done here, before any program runs.
"""

import gc

import hypothesis  # noqa: F401

# Fewer full garbage collections. A synth under the mocks allocates hundreds of thousands of
# short-lived tasks and futures; with CPython's default thresholds (700, 10, 10) they set off a
# full collection again and again, and each one walks every object of the imported SDKs
# (pulumi_aws alone is most of them): half of a prod synth's CPU time (4.4 s -> 2.0 s measured,
# benchmarks/README.md "Test suite"). The young generations are still collected as often as
# before, so cycles that die young are freed as soon as they were; only the oldest generation is
# walked a hundred times less often. Nothing a test asserts depends on when a collection runs.
gc.set_threshold(700, 10, 1000)
