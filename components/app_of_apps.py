"""AppOfApps: the parent of the whole fleet; its `contract` is the stack output teams read."""

from __future__ import annotations

from typing import Any

import pulumi

from components.providers import Reach
from components.register import register
from components.team import Team
from fleet.contract import fleet_output as contract
from fleet.render import resources
from fleet.render.state import FleetState

TYPE = "app-of-apps:index:AppOfApps"


class AppOfApps(pulumi.ComponentResource):
    contract: pulumi.Output[dict[str, Any]]

    def __init__(
        self, name: str, state: FleetState, opts: pulumi.ResourceOptions | None = None, reach: Reach | None = None
    ) -> None:
        super().__init__(TYPE, name, None, opts)
        # The admission policy, then its binding, on each cluster; the teams depend on them all.
        guards: list[pulumi.Resource] = []
        on_cluster: dict[str | None, list[pulumi.Resource]] = {}
        for spec in resources.cluster_resources(state):
            before = on_cluster.setdefault(spec.cluster, [])
            guard = register(spec, self, depends_on=list(before), reach=reach)
            before.append(guard)
            guards.append(guard)
        if (rbac := resources.argocd_rbac(state)) is not None:
            register(rbac, self)  # Argo CD's own RBAC: deny by default, platform roles, SSO scopes
        # The environment's clusters, as Argo CD reaches them; the Applications name their servers.
        secrets = [register(spec, self) for spec in resources.cluster_secrets(state)]
        teams = {
            team.name: Team(team, pulumi.ResourceOptions(parent=self, depends_on=[*guards, *secrets]), reach)
            for team in state.teams
        }
        # The read-only access of `fleet status`: cluster-level, so it belongs to no team.
        for spec in resources.reader_resources(state):
            register(spec, self, reach=reach)

        keys = [(t, a) for t, team in teams.items() for a, app in team.apps.items() if app.role_arn is not None]
        arns = [teams[t].apps[a].role_arn for t, a in keys]
        base = contract.fleet_output(state)
        self.contract = pulumi.Output.all(*arns).apply(
            lambda values: contract.with_role_arns(base, dict(zip(keys, values, strict=True)))
        )
        self.register_outputs({"fleet": self.contract})
