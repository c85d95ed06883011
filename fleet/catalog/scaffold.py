"""A new organisation's first catalog, written from a few answers (`fleet init`): the platform
file (organisation, environment, cluster, AWS account and region, where Argo CD may deploy
from) and one team with its owners, in the folder form (`stacks/<env>/platform.yaml`,
`stacks/<env>/teams/<team>.yaml`) or as one file, each line commented so that the file
teaches what it holds. Nobody edits the shipped `acme` by hand.

Pure: the texts only. Every value is written as YAML reads it back (`yaml_io.scalar`), and the
command validates and renders the result before it writes a byte.
"""

from __future__ import annotations

from dataclasses import dataclass

from fleet.catalog.folder import PLATFORM_FILE, TEAM_SUFFIX, TEAMS_DIR
from fleet.text.yaml_io import scalar

# Option of `fleet init` -> the field it fills, in the platform file or the team file: a
# problem of the result is told as a problem of the option that gave the value.
OPTIONS: dict[str, str] = {
    "environment": "--environment",
    "organization": "--organization",
    "cluster.name": "--cluster",
    "aws.account_id": "--account-id",
    "aws.region": "--region",
    "argocd.allowed_repos": "--allowed-repo",
    "name": "--team",
    "owners": "--owner",
    "deletion_protection": "--protect",
}


@dataclass(frozen=True)
class Answers:
    organization: str
    environment: str
    account_id: str
    cluster: str
    region: str
    allowed_repos: tuple[str, ...]
    team: str
    owners: tuple[str, ...]
    protect: bool = False


def _list(values: tuple[str, ...]) -> str:
    return "[" + ", ".join(scalar(v) for v in values) + "]"


def _commented(text: str, comment: str) -> str:
    """A line with its comment in the column the shipped catalogs use."""
    return f"{text.ljust(33)} # {comment}" if len(text) < 33 else f"{text}  # {comment}"


def platform_text(answers: Answers, schema_line: str) -> str:
    """The platform file: everything of the catalog but its teams. Values only through
    `scalar` (a value holding a line break cannot add a line of its own)."""
    environment, organization = scalar(answers.environment), scalar(answers.organization)
    protection = (
        "identity, IAM roles and namespaces are protected; revisions are pinned"
        if answers.protect
        else "true in production: identity, IAM roles and namespaces are protected"
    )
    lines = [
        f"# The {environment} environment of {organization}: what the platform owns. Written by",
        "# `fleet init`; edit it as yours. Every field and its default: docs/reference/catalog.md.",
        _commented(f"environment: {environment}", "the Pulumi stack name"),
        _commented(f"organization: {organization}", "prefix of every Okta group and IAM role name"),
        _commented(f"deletion_protection: {scalar(answers.protect)}", protection),
        "",
        "cluster:",
        _commented(f"  name: {scalar(answers.cluster)}", "the EKS cluster"),
        _commented('  # oidc_groups_prefix: "oidc:"', "the API server's --oidc-groups-prefix, if it sets one"),
        "",
        "aws:",
        _commented(f"  account_id: {scalar(answers.account_id)}", "quoted: account ids are strings"),
        f"  region: {scalar(answers.region)}",
        "",
        "argocd:",
        _commented("  allowed_repos:", 'where apps deploy from: a prefix ends in "/", else exact'),
        *(f"    - {scalar(repo)}" for repo in answers.allowed_repos),
        "",
        "# personas (admin, developer, viewer) and defaults (Pod Security, quota, sync) keep their",
        "# defaults until you set them: docs/reference/catalog.md.",
    ]
    return schema_line + "".join(f"{line}\n" for line in lines)


def team_text(answers: Answers, schema_line: str, indent: str = "") -> str:
    """A team file (or, indented, a team item of a one-file catalog)."""
    lines = [
        f"name: {scalar(answers.team)}",
        _commented(f"owners: {_list(answers.owners)}", "who answers for the team (e-mail addresses)"),
        _commented("# members:", "persona -> the Okta group rule that fills its group"),
        "#   developer: 'user.department == \"Engineering\"'",
        "# namespaces: one named after the team, unless you list them",
        _commented("# apps:", "the first app: docs/team-guide.md#add-an-app"),
        "#   - name: web",
        "#     source:",
        "#       repo: <a repository inside argocd.allowed_repos>",
        "#       path: <the directory of its manifests>",
    ]
    if indent:
        body = [f"{indent}- {lines[0]}", *(f"{indent}  {line}" for line in lines[1:])]
        return "".join(f"{line}\n" for line in body)
    header = f"# Team {scalar(answers.team)}: its owners, members, namespaces and apps. Written by `fleet init`.\n"
    return schema_line + header + "".join(f"{line}\n" for line in lines)


def folder(answers: Answers, platform_schema_line: str, team_schema_line: str) -> dict[str, str]:
    """The files of a catalog folder: path inside the folder -> text."""
    return {
        PLATFORM_FILE: platform_text(answers, platform_schema_line),
        f"{TEAMS_DIR}/{answers.team}{TEAM_SUFFIX}": team_text(answers, team_schema_line),
    }


def one_file(answers: Answers, schema_line: str) -> str:
    """The same catalog as one file (a small fleet)."""
    return platform_text(answers, schema_line) + "\nteams:\n" + team_text(answers, "", indent="  ")


def option_for(path: str) -> str | None:
    """The option whose value a problem's path (in the platform or the team file) names."""
    for field, option in OPTIONS.items():
        if path == field or path.startswith((f"{field}.", f"{field}[")):
            return option
    if path.startswith("teams[0]."):
        return option_for(path.removeprefix("teams[0]."))
    return None
