"""app-of-apps: one catalog per environment → Okta, IAM, Kubernetes and Argo CD, all derived alike."""

import pulumi

from components import cluster, providers
from components.app_of_apps import AppOfApps
from components.stack import load_catalog

config = pulumi.Config()
catalog, state = load_catalog(config, pulumi.get_stack())
inputs = cluster.read(config, catalog)
explicit = providers.build(config, catalog, inputs)
# One more provider per declared cluster and per other region the environment uses.
reach = providers.reach(config, catalog, inputs, state.placed_clusters(), state.aws_regions())
fleet = AppOfApps("fleet", state, pulumi.ResourceOptions(providers=explicit), reach)
pulumi.export("fleet", fleet.contract)
