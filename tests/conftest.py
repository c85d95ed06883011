from __future__ import annotations

import copy
import os
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
# The shipped catalogs: one file stacks/<env>.yaml, or a folder stacks/<env>/ (platform.yaml, teams/).
STACKS = sorted([*(ROOT / "stacks").glob("*.yaml"), *(p.parent for p in (ROOT / "stacks").glob("*/platform.yaml"))])


def catalog_path(env: str) -> Path:
    """The shipped catalog of an environment: its folder (stacks/<env>/), else its one file."""
    folder = ROOT / "stacks" / env
    return folder if folder.is_dir() else ROOT / "stacks" / f"{env}.yaml"


def shipped(env: str) -> str:
    """The shipped catalog's path as the commands are given it from the repository: stacks/dev or stacks/dev.yaml."""
    return catalog_path(env).relative_to(ROOT).as_posix()


def one_file_text(env: str) -> str:
    """The shipped catalog of an environment as one file (a folder joined, every comment kept)."""
    from fleet.catalog.convert import join
    from fleet.catalog.folder import read_folder

    path = catalog_path(env)
    if not path.is_dir():
        return path.read_text()
    files = read_folder(path)
    teams = {e.path[len("teams/") : -len(".yaml")]: e.text or "" for e in files.entries if e.path.startswith("teams/")}
    return join(files.text("platform.yaml") or "", teams)


# The project's own copy of upstream data (vendor/*/SOURCE.md says where from, which version, licence).
ARGOCD_CRDS = ROOT / "vendor" / "argocd"
ESO_CRDS = ROOT / "vendor" / "external-secrets"

# The end-to-end tier (tests/e2e) needs a Pulumi CLI and a disposable cluster: `make test` never
# collects it; `make e2e` (scripts/e2e.sh) sets APP_OF_APPS_E2E=1 and runs only it.
collect_ignore = [] if os.environ.get("APP_OF_APPS_E2E") == "1" else ["e2e"]

_PLACE = re.compile(r"(\S):[0-9]+:[0-9]+: ")


def unplaced(text: str) -> str:
    """Problem lines without the line and column after the file (`FILE:3:5: path: reason` ->
    `FILE: path: reason`), for tests about the path and the reason; tests/test_errors.py checks
    the places."""
    return _PLACE.sub(r"\1: ", text)


BASE: dict[str, Any] = {
    "environment": "dev",
    "organization": "acme",
    "cluster": {"name": "acme-dev"},
    "aws": {
        "account_id": "111111111111",
        "region": "eu-west-1",
        # payments' bucket does not carry its prefix (acme-dev-payments-…): the platform grants it
        "resource_grants": {"arn:aws:s3:::acme-dev-checkout": "payments"},
    },
    "argocd": {"allowed_repos": ["https://github.com/acme/"]},
    "teams": [
        {
            "name": "payments",
            "owners": ["alice@acme.example"],
            "members": {"developer": 'user.department == "Payments"'},
            "aws": {"owned_resources": ["arn:aws:s3:::acme-dev-checkout"]},
            "apps": [
                {
                    "name": "checkout",
                    "source": {"repo": "https://github.com/acme/checkout-deploy", "path": "overlays/dev"},
                    "aws": {
                        "statements": [{"actions": ["s3:GetObject"], "resources": ["arn:aws:s3:::acme-dev-checkout/*"]}]
                    },
                }
            ],
        },
        {
            "name": "search",
            "owners": ["carol@acme.example"],
            "apps": [
                {"name": "indexer", "source": {"repo": "https://github.com/acme/search-deploy", "path": "indexer"}}
            ],
        },
    ],
}


@pytest.fixture
def base() -> dict[str, Any]:
    return copy.deepcopy(BASE)


@pytest.fixture
def write_catalog(tmp_path: Path):
    def write(data: dict[str, Any] | str, name: str = "catalog.yaml") -> Path:
        path = tmp_path / name
        path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False))
        return path

    return write
