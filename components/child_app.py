"""ChildApp: one app's workload identity, ServiceAccount and Argo CD Application (one of each
per cluster it is placed on)."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi

from components.providers import Reach
from components.register import register, register_role
from fleet.catalog.naming import IRSA_ANNOTATION, Names
from fleet.render import resources
from fleet.render.state import AppState

TYPE = "app-of-apps:index:ChildApp"


class ChildApp(pulumi.ComponentResource):
    role_arn: pulumi.Output[str] | None

    def __init__(
        self,
        app: AppState,
        namespaces: Mapping[tuple[str | None, str], pulumi.Resource],
        project: pulumi.Resource,
        opts: pulumi.ResourceOptions | None = None,
        reach: Reach | None = None,
    ) -> None:
        super().__init__(TYPE, Names.logical_app(app.team, app.name), None, opts)
        planned = resources.app_resources(app)

        role_resources = register_role(planned.role, self) if planned.role else []
        role = role_resources[0] if role_resources else None
        self.role_arn = role.arn if role is not None else None

        identity: list[pulumi.Resource] = []
        placed: list[pulumi.Resource] = []
        for service_account in planned.service_accounts:
            wired = {}
            if app.irsa and role is not None:
                metadata = service_account.props["metadata"]
                wired["metadata"] = {**metadata, "annotations": {**metadata["annotations"], IRSA_ANNOTATION: role.arn}}
            namespace = namespaces[(service_account.cluster, app.namespace)]
            placed.append(namespace)
            identity.append(register(service_account, self, depends_on=[namespace], reach=reach, **wired))
        identity += role_resources
        if role is not None:
            for association in planned.pod_identities:
                identity.append(register(association, self, reach=reach, roleArn=role.arn))

        # Pods get their credentials when they start: the Application syncs only once the
        # ServiceAccount, the role with its policies and the association exist.
        for application in planned.applications:
            register(application, self, depends_on=[project, *placed, *identity])
        self.register_outputs(
            {"role_arn": self.role_arn, "namespace": app.namespace, "service_account": app.service_account.name}
        )
