"""The bootstrap program: where deployments run (a Pulumi project of its own, once per account).

A VPC, a CodeBuild project that serves as the GitHub Actions self-hosted runner of this
repository inside it, the runner's IAM role, and optional AWS Client VPN access for
administrators. Its outputs are what every platform stack's `platform:deployer` holds
(docs/deploying.md).
"""
