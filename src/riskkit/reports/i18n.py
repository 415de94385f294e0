"""Message catalogues of the reports, one JSON file per domain and language.

A catalogue is ``riskkit/reports/messages/<domain>.<language>.json``: a flat JSON object from
message key to text. Texts may hold ``str.format`` fields (``"{n}"``); every language of a domain
has the same keys and the same fields (the tests check it). To add a domain (e.g. ``case``), add
its three files; nothing here needs to change.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Final

from riskkit.errors import RiskkitError

__all__ = ["SUPPORTED_LANGUAGES", "domains", "messages"]

SUPPORTED_LANGUAGES: Final = ("es", "pt", "en")
_NAME: Final = re.compile(r"^[a-z][a-z0-9_]*$")


def _folder() -> Traversable:
    return files("riskkit.reports").joinpath("messages")


def domains() -> tuple[str, ...]:
    """The message domains available (e.g. ``("audit", "case")``), sorted.

    Returns
    -------
    tuple of str
    """
    found = set()
    for entry in _folder().iterdir():
        parts = entry.name.split(".")
        if len(parts) == 3 and parts[2] == "json" and _NAME.match(parts[0]):
            found.add(parts[0])
    return tuple(sorted(found))


@lru_cache(maxsize=64)
def _load(domain: str, language: str) -> dict[str, str]:
    resource = _folder().joinpath(f"{domain}.{language}.json")
    if not resource.is_file():
        raise RiskkitError(
            f"unknown message domain {domain!r}; the domains are {', '.join(domains())}."
        )
    try:
        data = json.loads(resource.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise RiskkitError(
            f"message catalogue {domain}.{language}.json is not valid JSON: {exc}. Fix the file "
            "in riskkit/reports/messages/."
        ) from exc
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in data.items()
    ):
        raise RiskkitError(
            f"message catalogue {domain}.{language}.json must be a JSON object from key to text."
        )
    return data


def messages(domain: str, language: str) -> dict[str, str]:
    """The messages of one report domain in one language.

    Parameters
    ----------
    domain : str
        Catalogue name, e.g. ``"audit"`` or ``"case"``.
    language : {"es", "pt", "en"}
        Language of the texts.

    Returns
    -------
    dict of str to str
        Message key to text; a fresh copy the caller may change.

    Raises
    ------
    RiskkitError
        When the language or the domain is unknown.
    """
    if language not in SUPPORTED_LANGUAGES:
        raise RiskkitError(
            f"unknown report language {language!r}; the supported languages are "
            f"{', '.join(SUPPORTED_LANGUAGES)}."
        )
    if not _NAME.match(domain):
        raise RiskkitError(
            f"invalid message domain {domain!r}; the domains are {', '.join(domains())}."
        )
    return dict(_load(domain, language))
