"""connectfed cross-client tests with boto3 (standard library unittest only).

Runs the README's federation flow and GetFederationToken's error cases
against the server at CONNECTFED_URL, mirroring the aws-sdk-go-v2 tests in
cmd/connectfed/ (federation_e2e_test.go, connect_e2e_test.go):

    CONNECTFED_URL=http://127.0.0.1:4577 python3 -m unittest -v e2e/python/test_boto3.py
"""

import datetime
import json
import os
import re
import secrets
import unittest

import boto3
import botocore.config
from botocore.exceptions import ClientError

if not os.environ.get("CONNECTFED_URL"):
    raise RuntimeError(
        "CONNECTFED_URL is not set: run the tests against a connectfed server, e.g. "
        "CONNECTFED_URL=http://127.0.0.1:4577 python3 -m unittest -v e2e/python/test_boto3.py"
    )

BASE_URL = os.environ["CONNECTFED_URL"].rstrip("/")
ACCOUNT = "000000000000"
REGION = "us-east-1"
ROOT = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}
SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
)
INVALID_TOKEN = "The security token included in the request is invalid."

# botocore's retries.max_attempts counts retries after the first attempt;
# total_max_attempts=1 means exactly one attempt, so an error reaches the
# test exactly as the server sent it.
CONFIG = botocore.config.Config(retries={"total_max_attempts": 1})


def client(service, creds=None):
    creds = creds or ROOT
    return boto3.client(
        service,
        endpoint_url=BASE_URL,
        region_name=REGION,
        config=CONFIG,
        aws_access_key_id=creds["aws_access_key_id"],
        aws_secret_access_key=creds["aws_secret_access_key"],
        aws_session_token=creds.get("aws_session_token"),
    )


def suffix():
    return secrets.token_hex(4)


def federation_resource(instance_id):
    return f"arn:aws:connect:{REGION}:{ACCOUNT}:instance/{instance_id}/user/${{aws:userid}}"


def federate_policy(resource):
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "connect:GetFederationToken", "Resource": resource}],
    })


def trust_policy(principal_arn):
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": principal_arn}, "Action": "sts:AssumeRole"}],
    }


def create_saml_instance(cc, alias):
    inst = cc.create_instance(IdentityManagementType="SAML", InstanceAlias=alias,
                              InboundCallsEnabled=True, OutboundCallsEnabled=True)
    sps = cc.list_security_profiles(InstanceId=inst["Id"])["SecurityProfileSummaryList"]
    rps = cc.list_routing_profiles(InstanceId=inst["Id"])["RoutingProfileSummaryList"]
    return {
        "id": inst["Id"],
        "arn": inst["Arn"],
        "profiles": {p["Name"]: p["Id"] for p in sps},
        "routing": {p["Name"]: p["Id"] for p in rps},
    }


def create_agent(cc, inst, username):
    return cc.create_user(
        InstanceId=inst["id"], Username=username,
        PhoneConfig={"PhoneType": "SOFT_PHONE", "AfterContactWorkTimeLimit": 0},
        SecurityProfileIds=[inst["profiles"]["Agent"]],
        RoutingProfileId=inst["routing"]["Basic Routing Profile"],
    )["UserId"]


def assume(creds, role_arn, session_name):
    c = client("sts", creds).assume_role(RoleArn=role_arn, RoleSessionName=session_name)["Credentials"]
    return {"aws_access_key_id": c["AccessKeyId"], "aws_secret_access_key": c["SecretAccessKey"],
            "aws_session_token": c["SessionToken"]}


def now():
    return datetime.datetime.now(datetime.timezone.utc)


