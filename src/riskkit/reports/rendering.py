"""Jinja2 rendering of the report templates in ``riskkit/reports/templates``.

One cached environment serves every report (audit, case, ...): autoescaping is on for every
template, and an undefined variable is an error rather than an empty string, so a report never
silently loses a field.
"""

from __future__ import annotations

from functools import lru_cache

from jinja2 import Environment, PackageLoader, StrictUndefined

__all__ = ["environment", "render"]


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The shared Jinja2 environment of the report templates.

    Returns
    -------
    jinja2.Environment
        Loads from the package folder ``riskkit/reports/templates``; autoescape on.
    """
    return Environment(
        loader=PackageLoader("riskkit", "reports/templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render(template_name: str, /, **context: object) -> str:
    """Render one report template.

    Parameters
    ----------
    template_name : str
        File name in ``riskkit/reports/templates``, e.g. ``"audit.html"``.
    **context
        The template's variables.

    Returns
    -------
    str
        The rendered text.
    """
    return environment().get_template(template_name).render(**context)
