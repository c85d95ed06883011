"""ChildApp: one app's workload identity, ServiceAccount and Argo CD Application."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from components import iam, kubernetes_objects
from fleet.naming import IRSA_ANNOTATION, Names
from fleet.state import AppState

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
        here = pulumi.ResourceOptions(parent=self)
        in_namespace = pulumi.ResourceOptions(parent=self, depends_on=[namespace])

        role = None
        if app.role is not None:
            role = iam.register(
                app.role, self, f"Workload role of {app.team}/{app.name} ({app.namespace}/{app.service_account.name})"
            )
        self.role_arn = role.arn if role is not None else None

        overrides = {}
        if app.irsa and role is not None:
            metadata = dict(app.service_account.obj["metadata"])
            metadata["annotations"] = {**metadata.get("annotations", {}), IRSA_ANNOTATION: role.arn}
            overrides["metadata"] = metadata
        kubernetes_objects.register(app.service_account, in_namespace, **overrides)

        if app.pod_identity is not None and role is not None:
            aws.eks.PodIdentityAssociation(
                Names.logical_pod_identity(app.pod_identity.namespace, app.pod_identity.service_account),
                cluster_name=app.pod_identity.cluster_name,
                namespace=app.pod_identity.namespace,
                service_account=app.pod_identity.service_account,
                role_arn=role.arn,
                tags=app.role.tags if app.role else None,
                opts=here,
            )

        kubernetes_objects.register(
            app.application, pulumi.ResourceOptions(parent=self, depends_on=[project, namespace])
        )
        self.register_outputs(
            {"role_arn": self.role_arn, "namespace": app.namespace, "service_account": app.service_account.name}
        )
