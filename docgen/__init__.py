"""The generated parts of docs/: written from the code and the stacks, checked by tests/docgen/.

`python -m docgen` rewrites every generated block; a test fails when a committed copy is stale, so
a change in one place (say, prod's node types in Pulumi.prod.yaml) shows in every page that
follows from it.
"""
