"""IAM and STS decisions through boto3 (mirrors cmd/connectfed/iam_e2e_test.go
and session_e2e_test.go): entity paths and canonical names, root's own access
keys, sessions of a deleted role, session policies, AssumeRole's inputs.

    CONNECTFED_URL=http://127.0.0.1:4577 python3 -m unittest -v e2e/python/test_iam_decisions.py
"""

import json
import time

from test_boto3 import ACCOUNT, INVALID_TOKEN, AWSTestCase, client, suffix


def policy(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def stmt(effect, action, resource, condition=None):
    s = {"Effect": effect, "Action": action, "Resource": resource}
    if condition:
        s["Condition"] = condition
    return s


ACCOUNT_TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"AWS": ACCOUNT},
    "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"]}]})


def creds_of(c):
    return {"aws_access_key_id": c["AccessKeyId"], "aws_secret_access_key": c["SecretAccessKey"],
            "aws_session_token": c.get("SessionToken")}


class IAMDecisionsTest(AWSTestCase):
    def setUp(self):
        self.iam = client("iam")
        self.sfx = suffix()

    def user(self, name, path="/", *policies):
        self.iam.create_user(UserName=name, Path=path)
        for i, doc in enumerate(policies):
            self.iam.put_user_policy(UserName=name, PolicyName=f"p{i}", PolicyDocument=doc)
        k = self.iam.create_access_key(UserName=name)["AccessKey"]
        return creds_of(k)

    def role(self, name, trust, *policies):
        arn = self.iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
        for i, doc in enumerate(policies):
            self.iam.put_role_policy(RoleName=name, PolicyName=f"p{i}", PolicyDocument=doc)
        return arn

    def denied(self, call, resource):
        self.assertAWSError(call, code="AccessDenied", status=403, message_regex=f"on resource: {resource}$")

    # Defect 1: an existing user is authorized with its path.
    def test_entity_path(self):
        path = f"/admins{self.sfx}/"
        boss_arn = f"arn:aws:iam::{ACCOUNT}:user{path}boss{self.sfx}"
        self.user(f"boss{self.sfx}", path)
        op = client("iam", self.user(f"operator{self.sfx}", "/", policy(
            stmt("Allow", "iam:*", "*"), stmt("Deny", "iam:*", f"arn:aws:iam::{ACCOUNT}:user{path}*"))))
        self.denied(lambda: op.put_user_policy(UserName=f"boss{self.sfx}", PolicyName="x",
                                               PolicyDocument=policy(stmt("Allow", "*", "*"))), boss_arn)
        self.denied(lambda: op.create_access_key(UserName=f"boss{self.sfx}"), boss_arn)
        reader = client("iam", self.user(f"reader{self.sfx}", "/", policy(
            stmt("Allow", "iam:GetUser", f"arn:aws:iam::{ACCOUNT}:user{path}*"))))
        self.assertEqual(reader.get_user(UserName=f"boss{self.sfx}")["User"]["Arn"], boss_arn)

    # Defect 4: another spelling of the name is authorized as the stored one.
    def test_canonical_name(self):
        name = f"Root2x{self.sfx}"
        self.user(name)
        op = client("iam", self.user(f"op{self.sfx}", "/", policy(
            stmt("Allow", "iam:*", "*"), stmt("Deny", "iam:*", f"arn:aws:iam::{ACCOUNT}:user/{name}"))))
        for spelling in (name.upper(), name.lower()):
            self.denied(lambda: op.create_access_key(UserName=spelling), f"arn:aws:iam::{ACCOUNT}:user/{name}")

    # Defect 8: root's own access keys; root's CreateDate is fixed.
    def test_root_own_keys(self):
        before = {k["AccessKeyId"] for k in self.iam.list_access_keys()["AccessKeyMetadata"]}
        self.assertIn("test", before)
        key = self.iam.create_access_key()["AccessKey"]
        try:
            self.assertNotIn("UserName", key)
            who = client("sts", creds_of(key)).get_caller_identity()
            self.assertEqual(who["Arn"], f"arn:aws:iam::{ACCOUNT}:root")
            after = {k["AccessKeyId"] for k in self.iam.list_access_keys()["AccessKeyMetadata"]}
            self.assertEqual(after, before | {key["AccessKeyId"]})
        finally:
            self.iam.delete_access_key(AccessKeyId=key["AccessKeyId"])
        self.assertAWSError(lambda: client("sts", creds_of(key)).get_caller_identity(),
                            code="InvalidClientTokenId", status=403, message=INVALID_TOKEN)
        first = self.iam.get_user()["User"]["CreateDate"]
        time.sleep(1.1)
        self.assertEqual(self.iam.get_user()["User"]["CreateDate"], first)

    # Defect 5: a session of a deleted (and re-made) role is refused.
    def test_session_of_deleted_role(self):
        app = client("sts", self.user(f"app{self.sfx}", "/", policy(stmt("Allow", "sts:AssumeRole", "*"))))
        name = f"Worker{self.sfx}"
        arn = self.role(name, ACCOUNT_TRUST)
        old = creds_of(app.assume_role(RoleArn=arn, RoleSessionName="old")["Credentials"])
        client("sts", old).get_caller_identity()
        self.iam.delete_role(RoleName=name)
        self.role(name, ACCOUNT_TRUST, policy(stmt("Allow", "*", "*")))
        self.assertAWSError(lambda: client("sts", old).get_caller_identity(),
                            code="InvalidClientTokenId", status=403, message=INVALID_TOKEN)
        self.assertAWSError(lambda: client("connect", old).list_instances(),
                            code="UnrecognizedClientException", status=403, message=INVALID_TOKEN)

    # Defect 6: session policies.
    def test_session_policy(self):
        app = client("sts", self.user(f"app{self.sfx}", "/", policy(stmt("Allow", "sts:AssumeRole", "*"))))
        arn = self.role(f"Broad{self.sfx}", ACCOUNT_TRUST, policy(stmt("Allow", "connect:*", "*")))
        self.assertAWSError(lambda: app.assume_role(RoleArn=arn, RoleSessionName="s1", Policy='{"Statement":'),
                            code="MalformedPolicyDocument", status=400)
        self.assertAWSError(lambda: app.assume_role(RoleArn=arn, RoleSessionName="s1",
                                                    PolicyArns=[{"arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}]),
                            code="MalformedPolicyDocument", status=400)
        out = app.assume_role(RoleArn=arn, RoleSessionName="s1", Policy=policy(stmt("Allow", "connect:ListInstances", "*")))
        self.assertGreater(out["PackedPolicySize"], 0)
        cc = client("connect", creds_of(out["Credentials"]))
        cc.list_instances()
        self.assertAWSError(lambda: cc.create_instance(IdentityManagementType="SAML", InboundCallsEnabled=True,
                                                       OutboundCallsEnabled=True),
                            code="AccessDeniedException", status=403)

    # Defect 7: ExternalId, session tags, SourceIdentity.
    def test_assume_role_inputs(self):
        app = client("sts", self.user(f"app{self.sfx}", "/", policy(stmt("Allow", "sts:*", "*"))))
        ext = self.role(f"Vendor{self.sfx}", json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"sts:ExternalId": "abc-123"}}}]}))
        self.assertAWSError(lambda: app.assume_role(RoleArn=ext, RoleSessionName="s1", ExternalId="nope-1"),
                            code="AccessDenied", status=403)
        app.assume_role(RoleArn=ext, RoleSessionName="s1", ExternalId="abc-123")
        tags = [{"Key": "team", "Value": "blue"}]
        self.assertAWSError(lambda: app.assume_role(RoleArn=ext, RoleSessionName="s1", ExternalId="abc-123", Tags=tags),
                            code="AccessDenied", status=403, message_regex="sts:TagSession")
        tagged = self.role(f"Tagged{self.sfx}", ACCOUNT_TRUST, policy(stmt(
            "Allow", "connect:ListInstances", "*",
            {"StringEquals": {"aws:PrincipalTag/team": "blue", "aws:SourceIdentity": "alice"}})))
        self.assertAWSError(lambda: app.assume_role(RoleArn=tagged, RoleSessionName="s1",
                                                    Tags=tags + [{"Key": "TEAM", "Value": "red"}]),
                            code="InvalidParameterValue", status=400)
        out = app.assume_role(RoleArn=tagged, RoleSessionName="s1", Tags=tags, SourceIdentity="alice")
        self.assertEqual(out["SourceIdentity"], "alice")
        client("connect", creds_of(out["Credentials"])).list_instances()
        out = app.assume_role(RoleArn=tagged, RoleSessionName="s1", Tags=[{"Key": "team", "Value": "red"}],
                              SourceIdentity="alice")
        self.assertAWSError(lambda: client("connect", creds_of(out["Credentials"])).list_instances(),
                            code="AccessDeniedException", status=403)
