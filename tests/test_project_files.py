"""Every Pulumi project, stack and policy pack file in the repository, read as the CLI reads it.

The CLI (github.com/pulumi/pulumi/sdk/v3, go/common/workspace/loaders.go) parses YAML strictly
(duplicate keys are an error), validates `Pulumi.yaml` against its JSON schema (vendored in
vendor/pulumi/project.json), reads `Pulumi.<stack>.yaml` as a mapping with a `config` mapping,
and requires a `runtime` in `PulumiPolicy.yaml`. A file it would refuse fails here, offline,
instead of at a user's first `pulumi preview` (as examples/team-service/Pulumi.yaml once did).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests.conftest import ROOT

NOT_OURS = {".venv", "venv", "build", "node_modules", ".git"}
PROVIDER_NAMESPACES = {"pulumi", "aws", "kubernetes", "okta"}


def files(pattern: str) -> list[Path]:
    return sorted(p for p in ROOT.rglob(pattern) if not NOT_OURS & set(p.relative_to(ROOT).parts))


PROJECTS = [p for p in files("Pulumi.y*ml") if p.name in ("Pulumi.yaml", "Pulumi.yml")]
STACKS = [p for p in files("Pulumi.*.y*ml") if p not in PROJECTS]
PACKS = files("PulumiPolicy.y*ml")


def rel(paths: list[Path]) -> list[str]:
    return [str(p.relative_to(ROOT)) for p in paths]


class StrictLoader(yaml.SafeLoader):
    """YAML as the CLI's parser takes it: a key twice in one mapping is an error."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, yaml.Mark] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"mapping key {key!r} already defined at line {seen[key].line + 1}", key_node.start_mark
                )
            seen[key] = key_node.start_mark
        return super().construct_mapping(node, deep=deep)


def parse(text: str) -> Any:
    return yaml.load(text, Loader=StrictLoader)  # a SafeLoader subclass


@cache
def project_schema() -> jsonschema.protocols.Validator:
    schema = json.loads((ROOT / "vendor" / "pulumi" / "project.json").read_text())
    return jsonschema.Draft202012Validator(schema)


def project_problems(text: str) -> list[str]:
    """What the CLI's LoadProject would refuse (ValidateProject: a name, then the schema)."""
    try:
        data = parse(text)
    except yaml.YAMLError as err:
        return [f"not YAML: {err}"]
    if not isinstance(data, dict):
        return ["expected project to be an object"]
    if not isinstance(data.get("name"), str) or not data["name"]:
        return ["project is missing a non-empty string 'name' attribute"]
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in project_schema().iter_errors(data)]


def test_the_repository_files_are_found() -> None:
    assert {"Pulumi.yaml", "examples/team-service/Pulumi.yaml"} <= set(rel(PROJECTS))
    assert {"Pulumi.dev.yaml", "Pulumi.prod.yaml", "examples/team-service/Pulumi.dev.yaml"} <= set(rel(STACKS))
    assert rel(PACKS) == ["policies/PulumiPolicy.yaml"]


@pytest.mark.parametrize("path", PROJECTS, ids=rel(PROJECTS))
def test_project_files_pass_the_cli_schema(path: Path) -> None:
    assert project_problems(path.read_text()) == []


def test_the_schema_referee_refuses_what_the_cli_refuses() -> None:
    valid = (ROOT / "Pulumi.yaml").read_text()
    assert project_problems(valid) == []
    # The defect the first real run found: an unquoted ': ' inside a plain scalar.
    assert project_problems("name: x\ndescription: a: b\nruntime: python\n")[0].startswith("not YAML")
    assert project_problems("name: x\nruntime:\n  name: python\n  optons: {}\n") != []  # misspelt runtime key
    assert project_problems("name: x\nruntime: 3\n") != []
    assert project_problems(valid + "name: twice\n")[0].startswith("not YAML")  # duplicate key
    assert project_problems("description: no name\nruntime: python\n") != []


@pytest.mark.parametrize("path", STACKS, ids=rel(STACKS))
def test_stack_files_are_config_mappings_of_their_project(path: Path) -> None:
    project = parse((path.parent / "Pulumi.yaml").read_text())["name"]
    data = parse(path.read_text())
    assert isinstance(data, dict)
    assert isinstance(data.get("config", {}), dict)
    for key, value in data.get("config", {}).items():
        namespace = key.split(":", 1)[0] if ":" in key else project
        # A key under a misspelt project name is silently ignored by the program.
        assert namespace in {project, *PROVIDER_NAMESPACES}, f"{key}: namespace is neither {project} nor a provider's"
        assert value is not None, f"{key}: an empty value (the CLI warns and the program sees nothing)"


@pytest.mark.parametrize("path", PACKS, ids=rel(PACKS))
def test_policy_pack_files_have_what_the_cli_requires(path: Path) -> None:
    data = parse(path.read_text())
    assert isinstance(data, dict)
    runtime = data.get("runtime")
    name = runtime.get("name") if isinstance(runtime, dict) else runtime
    assert isinstance(name, str), "project is missing a 'runtime' attribute"
    assert name, "project is missing a 'runtime' attribute"
    for field in ("version", "main", "description", "author", "website", "license"):
        assert isinstance(data.get(field, ""), str), f"{field} must be a string"
