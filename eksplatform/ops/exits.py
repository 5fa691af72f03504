"""The ops CLI's exit codes, one meaning each, and the errors that lead to them."""

from __future__ import annotations

from enum import IntEnum


class Exit(IntEnum):
    OK = 0
    """Everything checked, every target met."""
    TARGET_MISSED = 1
    """The runbook finished, and a target is missed: audit drift, a drill over the RTO or RPO,
    a failover slower than its target."""
    BAD_INPUT = 2
    """Bad arguments or stack outputs that lack what the runbook needs; nothing was changed."""
    AWS_ERROR = 3
    """AWS refused or could not be reached: no credentials, a missing permission or resource; an
    audit that could not read every resource."""
    REFUSED = 4
    """A safety check refused to act (failover lag above the RPO, target already the writer);
    nothing was changed."""
    FAILED = 5
    """The runbook acted and did not end as it should: a copy or a writer not available in time,
    a restored copy with the wrong settings or a wrong answer, a drill copy left behind."""
    QUERY_NOT_RUN = 6
    """restore-drill: the copy was restored and checked, but its SELECT 1 could not run from
    here (no network route to the copy, or no PostgreSQL driver)."""
    UNEXPECTED = 7
    """An error the runbook has no answer for: a local failure (a file, a socket) or a bug; the
    message names it. Never 1, which would read as "target missed"."""


HELP = """exit status (one meaning each):
  0  ok: everything checked, every target met
  1  target missed: audit drift, drill over the RTO or RPO, failover over its 120 s target
  2  bad input: arguments, or stack outputs that lack a needed key; nothing changed
  3  AWS error: no credentials, a missing permission or resource (AWS's message is shown);
     audit: some resources could not be read
  4  refused by a safety check (failover); nothing changed
  5  failed: the runbook acted and did not end as it should (see its message)
  6  restore-drill only: restored and checked, but the SELECT 1 could not run from here
  7  unexpected error: a local failure or a bug (its message, and a bug's traceback)"""


class InputError(ValueError):
    """Bad input; the message names the argument or output key (exit 2)."""


class RefusedError(RuntimeError):
    """A safety check will not let the runbook act; the message says why and how to override (exit 4)."""


class FailedError(RuntimeError):
    """The runbook acted and did not end as it should; the message says what happened (exit 5)."""
