"""The `fleet` stack output, version 1: what other teams' stacks read through StackReference.

The models below are the contract; `schemas/fleet-output.v1.json` is generated from them and a
test keeps the two equal. Changing the shape means a version 2 beside version 1, never a
silent change: readers refuse a version they do not know.
"""

from __future__ import annotations

import copy
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from fleet.render.state import FleetState

VERSION = 1
SCHEMA_ID = "https://app-of-apps.io/schemas/fleet-output.v1.json"


class ContractError(Exception):
    """The platform stack's output is missing, of another version, or lacks a team or app."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class AppOutput(_Frozen):
    namespace: str
    service_account: str
    argocd_application: str
    role_arn: str | None  # null: the app has no aws block


class TeamOutput(_Frozen):
    namespaces: list[str]
    argocd_project: str
    okta_groups: dict[str, str]  # persona -> Okta group name
    apps: dict[str, AppOutput]


class ClusterOutput(_Frozen):
    name: str
    server: str


class FleetOutput(_Frozen):
    version: Literal[1]
    environment: str
    organization: str
    cluster: ClusterOutput
    teams: dict[str, TeamOutput]

    def team(self, name: str) -> TeamOutput:
        if name not in self.teams:
            raise ContractError(
                f"team {name!r} is not in the {self.organization}/{self.environment} platform stack; "
                f"its teams are: {', '.join(sorted(self.teams)) or 'none'}"
            )
        return self.teams[name]

    def app(self, team: str, app: str) -> AppOutput:
        apps = self.team(team).apps
        if app not in apps:
            raise ContractError(
                f"app {app!r} is not in team {team!r} of the {self.organization}/{self.environment} platform stack; "
                f"its apps are: {', '.join(sorted(apps)) or 'none'}"
            )
        return apps[app]


def json_schema() -> dict[str, Any]:
    schema = FleetOutput.model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID, **schema}


def _restore_nulls(data: dict[str, Any]) -> dict[str, Any]:
    """The Python SDK drops null members of nested objects when it deserializes a stack
    output, so `role_arn: null` arrives as a missing key; put the null back."""
    teams = data.get("teams")
    if not isinstance(teams, dict):
        return data
    restored = copy.deepcopy(data)
    for team in restored["teams"].values():
        for app in (team.get("apps") or {}).values() if isinstance(team, dict) else ():
            if isinstance(app, dict):
                app.setdefault("role_arn", None)
    return restored


def parse(data: Any, source: str) -> FleetOutput:
    """A platform stack's `fleet` output as the version-1 model, or a ContractError saying why."""
    if data is None:
        raise ContractError(f"stack {source} has no 'fleet' output; is it an app-of-apps platform stack?")
    if not isinstance(data, dict):
        raise ContractError(f"stack {source}: the 'fleet' output is a {type(data).__name__}, not an object")
    version = data.get("version")
    if version != VERSION:
        # Numbers cross the engine as floats: show 2.0 as 2.
        shown = int(version) if isinstance(version, float) and version.is_integer() else repr(version)
        raise ContractError(
            f"stack {source} exports fleet output version {shown}; this reader understands "
            f"version {VERSION}: upgrade app-of-apps in this stack, or read the version-{VERSION} output the platform keeps beside it"
        )
    try:
        return FleetOutput.model_validate(_restore_nulls(data))
    except ValidationError as err:
        first = err.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ContractError(
            f"stack {source}: the 'fleet' output breaks the version-1 contract at {where}: {first['msg']}"
        ) from None


def fleet_output(state: FleetState) -> FleetOutput:
    """The contract with the role ARNs the offline render computes (the real ones are equal)."""
    return FleetOutput(
        version=VERSION,
        environment=state.environment,
        organization=state.organization,
        cluster=ClusterOutput(name=state.cluster_name, server=state.cluster_server),
        teams={
            team.name: TeamOutput(
                namespaces=list(team.namespaces),
                argocd_project=team.project.name,
                okta_groups={group.persona: group.name for group in team.groups},
                apps={
                    app.name: AppOutput(
                        namespace=app.namespace,
                        service_account=app.service_account.name,
                        # Contract v1 names one Application: the app's first cluster's (its
                        # only one unless the environment declares several clusters).
                        argocd_application=app.applications[0].name if app.applications else "",
                        role_arn=app.role.arn if app.role is not None else None,
                    )
                    for app in team.apps
                },
            )
            for team in state.teams
        },
    )


def with_role_arns(output: FleetOutput, arns: dict[tuple[str, str], str]) -> dict[str, Any]:
    """The contract as the stack exports it, with role ARNs as the provider reported them."""
    result = output.model_dump()
    for (team, app), arn in arns.items():
        result["teams"][team]["apps"][app]["role_arn"] = arn
    return result


def merge(outputs: list[dict[str, Any]]) -> dict[str, Any]:
    """The environment's whole contract from its stacks' `fleet` outputs (the platform stack's,
    with no teams, and each team stack's, with its own team): the shape the single stack exports.
    ContractError when they are of different environments or a team is in two of them."""
    if not outputs:
        raise ContractError("no stack outputs to merge")
    first = outputs[0]
    teams: dict[str, Any] = {}
    for output in outputs:
        for field in ("version", "environment", "organization", "cluster"):
            if output.get(field) != first.get(field):
                raise ContractError(f"the stacks disagree on {field}: {first.get(field)!r} and {output.get(field)!r}")
        for name, team in (output.get("teams") or {}).items():
            if name in teams:
                raise ContractError(f"team {name!r} is exported by two stacks")
            teams[name] = team
    return {**first, "teams": dict(sorted(teams.items()))}
