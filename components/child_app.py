"""ChildApp: one app's workload identity, ServiceAccount and Argo CD Application."""

from __future__ import annotations

import pulumi

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
        namespace: pulumi.Resource,
        project: pulumi.Resource,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(TYPE, Names.logical_app(app.team, app.name), None, opts)
        planned = resources.app_resources(app)

        role_resources = register_role(planned.role, self) if planned.role else []
        role = role_resources[0] if role_resources else None
        self.role_arn = role.arn if role is not None else None

        service_account = planned.service_account
        wired = {}
        if app.irsa and role is not None:
            metadata = service_account.props["metadata"]
            wired["metadata"] = {**metadata, "annotations": {**metadata["annotations"], IRSA_ANNOTATION: role.arn}}
        identity: list[pulumi.Resource] = [register(service_account, self, depends_on=[namespace], **wired)]
        identity += role_resources
        if planned.pod_identity is not None and role is not None:
            identity.append(register(planned.pod_identity, self, roleArn=role.arn))

        # Pods get their credentials when they start: the Application syncs only once the
        # ServiceAccount, the role with its policies and the association exist.
        for application in planned.applications:
            register(application, self, depends_on=[project, namespace, *identity])
        self.register_outputs(
            {"role_arn": self.role_arn, "namespace": app.namespace, "service_account": app.service_account.name}
        )
