"""The public components: the ones other programs build on their own (docs/other-languages.md).

One list, read by the component provider host (eksplatform/plugin.py), its schema test and the
wheel test. The rest of components/ (node groups' helpers, add-ons, peering) is wiring that
these components build for themselves.
"""

import pulumi

from eksplatform.components.alert_topics import AlertTopics
from eksplatform.components.cluster import Cluster
from eksplatform.components.dns import GlobalDns
from eksplatform.components.ingress import PublicIngress
from eksplatform.components.language_services import LanguageServicePool
from eksplatform.components.observability import Observability
from eksplatform.components.postgres import ManagedPostgres
from eksplatform.components.redis import RedisCluster
from eksplatform.components.registry import ImageRegistry
from eksplatform.components.vpc import Vpc
from eksplatform.stack.platform import Platform
from eksplatform.stack.region import Region

PUBLIC_COMPONENTS: tuple[type[pulumi.ComponentResource], ...] = (
    Vpc,
    Cluster,
    ManagedPostgres,
    RedisCluster,
    LanguageServicePool,
    Region,
    Platform,
    PublicIngress,
    Observability,
    AlertTopics,
    ImageRegistry,
    GlobalDns,
)
