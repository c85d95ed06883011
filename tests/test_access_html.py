"""The HTML access report, loaded in a real headless Chromium (Debian's package, installed by
.ci/run), with its filters applied from the URL; and self-contained, with nothing fetched."""

from __future__ import annotations

import copy
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from fleet.catalog.models import Catalog
from fleet.compiler import load_state
from fleet.render.layers import render
from fleet.reports import access, access_html, graph
from tests.conftest import BASE, catalog_path

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium or google-chrome on PATH (.ci/run installs Debian's chromium)"
)
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    _, state = load_state(catalog_path("prod"))
    path = tmp_path_factory.mktemp("html") / "access.html"
    path.write_text(access_html.page(state, access.matrix(state), graph.mermaid(state)), encoding="utf-8")
    return path


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    profile = tmp_path / "profile"
    return subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_page_is_self_contained(page: Path) -> None:
    text = page.read_text()
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=", text)
    assert "@import" not in text
    assert "url(" not in text
    assert "default-src 'none'" in text  # and the browser is told so


def test_matrix_has_every_group_and_namespace(page: Path) -> None:
    text = page.read_text()
    assert text.count('<tr data-team="') == 16  # 4 teams x 4 personas
    # prod declares its clusters: a column is a namespace on one cluster, never the bare name
    # (which is no place there: a column of it would only ever show no access).
    for namespace in ("payments", "payments-jobs", "search", "identity", "analytics"):
        assert f"<th>{namespace}</th>" not in text
        for cluster in ("eu-west", "eu-central"):
            assert f"<th>{cluster}/{namespace}</th>" in text
    assert 'class="cell admin"' in text
    assert 'class="cell view"' in text


def _long_named(environment: str) -> Catalog:
    """The catalog with a team whose name is as long as names go, on every cluster."""
    catalog = load_state(catalog_path(environment))[0]
    data = catalog.model_dump(mode="json", exclude_none=True, by_alias=True)
    team = copy.deepcopy(data["teams"][0])
    team["name"] = "platform-observability-tooling"
    data["teams"].append(team)
    return Catalog.model_validate(data)


@pytest.mark.parametrize("environment", ["dev", "prod"])
def test_every_label_of_the_fleet_diagram_fits_its_box_and_no_box_overlaps_the_next_column(environment: str) -> None:
    state = render(_long_named(environment))
    shape = access_html.diagram(state)
    assert any("platform-observability-tooling" in box.text for box in shape.boxes)
    for box in shape.boxes:
        assert access_html._text_width(box.text) <= box.width, box
        assert box.x + box.width <= shape.width, box
    columns = sorted({box.x for box in shape.boxes})
    for box in shape.boxes:
        later = [x for x in columns if x > box.x]
        assert not later or box.x + box.width < later[0], box


def test_a_one_cluster_environment_s_columns_are_its_namespaces() -> None:
    _, state = load_state(catalog_path("dev"))
    text = access_html.page(state, access.matrix(state), graph.mermaid(state))
    headers = re.findall(r"<th>([a-z0-9/-]+)</th>", text)
    for team in state.teams:
        for namespace in team.namespaces:
            assert namespace in headers
    assert not [h for h in headers if "/" in h]


@needs_chromium
def test_chromium_renders_the_matrix_and_applies_filters(page: Path, tmp_path: Path) -> None:
    result = chromium(tmp_path, "--dump-dom", f"{page.as_uri()}#team=payments&persona=viewer")
    assert result.returncode == 0, result.stderr[-2000:]
    dom = result.stdout
    rows = re.findall(r'<tr data-team="([^"]+)" data-persona="([^"]+)"( class="hidden")?', dom)
    assert len(rows) == 16
    visible = [(team, persona) for team, persona, hidden in rows if not hidden]
    assert visible == [("payments", "viewer")]  # the script ran and filtered
    assert '<span id="shown">1</span>' in dom
    assert "<svg" in dom
    assert "team analytics (4 groups)" in dom


@needs_chromium
def test_chromium_takes_a_screenshot(page: Path, tmp_path: Path) -> None:
    shot = tmp_path / "access.png"
    result = chromium(tmp_path, "--window-size=1400,1150", f"--screenshot={shot}", f"{page.as_uri()}#team=payments")
    assert result.returncode == 0, result.stderr[-2000:]
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(data) > 50_000  # a page with content, not a blank one


def test_level_is_the_strongest_access() -> None:
    assert access_html.level({}, False) == "none"
    assert access_html.level({"pods": ["get", "list"]}, False) == "view"
    assert access_html.level({"pods": ["get"]}, True) == "edit"
    assert access_html.level({"configmaps": ["create"]}, False) == "edit"
    assert access_html.level({"secrets": ["get"]}, False) == "admin"
    assert access_html.level({"pods/exec": ["create"]}, False) == "admin"


def test_hostile_strings_stay_text(tmp_path: Path) -> None:
    """A membership rule or a Mermaid label is anyone's text: it never becomes markup."""
    data = copy.deepcopy(BASE)
    data["teams"][0]["members"]["developer"] = 'user.x == "</code></th><script>alert(1)</script>" && 1 < 2'
    state = render(Catalog.model_validate(data))
    text = access_html.page(state, access.matrix(state), 'graph TD\n  a["</pre><script>alert(2)</script>"]')
    assert text.count("<script>") == 1  # the page's own filter script
    assert text.count("</pre>") == 1
    assert "&lt;/code&gt;&lt;/th&gt;&lt;script&gt;alert(1)&lt;/script&gt;&quot; &amp;&amp; 1 &lt; 2</code>" in text
    assert "&lt;/pre&gt;&lt;script&gt;alert(2)&lt;/script&gt;" in text
