"""app-of-apps: one catalog per environment → Okta, IAM, Kubernetes and Argo CD, all derived alike."""

import pulumi

from components import cluster, providers
from components.app_of_apps import AppOfApps
from components.stack import load_catalog

config = pulumi.Config()
catalog, state = load_catalog(config, pulumi.get_stack())
explicit = providers.build(config, catalog, cluster.read(config, catalog))
fleet = AppOfApps("fleet", state, pulumi.ResourceOptions(providers=explicit))
pulumi.export("fleet", fleet.contract)
