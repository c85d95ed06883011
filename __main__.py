"""app-of-apps: one catalog per environment → Okta, IAM, Kubernetes and Argo CD, all derived alike.

The stack's name says which part it registers (fleet.catalog.naming.stack_scope): `dev` the whole
environment, `dev.platform` its shared objects, `dev.<team>` one team's (fleet.render.partition).
"""

import pulumi

from components import cluster, platform, providers
from components.app_of_apps import AppOfApps
from components.stack import load_catalog, scope_of, stack_part
from fleet.contract.platform_output import OUTPUT, platform_output

config = pulumi.Config()
scope = scope_of(pulumi.get_stack())
catalog, state = load_catalog(config, pulumi.get_stack())
held = stack_part(state, scope)
# A team stack's providers also wait for its check of the platform stack.
inputs = platform.gated(cluster.read(config, catalog), scope, state)
explicit = providers.build(config, catalog, inputs)
# One more provider per declared cluster and per other region the stack's part uses.
reach = providers.reach(config, catalog, inputs, held.placed_clusters(), held.aws_regions())
fleet = AppOfApps("fleet", held, pulumi.ResourceOptions(providers=explicit), reach)
pulumi.export("fleet", fleet.contract)
if scope.holds_platform():
    pulumi.export(OUTPUT, platform_output(state))
