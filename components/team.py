"""Team: Okta groups and rules, human roles, namespaces with RBAC, the AppProject, its apps."""

from __future__ import annotations

import pulumi

from components import history
from components.child_app import ChildApp
from components.providers import Reach
from components.register import register, register_role
from fleet.catalog.naming import Names
from fleet.render import resources
from fleet.render.state import TeamState

TYPE = "app-of-apps:index:Team"


class Team(pulumi.ComponentResource):
    apps: dict[str, ChildApp]
    group_ids: dict[str, pulumi.Output[str]]

    def __init__(self, team: TeamState, opts: pulumi.ResourceOptions | None = None, reach: Reach | None = None) -> None:
        super().__init__(TYPE, Names.logical_team(team.name), None, opts)
        planned = resources.team_resources(team)

        self.group_ids = {}
        for (group_spec, rule_spec), group in zip(planned.groups, team.groups, strict=True):
            okta_group = register(group_spec, self)
            self.group_ids[group.persona] = okta_group.id
            if rule_spec is not None:
                register(
                    rule_spec,
                    self,
                    aliases=history.formerly_under(okta_group),
                    groupAssignments=[okta_group.id],
                )

        for human in planned.human_roles:
            register_role(human, self)

        # Each namespace on each cluster it is on (its objects go through that cluster's provider).
        namespaces = {
            (spec.cluster, spec.props["metadata"]["name"]): register(spec, self, reach=reach)
            for spec in planned.namespaces
        }
        for spec in planned.namespaced:
            namespace = namespaces[(spec.cluster, spec.props["metadata"]["namespace"])]
            register(spec, self, depends_on=[namespace], reach=reach)
        # The project waits for its namespaces: when one cannot be created (it already exists,
        # or admission refuses it), the project never names it as a destination.
        project = register(planned.project, self, depends_on=list(namespaces.values()))
        for spec in planned.repo_credentials:
            register(spec, self, depends_on=[project])

        self.apps = {
            app.name: ChildApp(app, namespaces, project, pulumi.ResourceOptions(parent=self), reach)
            for app in team.apps
        }
        self.register_outputs(
            {"okta_group_ids": self.group_ids, "namespaces": list(dict.fromkeys(name for _, name in namespaces))}
        )
