"""The CrossGuard pack: `pulumi up --policy-pack policies` (the CLI runs this folder with
`python -m pulumi.policy`), or `pulumi policy publish` from this folder.

It only constructs the pack, which serves the Analyzer protocol until the CLI stops it. The rules
are the `policies` package (and `components`, `cost`) of this repository's distribution,
`platform-components`: the project's requirements.txt installs it into the virtualenv the pack
runs with (`-e .`, PulumiPolicy.yaml's `../.venv`), and requirements.txt here names it for a
published pack. Nothing edits sys.path.
"""

from policies.pack import serve

serve()
