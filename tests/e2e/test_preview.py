"""`pulumi preview` of the repository's own stacks under the real engine, with and without the
policy pack; and a guardrail broken once in the catalog, once by a resource only the pack sees."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fleet.compiler import load
from fleet.render.layers import render
from fleet.render.resources import desired_resources
from tests.conftest import ROOT, catalog_path, one_file_text, shipped
from tests.e2e.engine import Workspace, reach_declared_clusters

# The stacks the repository ships: a Pulumi.<stack>.yaml naming its catalog.
STACKS = sorted(p.name.split(".")[1] for p in ROOT.glob("Pulumi.*.yaml"))


def planned(stack: str) -> set[tuple[str, str]]:
    """(type, logical name) of every custom resource the offline plan says the program registers."""
    return {r.key for r in desired_resources(render(load(catalog_path(stack))))}


def created(preview: dict[str, Any]) -> set[tuple[str, str]]:
    """(type, logical name) of the custom resources a `preview --json` creates (no components,
    providers or the stack itself)."""
    out = set()
    for step in preview["steps"]:
        assert step["op"] == "create", step
        urn = step["urn"]
        kind, name = urn.split("::")[2].split("$")[-1], urn.split("::")[3]
        if not kind.startswith(("pulumi:", "app-of-apps:")):
            out.add((kind, name))
    return out


@pytest.fixture(scope="module")
def platform(
    pulumi_env: dict[str, str], argocd_crds: list[str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Workspace]:
    ws = Workspace.platform(tmp_path_factory.mktemp("preview") / "app-of-apps", pulumi_env)
    reach_declared_clusters(ws, Path(pulumi_env["KUBECONFIG"]))  # prod declares two clusters
    for stack in STACKS:
        ws.init(stack, {})  # the repository's Pulumi.<stack>.yaml is the config
    yield ws
    for stack in STACKS:
        ws.remove(stack)


def test_the_repository_ships_dev_and_prod() -> None:
    assert {"dev", "prod"} <= set(STACKS)


@pytest.mark.parametrize("stack", STACKS)
def test_preview_creates_exactly_the_plan(platform: Workspace, stack: str) -> None:
    preview = json.loads(platform.pulumi("preview", "--stack", stack, "--json").stdout)
    assert created(preview) == planned(stack)


@pytest.mark.parametrize("stack", STACKS)
def test_preview_with_the_policy_pack_passes(platform: Workspace, stack: str) -> None:
    """The pack judges every resource of the stack and finds nothing (the JSON digest does not
    carry policy results, so this reads the CLI's own summary)."""
    result = platform.pulumi("preview", "--stack", stack, "--policy-pack", "policies")
    output = result.stdout + result.stderr
    assert "Policies:" in output, output[-3000:]
    assert "app-of-apps-guardrails@v" in output
    assert "mandatory" not in output


def test_a_catalog_that_breaks_a_guardrail_stops_the_real_preview(platform: Workspace) -> None:
    catalog = one_file_text("dev")
    broken = catalog.replace("s3:GetObject", "s3:*", 1)
    assert broken != catalog
    (platform.dir / "stacks" / "dev-broken.yaml").write_text(broken)
    platform.pulumi("config", "set", "--stack", "dev", "app-of-apps:fleet", "stacks/dev-broken.yaml")
    try:
        result = platform.pulumi("preview", "--stack", "dev", check=False)
    finally:
        platform.pulumi("config", "set", "--stack", "dev", "app-of-apps:fleet", shipped("dev"))
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "[iam-no-wildcard-action]" in output, output[-3000:]
    assert "nothing was deployed" in output


ROGUE = textwrap.dedent(
    """\
    import pulumi
    import pulumi_kubernetes as kubernetes

    provider = kubernetes.Provider("kubernetes")
    opts = pulumi.ResourceOptions(provider=provider)
    # A namespace without Pod Security labels, and a Role granting every verb.
    kubernetes.core.v1.Namespace("rogue", metadata={"name": "e2e-rogue"}, opts=opts)
    kubernetes.rbac.v1.Role(
        "rogue",
        metadata={"name": "rogue", "namespace": "e2e-rogue"},
        rules=[{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["*"]}],
        opts=opts,
    )
    """
)


@pytest.fixture(scope="module")
def rogue(pulumi_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    """Another project whose resources break guardrails: only the policy pack can refuse them."""
    src: Path = tmp_path_factory.mktemp("rogue-src")
    (src / "Pulumi.yaml").write_text("name: rogue\nruntime:\n  name: python\n  options:\n    virtualenv: .venv\n")
    (src / "__main__.py").write_text(ROGUE)
    ws = Workspace.of(src, tmp_path_factory.mktemp("rogue") / "rogue", pulumi_env)
    # One config value: the engine kit's stand-in language host fails on a stack without config.
    ws.init("e2e", {"rogue:purpose": "guardrail probe"})
    yield ws
    ws.remove("e2e")


def test_without_the_pack_the_rogue_resources_preview(rogue: Workspace) -> None:
    rogue.pulumi("preview", "--stack", "e2e")


def test_the_policy_pack_stops_a_real_preview_naming_the_guardrails(rogue: Workspace) -> None:
    Workspace.platform(rogue.dir.parent / "platform", rogue.env)  # the pack with its virtualenv
    policies = rogue.dir.parent / "platform" / "policies"
    result = rogue.pulumi("preview", "--stack", "e2e", "--policy-pack", str(policies), check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    for rule in ("k8s-pod-security-labels", "k8s-rbac-no-wildcards"):
        assert rule in output, output[-3000:]
    assert "mandatory" in output
