"""The component provider plugin: serves the public components to every Pulumi language.

The Pulumi CLI runs this file with the Python language host when a program runs
`pulumi package add <repository>.git/provider` (docs/other-languages.md). The repository's own
`__main__.py` is the platform's Pulumi program, hence this separate folder.
"""

import sys
from pathlib import Path

# The plugin runs from a clone of the repository: import `eksplatform` from its root.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from eksplatform.plugin import main

if __name__ == "__main__":
    main()
