"""The package as a user gets it.

Declared: every third-party import of fleet/ is a declared dependency (the optional ones in the
extra that needs them, imported only where it is needed), and every declared range admits the
version the suite pins.

Installed: the wheel, built here, goes into a fresh virtualenv in a temporary folder outside the
checkout with only its declared dependencies (at the pinned versions), and every offline command
runs from another folder on copies of the shipped catalogs. Each one's output is compared with
the checkout's own code run on the same files, and checked for what it must say. `status` then
fails cleanly twice: without its extra, and with it but without a cluster.
"""

from __future__ import annotations

import ast
import difflib
import importlib.metadata
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tomllib
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

import fleet
from fleet.catalog.naming import esc_preview_environment
from fleet.cli.main import run
from fleet.cli.parser import COMMAND
from tests.conftest import ROOT, STACKS, one_file_text


def _data(catalog: Path) -> dict[str, Any]:
    """A shipped catalog (a folder or one file) as one file's data."""
    return yaml.safe_load(one_file_text(catalog.stem))


PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
# The only modules that may import an extra's packages: everything else runs on the core alone.
EXTRA_MODULES = {"status": {"fleet.io.cluster"}, "pulumi": {"fleet.io.platform_stack", "fleet.io.automation"}}


def _pins(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text().splitlines():
        name, sep, version = line.split("#", 1)[0].strip().partition("==")
        if sep:
            out[canonicalize_name(name)] = version
    return out


# --- declared = imported ------------------------------------------------------------------------


def _third_party_imports() -> dict[str, set[str]]:
    """distribution -> the fleet modules that import it (any import, at any depth)."""
    distributions = importlib.metadata.packages_distributions()
    out: dict[str, set[str]] = {}
    for path in sorted((ROOT / "fleet").rglob("*.py")):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top == "fleet" or top in sys.stdlib_module_names:
                    continue
                assert top in distributions, f"{module} imports {top}, which no installed distribution provides"
                for dist in distributions[top]:
                    out.setdefault(canonicalize_name(dist), set()).add(module)
    return out


def _declared() -> dict[str | None, list[Requirement]]:
    """extra (None: the core) -> its requirements."""
    out: dict[str | None, list[Requirement]] = {None: [Requirement(r) for r in PYPROJECT["dependencies"]]}
    for extra, requirements in PYPROJECT["optional-dependencies"].items():
        out[extra] = [Requirement(r) for r in requirements]
    return out


def test_every_third_party_import_of_fleet_is_declared_and_nothing_else() -> None:
    imported = set(_third_party_imports())
    declared = {canonicalize_name(r.name) for requirements in _declared().values() for r in requirements}
    assert imported == declared, (
        f"imported, not declared: {imported - declared}; declared, not imported: {declared - imported}"
    )
    assert imported >= {"pydantic", "pyyaml", "orjson", "casbin", "policy-sentry", "kubernetes", "pulumi"}


def test_an_extra_is_imported_only_by_the_modules_that_need_it() -> None:
    imported = _third_party_imports()
    for extra, requirements in _declared().items():
        if extra is None:
            continue
        assert extra in EXTRA_MODULES, f"extra {extra!r}: say which modules need it (EXTRA_MODULES)"
        for requirement in requirements:
            importers = imported[canonicalize_name(requirement.name)]
            assert importers <= EXTRA_MODULES[extra], f"{requirement.name} (extra {extra}) imported by {importers}"


def test_every_declared_range_admits_the_pinned_version() -> None:
    pins = _pins(ROOT / "constraints.txt")
    runtime = _pins(ROOT / "requirements.txt")
    for requirements in _declared().values():
        for requirement in requirements:
            name = canonicalize_name(requirement.name)
            assert name in pins, f"{requirement.name} is not pinned in constraints.txt"
            assert runtime.get(name, pins[name]) == pins[name], f"{name}: requirements.txt and constraints.txt differ"
            assert requirement.specifier.contains(pins[name]), f"{requirement} does not admit the pinned {pins[name]}"
            assert requirement.specifier, f"{requirement.name}: give a compatible range, not any version"


# --- the wheel, installed outside the checkout ----------------------------------------------------


@dataclass(frozen=True)
class Installed:
    wheel: Path
    venv: Path  # the wheel and its declared dependencies
    venv_status: Path  # the same with the `status` extra
    work: Path  # where the commands run: copies of the shipped catalogs, not the checkout
    env: dict[str, str]

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    def run(
        self, *args: str | Path, cwd: Path | None = None, module: bool = False, status_extra: bool = False
    ) -> subprocess.CompletedProcess[str]:
        bin_dir = (self.venv_status if status_extra else self.venv) / "bin"
        command = [str(bin_dir / "python"), "-m", "fleet"] if module else [str(bin_dir / COMMAND)]
        return subprocess.run(
            [*command, *map(str, args)],
            cwd=cwd or self.work,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )


def _outside_the_checkout(path: Path) -> Path:
    assert not path.resolve().is_relative_to(ROOT.resolve()), path
    return path


def _pip(*args: str) -> list[str]:
    return [sys.executable, "-m", "pip", *args, "--quiet", "--disable-pip-version-check"]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    base = _outside_the_checkout(tmp_path_factory.mktemp("installed"))
    # Built from a copy of what the wheel is made of, so that the build writes nothing into the
    # checkout (setuptools keeps its build/ and egg-info beside the sources).
    source = base / "source"
    source.mkdir()
    shutil.copy(ROOT / "pyproject.toml", source)
    shutil.copytree(ROOT / "fleet", source / "fleet", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    wheel_dir = base / "dist"
    built = subprocess.run(
        _pip("wheel", "--no-deps", "--no-build-isolation", "--wheel-dir", str(wheel_dir), str(source)),
        capture_output=True,
        text=True,
        check=False,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = wheel_dir.glob("*.whl")
    # Two fresh virtualenvs, installed at the same time (pip mostly waits for the index): the
    # wheel with its declared dependencies, and the wheel with the `status` extra. The pinned
    # versions (constraints.txt); nothing byte-compiled ahead (a run compiles what it imports).
    venvs = {"": base / "venv", "[status]": base / "venv-status"}
    installs = []
    for extra, venv in venvs.items():
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
        install = _pip("--python", str(venv / "bin" / "python"), "install", "--no-compile")
        install += ["-c", str(ROOT / "constraints.txt"), f"{wheel}{extra}"]
        installs.append(subprocess.Popen(install, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    for process in installs:
        output, _ = process.communicate(timeout=900)
        assert process.returncode == 0, output
    work = base / "work"
    work.mkdir()
    for catalog in STACKS:  # a folder (stacks/<env>/) or one file
        if catalog.is_dir():
            shutil.copytree(catalog, work / catalog.name)
        else:
            shutil.copy(catalog, work)
    home = base / "home"  # no ~/.kube/config, no user cache: only what the commands make
    home.mkdir()
    env = {
        "PATH": os.environ.get("PATH", os.defpath),
        "HOME": str(home),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "LANG": "C.UTF-8",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    return Installed(wheel, venvs[""], venvs["[status]"], work, env)


def _checkout(
    args: Sequence[str | Path], cwd: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> tuple[int, str, str]:
    """The same command, run by the checkout's own code in this process."""
    monkeypatch.chdir(cwd)
    capsys.readouterr()
    code = run([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def _same(
    installed: Installed,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    *args: str | Path,
    cwd: Path | None = None,
    code: int = 0,
) -> subprocess.CompletedProcess[str]:
    """Run by the installed command and by the checkout: the same exit code and output."""
    cwd = cwd or installed.work
    done = installed.run(*args, cwd=cwd)
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == code, done.stdout[-2000:] + done.stderr[-2000:]
    here = _checkout(args, cwd, capsys, monkeypatch)
    assert here == (done.returncode, done.stdout, done.stderr)
    return done


def _same_files(
    installed: Installed,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    args: Callable[[Path], Sequence[str | Path]],
    cwd: Path | None = None,
) -> tuple[subprocess.CompletedProcess[str], Path]:
    """A command that writes files, given the folder to write them in: run by the installed
    command into one folder and by the checkout into another, with the same exit code, output
    (but for the folder's name) and files, byte for byte. The installed run and its folder."""
    cwd = cwd or installed.work
    mine, theirs = installed.work / name / "installed", installed.work / name / "checkout"
    mine.mkdir(parents=True)
    theirs.mkdir(parents=True)
    done = installed.run(*args(mine), cwd=cwd)
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    code, out, err = _checkout(args(theirs), cwd, capsys, monkeypatch)
    assert (code, out, err) == (0, *(text.replace(str(mine), str(theirs)) for text in (done.stdout, done.stderr)))
    assert _tree(mine)
    assert _tree(mine) == _tree(theirs)
    return done, mine


def _plain(markdown: str) -> str:
    """Markdown without its backslash escapes, to look for a name in it."""
    return markdown.replace("\\", "")


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_the_wheel_holds_the_command_the_data_and_the_declared_dependencies(installed: Installed) -> None:
    with zipfile.ZipFile(installed.wheel) as wheel:
        names = set(wheel.namelist())
        info = next(n for n in names if n.endswith(".dist-info/METADATA")).rsplit("/", 1)[0]
        metadata = wheel.read(f"{info}/METADATA").decode()
        entry_points = wheel.read(f"{info}/entry_points.txt").decode()
    # Every file of fleet/ (modules and data: the vendored Argo CD RBAC model, the catalog schema).
    shipped = {p for p in (ROOT / "fleet").rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    assert {p.relative_to(ROOT).as_posix() for p in shipped} <= names
    assert {"fleet/apis/data/argocd-rbac/model.conf", "fleet/apis/data/argocd-rbac/builtin-policy.csv"} <= names
    assert f"{COMMAND} = fleet.cli.console:main" in entry_points
    assert f"Version: {fleet.__version__}" in metadata.splitlines()
    requires = {
        line.removeprefix("Requires-Dist: ") for line in metadata.splitlines() if line.startswith("Requires-Dist:")
    }
    expected = {str(r) for r in _declared()[None]}
    expected |= {f'{r}; extra == "{extra}"' for extra, rs in _declared().items() if extra for r in rs}
    assert {str(Requirement(r)) for r in requires} == {str(Requirement(r)) for r in expected}
    # Nothing of the checkout's other folders.
    assert {n.split("/")[0] for n in names} == {"fleet", info}


def test_it_runs_the_installed_code_with_the_core_dependencies_only(installed: Installed) -> None:
    probe = (
        "import importlib.metadata as m, importlib.util as u, fleet; "
        "print(fleet.__file__); print(m.version('app-of-apps')); "
        "print(*[n for n in ('kubernetes', 'pulumi', 'urllib3') if u.find_spec(n)])"
    )
    done = subprocess.run(
        [str(installed.python), "-c", probe], cwd=installed.work, env=installed.env, capture_output=True, text=True
    )
    where, version, extras = done.stdout.splitlines()
    assert Path(where).is_relative_to(installed.venv), where
    assert version == fleet.__version__
    # urllib3 comes with policy-sentry's requests; the Kubernetes client and Pulumi are extras.
    assert extras.split() == ["urllib3"]


def test_version(installed: Installed) -> None:
    for module in (False, True):
        done = installed.run("--version", module=module)
        assert (done.returncode, done.stdout, done.stderr) == (0, f"{COMMAND} {fleet.__version__}\n", "")


def test_validate(installed: Installed, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    for catalog in STACKS:
        done = _same(installed, capsys, monkeypatch, "validate", catalog.name)
        assert re.fullmatch(
            rf"{catalog.name}: valid: \d+ teams, \d+ apps, \d+ namespaces, \d+ IAM roles\n", done.stdout
        )
    broken = installed.work / "broken.yaml"
    data = _data(STACKS[0])
    data["teams"][0]["owners"] = ["not-an-address"]
    data["aws"]["account_id"] = "12"
    broken.write_text(yaml.safe_dump(data))
    done = _same(installed, capsys, monkeypatch, "validate", broken.name, code=1)
    assert re.search(r"^broken\.yaml:[0-9]+:[0-9]+: teams\[0\]\.owners\[0\]: ", done.stderr, re.MULTILINE)
    assert re.search(r"^broken\.yaml:[0-9]+:[0-9]+: aws\.account_id: ", done.stderr, re.MULTILINE)


def test_python_dash_m_fleet_keeps_working(installed: Installed) -> None:
    catalog = STACKS[0].name
    assert installed.run("validate", catalog, module=True).stdout == installed.run("validate", catalog).stdout
    usage = installed.run(module=True)
    assert usage.returncode == 2
    assert usage.stderr.startswith("usage: python -m fleet ")
    assert installed.run().stderr.startswith(f"usage: {COMMAND} ")


def test_plan(installed: Installed, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    for catalog in STACKS:
        environment = _data(catalog)["environment"]
        done, written = _same_files(
            installed,
            capsys,
            monkeypatch,
            f"plan-{catalog.stem}",
            lambda out, catalog=catalog: ["plan", catalog.name, "--out", out],
        )
        tree = _tree(written)
        assert done.stdout.endswith(f"wrote {len(tree)} files to {written}\n")
        assert done.stdout.startswith(f"{_data(catalog)['organization']}/{environment}: ")
        assert {"access.md", "access.json", "access.html"} <= set(tree), sorted(tree)
        assert any(name.startswith("kubernetes/") for name in tree)
    # '{environment}' in --out is the catalog's environment.
    done = installed.run("plan", STACKS[0].name, "--out", "plans/{environment}")
    assert done.returncode == 0, done.stderr
    assert (installed.work / "plans" / _data(STACKS[0])["environment"] / "access.md").is_file()


def test_access(installed: Installed, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    catalog = STACKS[0].name
    organization = _data(STACKS[0])["organization"]
    markdown = _same(installed, capsys, monkeypatch, "access", catalog).stdout
    assert markdown.startswith("# Access: ")
    as_json = json.loads(_same(installed, capsys, monkeypatch, "access", catalog, "--format", "json").stdout)
    assert as_json["organization"] == organization
    assert as_json["groups"]
    assert all(group["okta_group"].startswith(f"{organization}-") for group in as_json["groups"])
    page = _same(installed, capsys, monkeypatch, "access", catalog, "--format", "html").stdout
    assert page.lstrip().lower().startswith("<!doctype html>")
    # Argo CD's policy, evaluated with the vendored model the wheel carries as package data.
    assert "applications get" in markdown


def test_guardrails(installed: Installed, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    table = _same(installed, capsys, monkeypatch, "guardrails").stdout
    assert table.startswith("| rule id | checks | where | anchor |\n")
    assert "| `iam-no-wildcard-action` |" in table


def test_explain_and_completion(
    installed: Installed, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rules' examples are package data: the installed wheel explains every rule as the checkout does."""
    shown = _same(installed, capsys, monkeypatch, "explain", "iam-no-wildcard-action").stdout
    assert "'s3:*' grants every action of the service" in shown
    listed = _same(installed, capsys, monkeypatch, "explain", "--list").stdout
    assert "pipeline-regular-files" in listed
    assert "_shtab_app_of_apps" in _same(installed, capsys, monkeypatch, "completion", "bash").stdout


def test_diff(installed: Installed, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    base, head = STACKS[0].name, STACKS[-1].name
    markdown = _same(installed, capsys, monkeypatch, "diff", base, head).stdout
    assert "| layer | added | changed | removed |" in markdown
    as_json = json.loads(_same(installed, capsys, monkeypatch, "diff", base, head, "--format", "json").stdout)
    assert {"layers", "warnings"} <= set(as_json)
    if as_json["warnings"]:
        _same(installed, capsys, monkeypatch, "diff", base, head, "--fail-on", "warnings", code=1)
    same = _same(installed, capsys, monkeypatch, "diff", base, base).stdout
    assert same.endswith("No changes to Okta, AWS, Kubernetes or Argo CD, and no change of access.\n")


# --- a small Git repository: audit, diff against a revision, the pipeline ------------------------


def _git(repo: Path, env: dict[str, str], *args: str, date: str = "2026-03-02T10:00:00+00:00") -> str:
    who = {"GIT_AUTHOR_NAME": "Alice", "GIT_AUTHOR_EMAIL": "alice@acme.example"}
    who |= {"GIT_COMMITTER_NAME": "Merger", "GIT_COMMITTER_EMAIL": "merger@acme.example"}
    who |= {"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    done = subprocess.run(["git", *args], cwd=repo, env={**env, **who}, capture_output=True, text=True, check=True)
    return done.stdout.strip()


@pytest.fixture(scope="module")
def repo(installed: Installed) -> dict[str, str | Path]:
    """The project's layout: Pulumi.<stack>.yaml naming its catalog under stacks/. Two commits: the
    shipped catalogs, then a pull request that gives an auditors' group read access."""
    root = _outside_the_checkout(installed.work / "repo")
    (root / "stacks").mkdir(parents=True)
    _git(root, installed.env, "init", "-q", "-b", "main")
    for catalog in STACKS:  # a folder (stacks/<env>/) or one file
        if catalog.is_dir():
            shutil.copytree(catalog, root / "stacks" / catalog.name)
        else:
            shutil.copy(catalog, root / "stacks")
        shutil.copy(ROOT / f"Pulumi.{catalog.stem}.yaml", root)
    _git(root, installed.env, "add", "-A")
    _git(root, installed.env, "commit", "-q", "-m", "The fleet as shipped (#1)", date="2026-03-01T10:00:00+00:00")
    base = _git(root, installed.env, "rev-parse", "HEAD")
    shipped = root / "stacks" / STACKS[0].name
    platform = yaml.safe_load((shipped / "platform.yaml").read_text()) if shipped.is_dir() else None
    data = platform or yaml.safe_load(shipped.read_text())
    if shipped.is_dir():  # the last team's own file
        changed = sorted((shipped / "teams").glob("*.yaml"))[-1]
        team = yaml.safe_load(changed.read_text())
        team.setdefault("members", {})["viewer"] = 'user.department == "Audit"'
        changed.write_text(yaml.safe_dump(team, sort_keys=False))
    else:
        team = data["teams"][-1]
        team.setdefault("members", {})["viewer"] = 'user.department == "Audit"'
        shipped.write_text(yaml.safe_dump(data, sort_keys=False))
    _git(root, installed.env, "commit", "-q", "-am", f"Let auditors read {team['name']} (#7)")
    head = _git(root, installed.env, "rev-parse", "HEAD")
    group = f"{data['organization']}-{data['environment']}-{team['name']}-viewer"
    return {"root": root, "base": base, "head": head, "catalog": f"stacks/{STACKS[0].name}", "group": group}


RULE = 'members: everyone matching user.department == "Audit"'


def test_audit(
    installed: Installed,
    repo: dict[str, str | Path],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root, catalog = Path(repo["root"]), str(repo["catalog"])
    log = _plain(_same(installed, capsys, monkeypatch, "audit", catalog, cwd=root).stdout)
    assert log.startswith(f"# Access audit: `{catalog}`")
    assert "| 2026-03-02 10:00 | `" in log
    assert "| #7 | Alice | not read (give the pull request's reviews" in log  # approvers: the review records only
    assert RULE in log
    as_json = json.loads(_same(installed, capsys, monkeypatch, "audit", catalog, "--format", "json", cwd=root).stdout)
    assert str(repo["head"]) in json.dumps(as_json)
    as_of = _same(
        installed, capsys, monkeypatch, "audit", catalog, "--as-of", "2026-03-01", "--format", "csv", cwd=root
    )
    assert str(repo["base"])[:12] in as_of.stdout
    assert "Audit" not in as_of.stdout  # the auditors came a day later
    assert "Payments" in as_of.stdout
    done = installed.run("audit", catalog, "--since", "2026-03-09", "--until", "2026-03-01", cwd=root)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.startswith("error: --since 2026-03-09 is after --until 2026-03-01")


def test_diff_against_a_revision(
    installed: Installed,
    repo: dict[str, str | Path],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root, catalog = Path(repo["root"]), str(repo["catalog"])
    out = _same(installed, capsys, monkeypatch, "diff", f"git:{repo['base']}:{catalog}", catalog, cwd=root).stdout
    assert f"**{repo['group']}: +1 / -0**\n\n- + {RULE}\n" in _plain(out)


def test_promote(installed: Installed, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    shipped = STACKS[-1]
    target = Path(f"{shipped.stem}.yaml")  # promoted as one file (a folder joined, every comment kept)
    text = one_file_text(shipped.stem)
    data = yaml.safe_load(text)
    team, app = next((t, a) for t in data["teams"] for a in t.get("apps", []) if a.get("source", {}).get("revision"))
    old = app["source"]["revision"]
    selection, new = f"{team['name']}/{app['name']}", f"{old}-next"
    for who in ("installed", "checkout"):
        (installed.work / who).mkdir(exist_ok=True)
        (installed.work / who / target.name).write_text(text)
    args = ["promote", selection, "--revision", new, "--to"]
    dry = installed.run(*args, f"installed/{target.name}", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert (installed.work / "installed" / target.name).read_text() == text
    done = installed.run(*args, f"installed/{target.name}")
    assert done.returncode == 0, done.stderr
    assert f"promoted {selection}: {old} -> {new}" in done.stderr
    # its Application on each cluster of the environment changes (prod declares two)
    applications = len([c for c in data.get("clusters") or [{}]])
    assert f"| Argo CD | 0 | {applications} | 0 |" in done.stdout
    code, out, err = _checkout([*args, f"checkout/{target.name}"], installed.work, capsys, monkeypatch)
    assert (code, out.replace("checkout/", "installed/"), err.replace("checkout/", "installed/")) == (
        0,
        done.stdout,
        done.stderr,
    )
    after = (installed.work / "installed" / target.name).read_text()
    assert after == (installed.work / "checkout" / target.name).read_text()
    changed = [line for line in difflib.ndiff(text.splitlines(), after.splitlines()) if line[:1] in "+-"]
    (removed,) = [line[2:] for line in changed if line.startswith("- ")]  # one line out, one line in
    (added,) = [line[2:] for line in changed if line.startswith("+ ")]
    assert f"revision: {old}" in removed
    assert added == removed.replace(old, new)
    again = installed.run(*args, f"installed/{target.name}")
    assert again.returncode == 3
    assert "nothing to promote" in again.stderr


def test_pipeline_steps(
    installed: Installed,
    repo: dict[str, str | Path],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root, base, head = Path(repo["root"]), str(repo["base"]), str(repo["head"])
    stacks = sorted(p.stem for p in STACKS)
    listed = _same(installed, capsys, monkeypatch, "pipeline", "stacks", "--repo", root, cwd=root)
    assert listed.stdout.split() == stacks
    review, written = _same_files(
        installed,
        capsys,
        monkeypatch,
        "review",
        lambda out: [
            *("pipeline", "review", "--repo", root, "--base", base, "--head", head),
            *(f"--out={out / 'review.md'}", f"--github-output={out / 'outputs.txt'}"),
        ],
        cwd=root,
    )
    assert review.stdout == "review: catalogs only; stacks changed: dev.search; 0 warning(s); invalid: none\n"
    comment = (written / "review.md").read_text()
    assert comment.startswith("<!-- app-of-apps-review -->\n## app-of-apps review")
    assert f"**{repo['group']}: +1 / -0**\n\n- + {RULE}\n" in _plain(comment)
    outputs = dict(line.split("=", 1) for line in (written / "outputs.txt").read_text().splitlines())
    assert list(outputs)[:5] == ["catalog_only", "warnings", "invalid", "stacks", "removed"]
    assert (outputs["catalog_only"], outputs["warnings"], outputs["invalid"]) == ("true", "0", "[]")
    assert (outputs["stacks"], outputs["removed"], outputs["any"]) == ('["dev.search"]', "[]", "true")
    assert json.loads(outputs["matrix"]) == {
        "include": [{"name": "dev.search", "environment": "dev", "stacks": "dev.search"}]
    }

    overlay, overlaid = _same_files(
        installed,
        capsys,
        monkeypatch,
        "overlay",
        lambda out: ["pipeline", "overlay", "--repo", root, "--head", head, "--into", out],
    )
    files = [f for s in STACKS for f in (sorted(s.rglob("*.yaml")) if s.is_dir() else [s])]
    assert overlay.stdout.startswith(f"overlay: {len(files)} catalog(s) from {head[:12]}:")
    assert _tree(overlaid / "stacks") == _tree(root / "stacks")
    for stack in stacks:
        _, written = _same_files(
            installed,
            capsys,
            monkeypatch,
            f"preview-config-{stack}",
            lambda out, stack=stack: ["pipeline", "preview-config", stack, "--out", out / "Pulumi.yaml"],
            cwd=root,
        )
        preview = yaml.safe_load((written / "Pulumi.yaml").read_text())
        deployed = yaml.safe_load((root / f"Pulumi.{stack}.yaml").read_text())
        assert preview["config"] == deployed["config"]
        assert preview["environment"] == [esc_preview_environment(stack)] != deployed["environment"]

    role = _same(installed, capsys, monkeypatch, "pipeline", "preview-role", *[p.name for p in STACKS]).stdout
    documents = list(yaml.safe_load_all(role))
    assert "ClusterRole" in [document["kind"] for document in documents]
    verbs = {verb for document in documents for rule in document.get("rules", []) for verb in rule["verbs"]}
    assert verbs == {"get", "list", "watch"}

    logs = installed.work / "logs"
    logs.mkdir()
    (logs / f"{stacks[0]}.log").write_text("Previewing update:\nResources: 3 unchanged\n")
    (logs / f"{stacks[0]}.outcome").write_text("no error\n")
    (logs / f"{stacks[-1]}.log").write_text("error: 1 resource changed outside Pulumi\n")
    (logs / f"{stacks[-1]}.outcome").write_text("failure\n")
    run_url = "https://ci.example/runs/1"
    _, written = _same_files(
        installed,
        capsys,
        monkeypatch,
        "preview-comment",
        lambda out: [
            *("pipeline", "preview-comment", logs, "--mode", "catalog", "--run-url", run_url),
            *("--github-output", out / "outputs.txt"),
        ],
    )
    (line,) = (written / "outputs.txt").read_text().splitlines()
    comment = json.loads(line.removeprefix("comment="))
    assert comment.startswith("<!-- app-of-apps-preview -->\n## pulumi preview")
    assert f"<summary><code>{stacks[-1]}</code>: <code>failure</code></summary>" in comment
    assert "changed outside Pulumi" in comment
    drift, written = _same_files(
        installed,
        capsys,
        monkeypatch,
        "drift-issues",
        lambda out: ["pipeline", "drift-issues", logs, "--run-url", run_url, "--github-output", out / "outputs.txt"],
    )
    assert drift.stdout == f"drift: {stacks[-1]}\n"
    (line,) = (written / "outputs.txt").read_text().splitlines()
    issues = json.loads(line.removeprefix("issues="))
    assert set(issues) == {stacks[-1]}
    assert "changed outside Pulumi" in issues[stacks[-1]]


# --- status: without its extra, and with it but without a cluster ------------------------------


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_status_without_its_extra_then_without_a_cluster(installed: Installed) -> None:
    catalog = STACKS[0].name
    hint = "pip install 'app-of-apps[status]'"
    without = installed.run("status", catalog)
    assert (without.returncode, without.stdout) == (2, "")
    assert without.stderr.startswith("error: reading a cluster needs the Kubernetes client"), without.stderr
    assert hint in without.stderr
    source = _data(STACKS[0])
    team = source["teams"][0]
    selection = f"{team['name']}/{team['apps'][0]['name']}"
    promote = installed.run("promote", selection, "--from", catalog, "--to", STACKS[-1].name, "--require-healthy")
    assert (promote.returncode, promote.stdout) == (2, "")
    assert hint in promote.stderr

    missing = installed.run("status", catalog, status_extra=True)
    assert (missing.returncode, missing.stdout) == (2, "")
    home, environment = installed.env["HOME"], source["environment"]
    assert missing.stderr == (
        f"error: environment {environment}: kubeconfig {home}/.kube/config does not exist "
        "(give --kubeconfig or set KUBECONFIG)\n"
    )
    kubeconfig = installed.work / "kubeconfig"
    server = f"https://127.0.0.1:{_closed_port()}"
    kubeconfig.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "nowhere", "cluster": {"server": server, "insecure-skip-tls-verify": True}}],
                "users": [{"name": "nobody", "user": {"token": "not-a-token"}}],
                "contexts": [{"name": "nowhere", "context": {"cluster": "nowhere", "user": "nobody"}}],
                "current-context": "nowhere",
            }
        )
    )
    args = ["status", catalog, "--kubeconfig", kubeconfig, "--context", "nowhere"]
    unreachable = installed.run(*args, status_extra=True)
    assert (unreachable.returncode, unreachable.stdout) == (2, ""), unreachable.stderr
    assert unreachable.stderr.startswith(
        f"error: environment {environment} (context nowhere, {server}): cannot reach the API server"
    ), unreachable.stderr
    healthy = installed.run(
        "promote",
        selection,
        "--from",
        catalog,
        "--to",
        STACKS[-1].name,
        "--require-healthy",
        "--kubeconfig",
        kubeconfig,
        "--context",
        "nowhere",
        status_extra=True,
    )
    assert (healthy.returncode, healthy.stdout) == (2, "")
    assert healthy.stderr.startswith("error: --require-healthy: environment"), healthy.stderr
    for done in (without, promote, missing, unreachable, healthy):
        assert "Traceback" not in done.stderr
