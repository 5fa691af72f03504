"""Pulumi components for a production Kubernetes platform on AWS.

Import the pieces you need, e.g. `from eksplatform.components.config import load_stack_file`.
"""
