"""GlobalRole: a data store's part in a cross-region replica set (an Aurora Global Database, an
ElastiCache Global Datastore). One enum for both, so the provider schema has one type."""

from enum import StrEnum


class GlobalRole(StrEnum):
    """Which member of a cross-region replica set this one is."""

    PRIMARY = "primary"
    """It writes and creates the cross-region set."""
    SECONDARY = "secondary"
    """A read-only copy in another region that joins the primary's set."""
