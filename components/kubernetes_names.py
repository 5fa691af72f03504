"""Kubernetes name and label syntax, as the API server validates it.

Sources: Kubernetes docs "Object Names and IDs" (RFC 1123 label names: at most 63 characters,
lowercase alphanumerics or '-', starting and ending with an alphanumeric; namespaces, Services and
containers are such labels) and "Labels and Selectors" (a label key is an optional DNS-subdomain
prefix of at most 253 characters and '/', then a name of at most 63 characters of alphanumerics,
'-', '_' and '.', starting and ending with an alphanumeric; a value is empty or such a name).
Each function returns why a value is refused, or None; the caller names the field.
"""

import re

_DNS_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$")
_LABEL_NAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$")


def dns_label_problem(value: str) -> str | None:
    """Why `value` is not an RFC 1123 label (a namespace's or a Service's name), or None."""
    if _DNS_LABEL.fullmatch(value):
        return None
    return (
        f"{value!r} is not a DNS label (at most 63 lowercase letters, digits and '-', starting and ending alphanumeric)"
    )


def label_key_problem(key: str) -> str | None:
    """Why `key` is not a label key (`[prefix/]name`), or None."""
    prefix, _, name = key.rpartition("/")
    if "/" in key and not _DNS_SUBDOMAIN.fullmatch(prefix):
        return f"label key {key!r}: its prefix must be a DNS subdomain"
    if not _LABEL_NAME.fullmatch(name):
        return (
            f"label key {key!r}: the name part is at most 63 letters, digits, '-', '_', '.', alphanumeric at both ends"
        )
    return None


def label_value_problem(value: str) -> str | None:
    """Why `value` is not a label value (empty, or like a key's name part), or None."""
    if value == "" or _LABEL_NAME.fullmatch(value):
        return None
    return f"label value {value!r}: at most 63 letters, digits, '-', '_', '.', alphanumeric at both ends"


def labels_problem(labels: dict[str, str]) -> str | None:
    """The first problem among a label map's keys and values, or None."""
    for key, value in labels.items():
        problem = label_key_problem(key) or label_value_problem(value)
        if problem:
            return problem
    return None
