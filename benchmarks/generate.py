"""Synthetic catalogs of N apps (5 per team), shaped like stacks/dev.yaml: every app has an IAM
role with two statements, every team two namespaces and a members rule."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import yaml

APPS_PER_TEAM = 5


def catalog(apps: int, environment: str = "dev") -> dict[str, Any]:
    teams = []
    for t in range((apps + APPS_PER_TEAM - 1) // APPS_PER_TEAM):
        name = f"team{t:04d}"
        team_apps = []
        for a in range(min(APPS_PER_TEAM, apps - t * APPS_PER_TEAM)):
            app = f"app{a}"
            team_apps.append(
                {
                    "name": app,
                    "namespace": name if a % 2 == 0 else f"{name}-jobs",
                    "source": {
                        "repo": f"https://github.com/acme/{name}-deploy",
                        "path": f"{app}/{environment}",
                        "revision": "main",
                    },
                    "aws": {
                        "statements": [
                            {
                                "actions": ["s3:GetObject", "s3:PutObject"],
                                "resources": [f"arn:aws:s3:::acme-{environment}-{name}-{app}/*"],
                            },
                            {
                                "actions": ["sqs:SendMessage"],
                                "resources": [f"arn:aws:sqs:eu-west-1:111111111111:acme-{environment}-{name}-{app}"],
                            },
                        ]
                    },
                }
            )
        teams.append(
            {
                "name": name,
                "description": f"Team {t}",
                "owners": [f"owner{t}@acme.example"],
                "members": {"developer": f'user.department == "{name}"'},
                "namespaces": [{"name": name}, {"name": f"{name}-jobs", "pod_security": "baseline"}],
                "aws": {
                    "owned_resources": [
                        f"arn:aws:s3:::acme-{environment}-{name}-*",
                        f"arn:aws:sqs:eu-west-1:111111111111:acme-{environment}-{name}-*",
                    ]
                },
                "apps": team_apps,
            }
        )
    return {
        "environment": environment,
        "organization": "acme",
        "cluster": {"name": f"acme-{environment}", "oidc_groups_prefix": "oidc:"},
        "aws": {"account_id": "111111111111", "region": "eu-west-1"},
        "argocd": {"allowed_repos": ["https://github.com/acme/"]},
        "defaults": {"network": {"ingress_from_namespaces": ["ingress-nginx"], "egress_https_cidrs": ["10.0.0.0/16"]}},
        "teams": teams,
    }


def changed_one_app(data: dict[str, Any]) -> dict[str, Any]:
    """The same catalog with one app's policy widened: what `fleet diff` is measured on."""
    changed = yaml.safe_load(yaml.safe_dump(data))
    changed["teams"][0]["apps"][0]["aws"]["statements"][0]["actions"].append("s3:DeleteObject")
    return changed


def write(apps: int, directory: Path) -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    data = catalog(apps)
    base, head = directory / f"apps-{apps}.yaml", directory / f"apps-{apps}-changed.yaml"
    base.write_text(yaml.safe_dump(data, sort_keys=False))
    head.write_text(yaml.safe_dump(changed_one_app(data), sort_keys=False))
    return base, head


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("apps", type=int)
    parser.add_argument("--out", type=Path, default=Path("build/bench"))
    print(*write(parser.parse_args().apps, parser.parse_args().out))
