"""The public components: what other Pulumi programs build on, in one list.

Read by CI's wheel check (.ci/wheel.sh imports each from the installed wheel), by the tests, and
meant for every place that enumerates the public API (docs, the component provider's schema).
Kept as names, not imports, so that `import eksplatform` stays light; `load()` imports them.
The other `platform:index:` components (AlertTopics, ClusterAutoscaler, VpcPeering, ...) are
parts of these and may change without notice.
"""

from __future__ import annotations

import importlib
from typing import Any

PUBLIC_COMPONENTS: tuple[tuple[str, str], ...] = (
    ("Vpc", "eksplatform.components.vpc"),
    ("Cluster", "eksplatform.components.cluster"),
    ("ManagedPostgres", "eksplatform.components.postgres"),
    ("RedisCluster", "eksplatform.components.redis"),
    ("LanguageServicePool", "eksplatform.components.language_services"),
    ("Region", "eksplatform.components.region"),
    ("Platform", "eksplatform.components.platform"),
    ("PublicIngress", "eksplatform.components.ingress"),
    ("Observability", "eksplatform.components.observability"),
    ("ImageRegistry", "eksplatform.components.registry"),
    ("GlobalDns", "eksplatform.components.dns"),
)
"""(class name, module) of every public component; its type token is `platform:index:<name>`."""


def load() -> dict[str, Any]:
    """Every public component class by name, imported from its module."""
    return {name: getattr(importlib.import_module(module), name) for name, module in PUBLIC_COMPONENTS}
