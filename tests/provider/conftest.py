"""The component host every construct test calls: one per session, since building it runs the
analyzer over every served component (about 0.65 s)."""

import pytest
from pulumi.provider.experimental.component import ComponentProvider

from eksplatform.plugin import PACKAGE_NAME, served_components


@pytest.fixture(scope="session")
def provider() -> ComponentProvider:
    return ComponentProvider(served_components(), PACKAGE_NAME)