class AWSTestCase(unittest.TestCase):
    def assertAWSError(self, call, *, code, status, message=None, message_regex=None, exc=None):
        """call() must raise ClientError (exc, when given: the modelled class
        botocore maps the code to) with this code, status and message."""
        with self.assertRaises(exc or ClientError) as cm:
            call()
        e = cm.exception
        self.assertIsInstance(e, ClientError)
        err = e.response["Error"]
        got = f"{err.get('Code')}: {err.get('Message')} (HTTP {e.response['ResponseMetadata'].get('HTTPStatusCode')})"
        self.assertEqual(err["Code"], code, got)
        if message is not None:
            self.assertEqual(err["Message"], message, got)
        if message_regex is not None:
            self.assertRegex(err["Message"], message_regex, got)
        self.assertEqual(e.response["ResponseMetadata"]["HTTPStatusCode"], status, got)
        self.assertTrue(e.response["ResponseMetadata"].get("RequestId"), f"no request id: {got}")
        return e

    def assertNearNow(self, t, seconds=60):
        self.assertIsInstance(t, datetime.datetime)
        self.assertIsNotNone(t.tzinfo, f"{t} is naive")
        self.assertLess(abs((now() - t).total_seconds()), seconds, f"{t} is not within {seconds}s of now")


class ConnectTest(AWSTestCase):
    """Connect instances and users."""

    def test_instance_and_user_lifecycle(self):
        cc = client("connect")
        sfx = suffix()
        alias = f"e2e-py-{sfx}"
        inst = create_saml_instance(cc, alias)
        deleted = False
        try:
            self.assertEqual(inst["arn"], f"arn:aws:connect:{REGION}:{ACCOUNT}:instance/{inst['id']}")
            i = cc.describe_instance(InstanceId=inst["id"])["Instance"]
            self.assertEqual(i["InstanceStatus"], "ACTIVE")
            self.assertEqual(i["IdentityManagementType"], "SAML")
            self.assertEqual(i["InstanceAlias"], alias)
            self.assertNearNow(i["CreatedTime"])

            listed = [s for page in cc.get_paginator("list_instances").paginate(PaginationConfig={"PageSize": 10})
                      for s in page["InstanceSummaryList"]]
            self.assertIn(inst["id"], [s["Id"] for s in listed])

            for name in ("Admin", "Agent", "CallCenterManager", "QualityAnalyst"):
                self.assertIn(name, inst["profiles"])
            self.assertEqual(list(inst["routing"]), ["Basic Routing Profile"])
            routing = inst["routing"]["Basic Routing Profile"]

            username = f"jane.doe.{sfx}@example.com"
            cu = cc.create_user(
                InstanceId=inst["id"], Username=username,
                IdentityInfo={"FirstName": "Jane", "LastName": "Doe", "Email": "jane.doe@example.com"},
                PhoneConfig={"PhoneType": "SOFT_PHONE", "AfterContactWorkTimeLimit": 30},
                SecurityProfileIds=[inst["profiles"]["Agent"]], RoutingProfileId=routing)
            user_id = cu["UserId"]
            self.assertEqual(cu["UserArn"], f"{inst['arn']}/agent/{user_id}")
            u = cc.describe_user(InstanceId=inst["id"], UserId=user_id)["User"]
            self.assertEqual(u["Username"], username)
            self.assertEqual(u["IdentityInfo"]["FirstName"], "Jane")
            self.assertEqual(u["PhoneConfig"]["AfterContactWorkTimeLimit"], 30)
            self.assertEqual(u["SecurityProfileIds"], [inst["profiles"]["Agent"]])
            self.assertEqual(u["RoutingProfileId"], routing)

            cc.update_user_identity_info(InstanceId=inst["id"], UserId=user_id,
                                         IdentityInfo={"FirstName": "Janet", "LastName": "Doe"})
            cc.update_user_phone_config(InstanceId=inst["id"], UserId=user_id, PhoneConfig={
                "PhoneType": "DESK_PHONE", "DeskPhoneNumber": "+14155550100", "AutoAccept": True,
                "AfterContactWorkTimeLimit": 0})
            cc.update_user_security_profiles(InstanceId=inst["id"], UserId=user_id, SecurityProfileIds=[
                inst["profiles"]["Agent"], inst["profiles"]["QualityAnalyst"]])
            cc.update_user_routing_profile(InstanceId=inst["id"], UserId=user_id, RoutingProfileId=routing)
            u = cc.describe_user(InstanceId=inst["id"], UserId=user_id)["User"]
            self.assertEqual(u["IdentityInfo"]["FirstName"], "Janet")
            self.assertEqual(u["PhoneConfig"]["PhoneType"], "DESK_PHONE")
            self.assertEqual(u["PhoneConfig"]["DeskPhoneNumber"], "+14155550100")
            self.assertEqual(sorted(u["SecurityProfileIds"]),
                             sorted([inst["profiles"]["Agent"], inst["profiles"]["QualityAnalyst"]]))

            # Duplicate username: DuplicateResourceException 409.
            self.assertAWSError(
                lambda: cc.create_user(InstanceId=inst["id"], Username=username,
                                       PhoneConfig={"PhoneType": "SOFT_PHONE"},  # required by older botocore models
                                       SecurityProfileIds=[inst["profiles"]["Agent"]], RoutingProfileId=routing),
                exc=cc.exceptions.DuplicateResourceException, code="DuplicateResourceException", status=409,
                message=f"User with username {username} already exists.")

            # ListUsers with MaxResults 2, following NextToken.
            for n in range(4):
                create_agent(cc, inst, f"agent{n}-{sfx}")
            seen, sizes, kwargs = [], [], {}
            while True:
                page = cc.list_users(InstanceId=inst["id"], MaxResults=2, **kwargs)
                sizes.append(len(page["UserSummaryList"]))
                seen += [s["Username"] for s in page["UserSummaryList"]]
                if "NextToken" not in page:
                    break
                kwargs = {"NextToken": page["NextToken"]}
                self.assertLess(len(sizes), 5, "ListUsers does not end")
            self.assertEqual(sizes, [2, 2, 1])
            self.assertEqual(sorted(seen), sorted([username] + [f"agent{n}-{sfx}" for n in range(4)]))

            cc.delete_user(InstanceId=inst["id"], UserId=user_id)
            self.assertAWSError(lambda: cc.describe_user(InstanceId=inst["id"], UserId=user_id),
                                exc=cc.exceptions.ResourceNotFoundException, code="ResourceNotFoundException",
                                status=404, message=f"User not found: {user_id}")
            long_id = "a" * 101
            self.assertAWSError(
                lambda: cc.describe_user(InstanceId=long_id, UserId="x"),
                exc=cc.exceptions.InvalidParameterException, code="InvalidParameterException", status=400,
                message=f"1 validation error detected: Value '{long_id}' at 'instanceId' failed to satisfy "
                        "constraint: Member must have length less than or equal to 100")

            cc.delete_instance(InstanceId=inst["id"])
            deleted = True
            self.assertAWSError(lambda: cc.describe_instance(InstanceId=inst["id"]),
                                exc=cc.exceptions.ResourceNotFoundException, code="ResourceNotFoundException",
                                status=404, message=f"Instance not found: {inst['id']}")
        finally:
            if not deleted:
                cc.delete_instance(InstanceId=inst["id"])


