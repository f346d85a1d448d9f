"""AssumeRoleWithSAML, AssumeRoleWithWebIdentity and the IAM identity
providers through boto3.

The signed SAML responses and ID tokens are made by the Go test that runs
this file (TestFederatedBoto3 in cmd/connectfed), which passes them, with the
server's URL and the ids it set up, in CONNECTFED_FED_* variables; without
them the tests are skipped (plain `python3 -m unittest` in e2e/python).
"""

import os
import unittest

import boto3
import botocore.config
from botocore.exceptions import ClientError

ENV = {k[len("CONNECTFED_FED_"):]: v for k, v in os.environ.items() if k.startswith("CONNECTFED_FED_")}
BASE_URL = os.environ.get("CONNECTFED_URL", "").rstrip("/")
CONFIG = botocore.config.Config(retries={"total_max_attempts": 1})
ROOT = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}


def client(service, creds=None):
    creds = creds or ROOT
    return boto3.client(service, endpoint_url=BASE_URL, region_name="us-east-1", config=CONFIG,
                        aws_access_key_id=creds["aws_access_key_id"],
                        aws_secret_access_key=creds["aws_secret_access_key"],
                        aws_session_token=creds.get("aws_session_token"))


def session_creds(out):
    c = out["Credentials"]
    return {"aws_access_key_id": c["AccessKeyId"], "aws_secret_access_key": c["SecretAccessKey"],
            "aws_session_token": c["SessionToken"]}


@unittest.skipUnless(ENV and BASE_URL, "run by TestFederatedBoto3 (cmd/connectfed)")
class FederatedTest(unittest.TestCase):
    def assertCode(self, ctx, code):
        self.assertEqual(ctx.exception.response["Error"]["Code"], code, ctx.exception.response)

    def test_providers(self):
        iam = client("iam")
        arns = [p["Arn"] for p in iam.list_saml_providers()["SAMLProviderList"]]
        self.assertIn(ENV["SAML_PROVIDER"], arns)
        got = iam.get_saml_provider(SAMLProviderArn=ENV["SAML_PROVIDER"])
        self.assertIn("EntityDescriptor", got["SAMLMetadataDocument"])
        with self.assertRaises(ClientError) as ctx:
            iam.get_saml_provider(SAMLProviderArn="arn:aws:iam::000000000000:saml-provider/Nope")
        self.assertCode(ctx, "NoSuchEntity")
        arn = iam.create_open_id_connect_provider(Url="https://boto3.example.com", ClientIDList=["a"],
                                                  ThumbprintList=["0" * 40])["OpenIDConnectProviderArn"]
        self.assertEqual(arn, "arn:aws:iam::000000000000:oidc-provider/boto3.example.com")
        iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="b")
        got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
        self.assertEqual(got["ClientIDList"], ["a", "b"])
        self.assertEqual(got["Url"], "boto3.example.com")
        with self.assertRaises(ClientError) as ctx:
            iam.create_open_id_connect_provider(Url="https://boto3.example.com", ClientIDList=["a"])
        self.assertCode(ctx, "EntityAlreadyExists")
        iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)

    def test_saml_then_federate(self):
        out = client("sts").assume_role_with_saml(RoleArn=ENV["SAML_ROLE"], PrincipalArn=ENV["SAML_PROVIDER"],
                                                  SAMLAssertion=ENV["SAML_OK"])
        self.assertTrue(out["AssumedRoleUser"]["Arn"].endswith(":assumed-role/SAMLAgent/alice"))
        self.assertEqual(out["SubjectType"], "persistent")
        self.assertEqual(out["Audience"], "https://signin.aws.amazon.com/saml")
        tok = client("connect", session_creds(out)).get_federation_token(InstanceId=ENV["INSTANCE_ID"])
        self.assertEqual(tok["UserId"], ENV["USER_ID"])

    def test_saml_errors(self):
        sts = client("sts")
        for name, assertion, code in [("bad signature", ENV["SAML_BADSIG"], "InvalidIdentityToken"),
                                      ("expired", ENV["SAML_EXPIRED"], "ExpiredTokenException")]:
            with self.subTest(name), self.assertRaises(ClientError) as ctx:
                sts.assume_role_with_saml(RoleArn=ENV["SAML_ROLE"], PrincipalArn=ENV["SAML_PROVIDER"], SAMLAssertion=assertion)
            self.assertCode(ctx, code)
        with self.assertRaises(ClientError) as ctx:
            sts.assume_role_with_saml(RoleArn=ENV["OTHER_ROLE"], PrincipalArn=ENV["SAML_PROVIDER"], SAMLAssertion=ENV["SAML_OK"])
        self.assertCode(ctx, "AccessDenied")

    def test_web_identity_then_federate(self):
        out = client("sts").assume_role_with_web_identity(RoleArn=ENV["OIDC_ROLE"], RoleSessionName="alice",
                                                          WebIdentityToken=ENV["OIDC_OK"])
        self.assertEqual(out["SubjectFromWebIdentityToken"], "alice")
        self.assertEqual(out["Audience"], "agent-desktop")
        tok = client("connect", session_creds(out)).get_federation_token(InstanceId=ENV["INSTANCE_ID"])
        self.assertEqual(tok["UserId"], ENV["USER_ID"])

    def test_web_identity_errors(self):
        sts = client("sts")
        for name, token, code in [("wrong audience", ENV["OIDC_WRONG_AUD"], "InvalidIdentityToken"),
                                  ("expired", ENV["OIDC_EXPIRED"], "ExpiredTokenException"),
                                  ("issuer unreachable", ENV["OIDC_DOWN"], "IDPCommunicationError")]:
            with self.subTest(name), self.assertRaises(ClientError) as ctx:
                sts.assume_role_with_web_identity(RoleArn=ENV["OIDC_ROLE"], RoleSessionName="alice", WebIdentityToken=token)
            self.assertCode(ctx, code)


if __name__ == "__main__":
    unittest.main()
