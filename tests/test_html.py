"""The HTML pages' shell (fleet/text/html.py): Jinja2 templates that escape every value, shipped
as package data."""

from __future__ import annotations

import fnmatch
import tomllib

import jinja2
import pytest
from markupsafe import Markup

from fleet.text import html
from tests.conftest import ROOT

HOSTILE = "<script>alert('x')</script> & \"quoted\""
ESCAPED = "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &quot;quoted&quot;"


def test_escape_writes_every_special_character_as_an_entity() -> None:
    assert html.escape(HOSTILE) == ESCAPED
    assert html.escape(None) == "None"
    assert html.escape({"a": "<b>"}) == "{&#x27;a&#x27;: &#x27;&lt;b&gt;&#x27;}"
    assert html.escape(Markup("<b>made by a template</b>")) == "<b>made by a template</b>"


@pytest.mark.parametrize("package", ["fleet.reports", "fleet.status"])
def test_every_value_is_escaped_whichever_way_it_reaches_the_page(package: str) -> None:
    env = html.environment(package)
    assert env.autoescape is True
    assert env.from_string("{{ v }}").render(v=HOSTILE) == ESCAPED
    # filters and string concatenation do not pass through `finalize`: Jinja's autoescape still holds
    joined = env.from_string("{{ [v, v] | join(' ') }}|{{ v ~ '' }}|{{ '%s' | format(v) }}").render(v=HOSTILE)
    assert "<script>" not in joined
    assert joined.count("&lt;script&gt;") == 4
    # a macro's output is markup: put in once, escaped once
    macro = env.from_string("{% macro m(x) %}<i>{{ x }}</i>{% endmacro %}{{ m(v) }}").render(v="<b>")
    assert macro == "<i>&lt;b&gt;</i>"


def test_a_misspelt_name_is_an_error_not_an_empty_string() -> None:
    with pytest.raises(jinja2.UndefinedError):
        html.environment("fleet.reports").from_string("{{ titel }}").render(title="x")


@pytest.mark.parametrize(
    ("package", "template"),
    [("fleet.reports", "access.html.j2"), ("fleet.status", "status.html.j2"), ("fleet.reports", "page.html.j2")],
)
def test_pages_find_their_templates_and_the_shell_through_the_package(package: str, template: str) -> None:
    assert html.environment(package).get_template(template).filename is not None


def test_every_template_is_package_data() -> None:
    """An installed wheel has the templates only if pyproject's package-data names them."""
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    templates = sorted(p for p in (ROOT / "fleet").rglob("templates/*") if p.is_file())
    assert len(templates) >= 6
    for path in templates:
        package = ".".join(path.parent.parent.relative_to(ROOT).parts)
        relative = path.relative_to(path.parent.parent).as_posix()
        assert any(fnmatch.fnmatch(relative, glob) for glob in data.get(package, [])), path
