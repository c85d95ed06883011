"""The `fleet` stack output, version 1: what other teams' stacks read through StackReference.

Changing its shape means a version 2 beside version 1, never a silent change.
"""

from __future__ import annotations

import copy
from typing import Any

from fleet.state import FleetState

VERSION = 1


def fleet_output(state: FleetState) -> dict[str, Any]:
    """The contract with the role ARNs the offline render computes (the real ones are equal)."""
    teams: dict[str, Any] = {}
    for team in state.teams:
        teams[team.name] = {
            "namespaces": list(team.namespaces),
            "argocd_project": team.project.name,
            "okta_groups": {group.persona: group.name for group in team.groups},
            "apps": {
                app.name: {
                    "namespace": app.namespace,
                    "service_account": app.service_account.name,
                    "argocd_application": app.application.name,
                    "role_arn": app.role.arn if app.role is not None else None,
                }
                for app in team.apps
            },
        }
    return {
        "version": VERSION,
        "environment": state.environment,
        "organization": state.organization,
        "cluster": {"name": state.cluster_name, "server": state.cluster_server},
        "teams": teams,
    }


def with_role_arns(output: dict[str, Any], arns: dict[tuple[str, str], str]) -> dict[str, Any]:
    """The contract with role ARNs as the provider reported them."""
    result = copy.deepcopy(output)
    for (team, app), arn in arns.items():
        result["teams"][team]["apps"][app]["role_arn"] = arn
    return result
