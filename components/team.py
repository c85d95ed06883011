"""Team: Okta groups and rules, human roles, namespaces with RBAC, the AppProject, its apps."""

from __future__ import annotations

import pulumi
import pulumi_okta as okta

from components import iam, kubernetes_objects
from components.child_app import ChildApp
from fleet.naming import Names
from fleet.state import TeamState

TYPE = "app-of-apps:index:Team"
OKTA_EXPRESSION = "urn:okta:expression:1.0"


class Team(pulumi.ComponentResource):
    apps: dict[str, ChildApp]
    group_ids: dict[str, pulumi.Output[str]]

    def __init__(self, team: TeamState, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE, Names.logical_team(team.name), None, opts)

        self.group_ids = {}
        for group in team.groups:
            resource = okta.group.Group(
                group.name,
                name=group.name,
                description=group.description,
                opts=pulumi.ResourceOptions(parent=self, protect=group.protect),
            )
            self.group_ids[group.persona] = resource.id
            if group.rule is not None:
                okta.group.Rule(
                    group.name,
                    name=group.rule_name,
                    expression_type=OKTA_EXPRESSION,
                    expression_value=group.rule,
                    group_assignments=[resource.id],
                    status="ACTIVE",
                    opts=pulumi.ResourceOptions(parent=self),  # not under the protected group
                )

        for human in team.human_roles:
            iam.register(
                human.role, self, f"{human.persona} of team {team.name}, assumed by Okta group {human.okta_group}"
            )

        namespaces = {
            manifest.name: kubernetes_objects.register(manifest, pulumi.ResourceOptions(parent=self))
            for manifest in team.namespace_objects
        }
        for manifest in team.namespaced_objects:
            depends = pulumi.ResourceOptions(parent=self, depends_on=[namespaces[manifest.namespace or ""]])
            kubernetes_objects.register(manifest, depends)
        project = kubernetes_objects.register(team.project, pulumi.ResourceOptions(parent=self))

        self.apps = {
            app.name: ChildApp(app, namespaces[app.namespace], project, pulumi.ResourceOptions(parent=self))
            for app in team.apps
        }
        self.register_outputs({"okta_group_ids": self.group_ids, "namespaces": list(namespaces)})