class FederationTest(AWSTestCase):
    """The README's "federate an agent" flow and GetFederationToken's errors."""

    @classmethod
    def setUpClass(cls):
        cls.sfx = sfx = suffix()
        cls.cc = cc = client("connect")
        cls.ic = ic = client("iam")
        cls.username = f"alice-{sfx}"
        cls.inst = create_saml_instance(cc, f"e2e-py-fed-{sfx}")
        cls.user_id = create_agent(cc, cls.inst, cls.username)

        cls.backend_name = f"e2e-py-backend-{sfx}"
        cls.backend_arn = ic.create_user(UserName=cls.backend_name)["User"]["Arn"]
        k = ic.create_access_key(UserName=cls.backend_name)["AccessKey"]
        cls.backend = {"aws_access_key_id": k["AccessKeyId"], "aws_secret_access_key": k["SecretAccessKey"]}

        cls.role_name = f"e2e-py-federation-{sfx}"
        cls.role_arn = ic.create_role(RoleName=cls.role_name,
                                      AssumeRolePolicyDocument=json.dumps(trust_policy(cls.backend_arn)))["Role"]["Arn"]
        ic.put_role_policy(RoleName=cls.role_name, PolicyName="federate",
                           PolicyDocument=federate_policy(federation_resource(cls.inst["id"])))
        any_role = f"e2e-py-federation-any-{sfx}"
        cls.any_role_arn = ic.create_role(RoleName=any_role,
                                          AssumeRolePolicyDocument=json.dumps(trust_policy(cls.backend_arn)))["Role"]["Arn"]
        ic.put_role_policy(RoleName=any_role, PolicyName="federate", PolicyDocument=federate_policy(federation_resource("*")))

    def session(self, name=None, role_arn=None):
        return assume(self.backend, role_arn or self.role_arn, name or self.username)

    def test_iam(self):
        ic = self.ic
        u = ic.get_user(UserName=self.backend_name)["User"]
        self.assertEqual(u["Arn"], f"arn:aws:iam::{ACCOUNT}:user/{self.backend_name}")
        self.assertRegex(u["UserId"], r"^AIDA[A-Z0-9]{17}$")
        self.assertNearNow(u["CreateDate"])
        keys = ic.list_access_keys(UserName=self.backend_name)["AccessKeyMetadata"]
        self.assertEqual([k["AccessKeyId"] for k in keys], [self.backend["aws_access_key_id"]])
        self.assertRegex(keys[0]["AccessKeyId"], r"^AKIA[A-Z0-9]{16}$")

        r = ic.get_role(RoleName=self.role_name)["Role"]
        self.assertEqual(r["Arn"], self.role_arn)
        self.assertRegex(r["RoleId"], r"^AROA[A-Z0-9]{17}$")
        # IAM sends the document URL-encoded; botocore decodes it to a dict.
        self.assertIsInstance(r["AssumeRolePolicyDocument"], dict)
        self.assertEqual(r["AssumeRolePolicyDocument"], trust_policy(self.backend_arn))

        self.assertAWSError(lambda: ic.create_user(UserName=self.backend_name.upper()),
                            exc=ic.exceptions.EntityAlreadyExistsException, code="EntityAlreadyExists", status=409,
                            message=f"User with name {self.backend_name.upper()} already exists.")
        ghost = f"ghost-{self.sfx}"
        self.assertAWSError(lambda: ic.get_user(UserName=ghost),
                            exc=ic.exceptions.NoSuchEntityException, code="NoSuchEntity", status=404,
                            message=f"The user with name {ghost} cannot be found.")
        self.assertAWSError(lambda: ic.get_role(RoleName=ghost),
                            exc=ic.exceptions.NoSuchEntityException, code="NoSuchEntity", status=404,
                            message=f"The role with name {ghost} cannot be found.")
        self.assertAWSError(
            lambda: ic.put_role_policy(RoleName=self.role_name, PolicyName="bad", PolicyDocument=json.dumps(
                {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "connect:*"}]})),
            exc=ic.exceptions.MalformedPolicyDocumentException, code="MalformedPolicyDocument", status=400,
            message="Policy statement must contain resources.")

    def test_federate_agent(self):
        sess = self.session()
        ident = client("sts", sess).get_caller_identity()
        self.assertEqual(ident["Arn"], f"arn:aws:sts::{ACCOUNT}:assumed-role/{self.role_name}/{self.username}")
        self.assertEqual(ident["Account"], ACCOUNT)
        self.assertRegex(ident["UserId"], rf"^AROA[A-Z0-9]{{17}}:{re.escape(self.username)}$")

        start = now()
        out = client("connect", sess).get_federation_token(InstanceId=self.inst["id"])
        self.assertEqual(out["ResponseMetadata"]["HTTPStatusCode"], 200)
        c = out["Credentials"]
        for k in ("AccessToken", "RefreshToken"):
            self.assertIsInstance(c[k], str)
            self.assertTrue(c[k], f"{k} is empty")
        self.assertNotEqual(c["AccessToken"], c["RefreshToken"])
        for k in ("AccessTokenExpiration", "RefreshTokenExpiration"):
            self.assertIsInstance(c[k], datetime.datetime, k)
            self.assertGreater(c[k], start, f"{k} is not in the future")
        self.assertLess(c["AccessTokenExpiration"], c["RefreshTokenExpiration"])
        self.assertTrue(out["SignInUrl"].startswith(BASE_URL), out["SignInUrl"])
        self.assertEqual(out["SignInUrl"], f"{BASE_URL}/connect/{self.inst['id']}/auth/sign-in?token={c['AccessToken']}")
        self.assertEqual(out["UserArn"], f"arn:aws:connect:{REGION}:{ACCOUNT}:instance/{self.inst['id']}/agent/{self.user_id}")
        self.assertEqual(out["UserId"], self.user_id)

    def test_root_is_refused(self):
        self.assertAWSError(
            lambda: self.cc.get_federation_token(InstanceId=self.inst["id"]),
            exc=self.cc.exceptions.InvalidRequestException, code="InvalidRequestException", status=400,
            message=f"Provided identity: Principal: arn:aws:iam::{ACCOUNT}:root User: {ACCOUNT} "
                    "cannot be used for federation with Amazon Connect")

    def test_session_name_matching_no_user(self):
        for name in (f"nobody-{self.sfx}", self.username.upper()):
            cc = client("connect", self.session(name))
            self.assertAWSError(
                lambda: cc.get_federation_token(InstanceId=self.inst["id"]),
                exc=cc.exceptions.UserNotFoundException, code="UserNotFoundException", status=404,
                message="No user with the specified credentials was found in the Amazon Connect instance.")

    def test_instance_not_allowed(self):
        other = create_saml_instance(self.cc, f"e2e-py-other-{self.sfx}")
        try:
            create_agent(self.cc, other, self.username)
            sess = self.session()
            role_user_id = client("sts", sess).get_caller_identity()["UserId"]
            cc = client("connect", sess)
            self.assertAWSError(
                lambda: cc.get_federation_token(InstanceId=other["id"]),
                exc=cc.exceptions.AccessDeniedException, code="AccessDeniedException", status=403,
                message=f"User: arn:aws:sts::{ACCOUNT}:assumed-role/{self.role_name}/{self.username} is not "
                        f"authorized to perform: connect:GetFederationToken on resource: "
                        f"arn:aws:connect:{REGION}:{ACCOUNT}:instance/{other['id']}/user/{role_user_id}")
        finally:
            self.cc.delete_instance(InstanceId=other["id"])

    def test_deleted_instance(self):
        gone = create_saml_instance(self.cc, f"e2e-py-gone-{self.sfx}")
        create_agent(self.cc, gone, self.username)
        self.cc.delete_instance(InstanceId=gone["id"])
        cc = client("connect", self.session(role_arn=self.any_role_arn))
        self.assertAWSError(lambda: cc.get_federation_token(InstanceId=gone["id"]),
                            exc=cc.exceptions.ResourceNotFoundException, code="ResourceNotFoundException",
                            status=404, message=f"Instance not found: {gone['id']}")

    def test_instance_id_too_long(self):
        cc = client("connect", self.session())
        self.assertAWSError(lambda: cc.get_federation_token(InstanceId="x" * 101),
                            exc=cc.exceptions.InvalidParameterException, code="InvalidParameterException",
                            status=400, message_regex=r"^1 validation error detected: .* at 'instanceId' ")

    def test_root_cannot_assume_role(self):
        sc = client("sts")
        self.assertAWSError(lambda: sc.assume_role(RoleArn=self.role_arn, RoleSessionName=self.username),
                            code="AccessDenied", status=403, message="Roles may not be assumed by root accounts.")

    def test_bad_credentials(self):
        def gft(creds):
            return lambda: client("connect", creds).get_federation_token(InstanceId=self.inst["id"])
        self.assertAWSError(gft({"aws_access_key_id": "test", "aws_secret_access_key": "wrong-secret"}),
                            code="InvalidSignatureException", status=403, message=SIGNATURE_MISMATCH)
        self.assertAWSError(gft({"aws_access_key_id": "AKIAUNKNOWNKEY000001", "aws_secret_access_key": "x" * 40}),
                            code="UnrecognizedClientException", status=403, message=INVALID_TOKEN)
        sess = self.session()
        sess["aws_session_token"] += "x"
        self.assertAWSError(gft(sess), code="UnrecognizedClientException", status=403, message=INVALID_TOKEN)
        self.assertAWSError(
            lambda: client("sts", {"aws_access_key_id": "test", "aws_secret_access_key": "wrong-secret"}).get_caller_identity(),
            code="SignatureDoesNotMatch", status=403, message=SIGNATURE_MISMATCH)


if __name__ == "__main__":
    unittest.main()
