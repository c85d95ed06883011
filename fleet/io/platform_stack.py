"""The reader that app teams' Pulumi stacks use to read the platform: typed, versioned, clear.

    platform = PlatformStack("acme/app-of-apps/prod")
    checkout = platform.app("payments", "checkout")
    checkout.role_arn        # Output[str]
    checkout.namespace       # Output[str]

The one module of `fleet/` that imports Pulumi: it is the consumer side of the contract and
needs nothing else of the program (only `fleet.contract.fleet_output`, which is plain data).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from fleet.contract.fleet_output import AppOutput, ContractError, FleetOutput, TeamOutput, parse


@dataclass(frozen=True)
class AppRef:
    """One app of the platform, each field an Output that fails with a clear message."""

    stack: str
    team: str
    name: str
    output: pulumi.Output[AppOutput]

    @property
    def namespace(self) -> pulumi.Output[str]:
        return self.output.apply(lambda app: app.namespace)

    @property
    def service_account(self) -> pulumi.Output[str]:
        return self.output.apply(lambda app: app.service_account)

    @property
    def argocd_application(self) -> pulumi.Output[str]:
        return self.output.apply(lambda app: app.argocd_application)

    @property
    def has_role(self) -> pulumi.Output[bool]:
        return self.output.apply(lambda app: app.role_arn is not None)

    @property
    def role_arn(self) -> pulumi.Output[str]:
        """The app's IAM role ARN; fails when the platform catalog gives the app no aws block."""

        def require(app: AppOutput) -> str:
            if app.role_arn is None:
                raise ContractError(
                    f"app {self.team}/{self.name} has no IAM role in {self.stack}: "
                    "give it an aws block in the platform catalog first"
                )
            return app.role_arn

        return self.output.apply(require)


@dataclass(frozen=True)
class TeamRef:
    stack: str
    name: str
    output: pulumi.Output[TeamOutput]

    @property
    def namespaces(self) -> pulumi.Output[list[str]]:
        return self.output.apply(lambda team: list(team.namespaces))

    @property
    def argocd_project(self) -> pulumi.Output[str]:
        return self.output.apply(lambda team: team.argocd_project)

    def okta_group(self, persona: str) -> pulumi.Output[str]:
        def find(team: TeamOutput) -> str:
            if persona not in team.okta_groups:
                known = ", ".join(sorted(team.okta_groups))
                raise ContractError(f"team {self.name} in {self.stack} has no persona {persona!r}; personas: {known}")
            return team.okta_groups[persona]

        return self.output.apply(find)


class PlatformStack:
    """The app-of-apps platform stack `name` ("org/app-of-apps/env"), read through StackReference."""

    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None) -> None:
        if name.count("/") != 2:
            raise ValueError(f"{name!r}: give the fully qualified stack name, <organization>/<project>/<stack>")
        self.name = name
        self.reference = pulumi.StackReference(name, opts=opts)
        self.fleet: pulumi.Output[FleetOutput] = self.reference.get_output("fleet").apply(
            lambda data: parse(data, name)
        )

    @property
    def environment(self) -> pulumi.Output[str]:
        return self.fleet.apply(lambda fleet: fleet.environment)

    @property
    def cluster_name(self) -> pulumi.Output[str]:
        return self.fleet.apply(lambda fleet: fleet.cluster.name)

    def team(self, team: str) -> TeamRef:
        return TeamRef(self.name, team, self.fleet.apply(lambda fleet: fleet.team(team)))

    def app(self, team: str, app: str) -> AppRef:
        return AppRef(self.name, team, app, self.fleet.apply(lambda fleet: fleet.app(team, app)))
