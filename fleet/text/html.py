"""The HTML pages' shared shell: Jinja2 templates that escape every value.

A page is a template in its package's `templates/` folder that extends `page.html.j2` (this
package's `templates/`: the head with its Content-Security-Policy, the stylesheet `page.css`,
the title) and uses `filters.html.j2` (the filter bar and its script). Templates ship as package
data and are read through the package (Jinja2's PackageLoader, importlib underneath), so an
installed wheel renders what a checkout does.

Autoescape is on: every `{{ value }}` is escaped unless it is markup a template made itself (a
macro's or an include's output). Nothing else may build HTML from strings.
"""

from __future__ import annotations

import functools
import html
from typing import Any

import markupsafe
from jinja2 import ChoiceLoader, Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

TEMPLATES = "templates"  # the folder of a package that holds its pages' templates


def escape(value: Any) -> Markup:
    """A value as HTML text: `& < > " '` as entities (html.escape's, which the pages have always
    used: `&quot;` and `&#x27;` where MarkupSafe would write `&#34;` and `&#39;`). Markup passes."""
    if hasattr(value, "__html__"):
        return markupsafe.escape(value)  # markup already: kept as it is
    return Markup(html.escape(str(value), quote=True))  # noqa: S704 -- escaped right here


@functools.cache
def environment(package: str) -> Environment:
    """The templates of `package` (its `templates/`), then the shell's."""
    return Environment(
        loader=ChoiceLoader([PackageLoader(package, TEMPLATES), PackageLoader(__package__ or "fleet.text", TEMPLATES)]),
        autoescape=True,
        finalize=escape,  # every {{ value }} goes through it before Jinja's own escape (a no-op on Markup)
        undefined=StrictUndefined,  # a misspelt name is an error, not an empty string
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )


def render(package: str, template: str, **context: Any) -> str:
    """One page: `package`'s template with `context`, every value escaped."""
    return environment(package).get_template(template).render(**context)
