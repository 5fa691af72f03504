"""The CrossGuard pack: `pulumi up --policy-pack policies` (the CLI runs this folder with
`python -m pulumi.policy`), or, staged by `python -m eksplatform.policies.publish`, `pulumi policy publish`.

It only constructs the pack, which serves the Analyzer protocol until the CLI stops it. The rules
are the `policies` package (and `components`, `capacity`, `cost`): in a checkout the project's
requirements.txt installs them into the virtualenv the pack runs with (`-e .`, PulumiPolicy.yaml's
`../.venv`); a published pack is staged by `python -m eksplatform.policies.publish <folder>`, which copies them
next to this file (the runtime runs the folder first on the import path). Nothing edits sys.path.
"""

from eksplatform.policies.pack import serve

serve()
