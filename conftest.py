"""Set-up for every test directory (tests/, examples/consumer/tests/).

Seen on CPython 3.11.7: after a Pulumi program fails on purpose under the mocks (bad-config,
missing-output and bad-state tests do that), a later `ast.parse` in the same process can fail
with "SystemError: AST constructor recursion depth mismatch". pytest parses every module it
imports through its assertion rewriter, and the hypothesis plugin imports hypothesis at the very
end of a session when no test did, so that import is done here, before any program runs.

Garbage collection: a full collection walks every object the process holds, and a test process
holds the SDKs' modules (pulumi_aws is most of them) for its whole life; at CPython's default
thresholds full collections were a fifth of the suite's CPU (benchmarks/README.md, "Test suite").
So the start-up and collection (imports: long-lived objects, next to no garbage) run with the
oldest generation walked rarely, and what exists once every test is collected is frozen
(`gc.freeze`: left out of every later collection; it lives until the process ends anyway).
Nothing is left uncollected that a test makes: the thresholds are CPython's again for the tests.
"""

import gc

import hypothesis  # noqa: F401
import pytest

THRESHOLDS = gc.get_threshold()
gc.set_threshold(THRESHOLDS[0], THRESHOLDS[1], max(THRESHOLDS[2], 1000))


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    gc.set_threshold(*THRESHOLDS)
    gc.collect()
    gc.freeze()
