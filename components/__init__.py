"""Pulumi components for a production Kubernetes platform on AWS.

Import the pieces you need, e.g. `from eksplatform.components.cluster import Cluster`. Nothing
here reads the stack file: `eksplatform.stack` maps it onto these components' Args, and its
Region and Platform compose them.
"""
