"""Offline preview of a stack: run it under Pulumi's mocks and report what it would create."""
