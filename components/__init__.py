"""Pulumi components for a production Kubernetes platform on AWS.

Import the pieces you need, e.g. `from eksplatform.components.cluster import Cluster`; the stack file is read by
`eksplatform.stack.loading`.
"""
