"""A team's stack next to the platform: what the payments team adds for its checkout app.

It reads the platform's `fleet` output through `PlatformStack` (typed, versioned) instead of
copying names, and creates an S3 bucket that only the app's workload role can use, and a
ConfigMap in the app's namespace that tells the app where its bucket is.
"""

import json

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as kubernetes

from fleet.io.platform_stack import PlatformStack

config = pulumi.Config()
team, app_name = config.require("team"), config.require("app")
platform = PlatformStack(config.require("platformStack"))
app = platform.app(team, app_name)

providers = [
    aws.Provider("aws", region=config.require("region")),
    kubernetes.Provider("kubernetes", kubeconfig=config.get_secret("kubeconfig")),  # else KUBECONFIG
]
opts = pulumi.ResourceOptions(providers=providers)

bucket = aws.s3.Bucket("data", bucket_prefix=f"{team}-{app_name}-", force_destroy=False, opts=opts)
aws.s3.BucketPublicAccessBlock(
    "data",
    bucket=bucket.id,
    block_public_acls=True,
    block_public_policy=True,
    ignore_public_acls=True,
    restrict_public_buckets=True,
    opts=opts,
)


def bucket_policy(args: list[str]) -> str:
    bucket_arn, role_arn = args
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AppReadsAndWritesObjects",
                    "Effect": "Allow",
                    "Principal": {"AWS": role_arn},
                    "Action": ["s3:GetObject", "s3:PutObject"],
                    "Resource": f"{bucket_arn}/*",
                },
                {
                    "Sid": "AppListsBucket",
                    "Effect": "Allow",
                    "Principal": {"AWS": role_arn},
                    "Action": "s3:ListBucket",
                    "Resource": bucket_arn,
                },
                {
                    "Sid": "TlsOnly",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": [bucket_arn, f"{bucket_arn}/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                },
            ],
        },
        sort_keys=True,
    )


aws.s3.BucketPolicy(
    "data", bucket=bucket.id, policy=pulumi.Output.all(bucket.arn, app.role_arn).apply(bucket_policy), opts=opts
)

kubernetes.core.v1.ConfigMap(
    "platform",
    metadata={
        "name": f"{app_name}-platform",
        "namespace": app.namespace,
        "labels": {"app.kubernetes.io/name": app_name},
    },
    data={"BUCKET": bucket.bucket, "AWS_ROLE_ARN": app.role_arn, "ARGOCD_APPLICATION": app.argocd_application},
    opts=opts,
)

pulumi.export("bucket", bucket.bucket)
pulumi.export("namespace", app.namespace)
