"""YAML text the components register (rule files, scrape configs): one dumper for all of them.

libyaml's emitter when PyYAML was built with it (its wheels are): the pure-Python one was a tenth
of a prod synth (benchmarks/README.md, "Test suite"). Both write the same text for the documents
here (checked when this was introduced, and tests/baseline compares every registered input).
"""

from typing import Any

import yaml

_SAFE_DUMPER: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def yaml_text(data: Any) -> str:
    """`data` as a YAML document, keys in the order given (a safe dump: plain types only)."""
    return yaml.dump(data, Dumper=_SAFE_DUMPER, sort_keys=False)
