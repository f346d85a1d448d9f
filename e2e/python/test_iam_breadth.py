"""IAM and STS breadth with boto3: managed policies, groups, tags, the
listings through botocore's own paginators, GetSessionToken and
GetAccessKeyInfo, mirroring cmd/connectfed/iammanaged_e2e_test.go,
iamgroups_e2e_test.go, iamtags_e2e_test.go and stssession_e2e_test.go.

    CONNECTFED_URL=http://127.0.0.1:4577 python3 -m unittest -v e2e/python/test_iam_breadth.py
"""

import json
import os
import secrets
import unittest

import boto3
import botocore.config
from botocore.exceptions import ClientError

BASE_URL = os.environ["CONNECTFED_URL"].rstrip("/")
ACCOUNT = "000000000000"
CONFIG = botocore.config.Config(retries={"total_max_attempts": 1})
LIST = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "connect:ListInstances", "Resource": "*"}]})


def client(service, key="test", secret="test", token=None):
    return boto3.client(service, endpoint_url=BASE_URL, region_name="us-east-1", config=CONFIG,
                        aws_access_key_id=key, aws_secret_access_key=secret, aws_session_token=token)


class IAMBreadth(unittest.TestCase):
    def setUp(self):
        self.iam = client("iam")
        self.sfx = secrets.token_hex(4)

    def code(self, ctx):
        return ctx.exception.response["Error"]["Code"]

    def user_client(self, name, service):
        k = self.iam.create_access_key(UserName=name)["AccessKey"]
        return client(service, k["AccessKeyId"], k["SecretAccessKey"])

    def test_managed_policy_attached_to_a_group(self):
        name, group, user = "List" + self.sfx, "G" + self.sfx, "u" + self.sfx
        arn = self.iam.create_policy(PolicyName=name, Path="/cc/", PolicyDocument=LIST)["Policy"]["Arn"]
        self.assertEqual(arn, f"arn:aws:iam::{ACCOUNT}:policy/cc/{name}")
        v2 = self.iam.create_policy_version(PolicyArn=arn, PolicyDocument=LIST, SetAsDefault=True)["PolicyVersion"]
        self.assertEqual(v2["VersionId"], "v2")
        got = self.iam.get_policy_version(PolicyArn=arn, VersionId="v2")["PolicyVersion"]
        self.assertEqual(got["Document"], json.loads(LIST))  # botocore decodes the URL-encoded document
        self.iam.create_group(GroupName=group)
        self.iam.create_user(UserName=user, Tags=[{"Key": "team", "Value": "blue"}])
        self.iam.add_user_to_group(GroupName=group, UserName=user)
        self.iam.attach_group_policy(GroupName=group, PolicyArn=arn)
        connect = self.user_client(user, "connect")
        connect.list_instances()  # allowed through the group's attached policy
        ents = self.iam.list_entities_for_policy(PolicyArn=arn)
        self.assertEqual([g["GroupName"] for g in ents["PolicyGroups"]], [group])
        self.assertEqual([g["GroupName"] for g in self.iam.list_groups_for_user(UserName=user)["Groups"]], [group])
        self.assertEqual(self.iam.list_user_tags(UserName=user)["Tags"], [{"Key": "team", "Value": "blue"}])
        with self.assertRaises(ClientError) as ctx:
            self.iam.delete_policy(PolicyArn=arn)
        self.assertEqual(self.code(ctx), "DeleteConflict")
        self.iam.detach_group_policy(GroupName=group, PolicyArn=arn)
        with self.assertRaises(ClientError) as ctx:
            connect.list_instances()
        self.assertEqual(self.code(ctx), "AccessDeniedException")
        aws = self.iam.list_policies(Scope="AWS")["Policies"]
        self.assertIn("AmazonConnect_FullAccess", [p["PolicyName"] for p in aws])

    def test_paginators(self):
        prefix = "/p" + self.sfx + "/"
        for i in range(5):
            self.iam.create_user(UserName=f"pg{i}{self.sfx}", Path=prefix)
        pages = list(self.iam.get_paginator("list_users").paginate(PathPrefix=prefix, PaginationConfig={"PageSize": 2}))
        self.assertEqual(len(pages), 3)
        self.assertEqual([u["UserName"] for p in pages for u in p["Users"]], [f"pg{i}{self.sfx}" for i in range(5)])
        with self.assertRaises(ClientError) as ctx:
            self.iam.list_roles(Marker="forged")
        self.assertEqual(self.code(ctx), "InvalidInput")

    def test_session_token_and_access_key_info(self):
        user = "st" + self.sfx
        self.iam.create_user(UserName=user)
        self.iam.put_user_policy(UserName=user, PolicyName="p", PolicyDocument=LIST)
        sts = self.user_client(user, "sts")
        creds = sts.get_session_token(DurationSeconds=900)["Credentials"]
        session = client("sts", creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
        self.assertEqual(session.get_caller_identity()["Arn"], f"arn:aws:iam::{ACCOUNT}:user/{user}")
        with self.assertRaises(ClientError) as ctx:
            client("iam", creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"]).list_users()
        self.assertEqual(self.code(ctx), "AccessDenied")
        key = self.iam.list_access_keys(UserName=user)["AccessKeyMetadata"][0]["AccessKeyId"]
        self.assertEqual(client("sts").get_access_key_info(AccessKeyId=key)["Account"], ACCOUNT)


if __name__ == "__main__":
    unittest.main()
