from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
STACKS = sorted((ROOT / "stacks").glob("*.yaml"))
# The project's own copy of upstream data (vendor/*/SOURCE.md says where from, which version, licence).
ARGOCD_CRDS = ROOT / "vendor" / "argocd"
ESO_CRDS = ROOT / "vendor" / "external-secrets"

# The end-to-end tier (tests/e2e) needs a Pulumi CLI and a disposable cluster: `make test` never
# collects it; `make e2e` (scripts/e2e.sh) sets APP_OF_APPS_E2E=1 and runs only it.
collect_ignore = [] if os.environ.get("APP_OF_APPS_E2E") == "1" else ["e2e"]

BASE: dict[str, Any] = {
    "environment": "dev",
    "organization": "acme",
    "cluster": {"name": "acme-dev"},
    "aws": {"account_id": "111111111111", "region": "eu-west-1"},
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
