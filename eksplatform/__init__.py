"""eksplatform: Pulumi components for a production Kubernetes platform on AWS, with the stack
layer that builds them from a stack file, an offline preflight, a cost estimate, a capacity check,
the CrossGuard policy rules and the operations runbooks.

In a checkout, `components/` and `policies/` (the layout Pulumi projects and packs expect) are
linked into this folder as `eksplatform.components` and `eksplatform.policies`; the wheel maps
them with `package-dir` (pyproject.toml, docs/packaging.md).
"""
