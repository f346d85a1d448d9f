"""The contact center operations with boto3: agent statuses, PutUserStatus,
GetCurrentUserData, approved origins and a task's lifecycle, parsed by
botocore against its own Connect model (mirrors agent_e2e_test.go)."""

import unittest

from botocore.exceptions import ClientError

from test_boto3 import client, suffix


class ContactCenter(unittest.TestCase):
    def setUp(self):
        self.cc = client("connect")
        self.inst = self.cc.create_instance(
            IdentityManagementType="SAML", InstanceAlias="cc-" + suffix(),
            InboundCallsEnabled=True, OutboundCallsEnabled=True)["Id"]
        sps = self.cc.list_security_profiles(InstanceId=self.inst)["SecurityProfileSummaryList"]
        rps = self.cc.list_routing_profiles(InstanceId=self.inst)["RoutingProfileSummaryList"]
        self.user = self.cc.create_user(
            InstanceId=self.inst, Username="agent" + suffix(),
            PhoneConfig={"PhoneType": "SOFT_PHONE", "AfterContactWorkTimeLimit": 0},
            SecurityProfileIds=[p["Id"] for p in sps if p["Name"] == "Agent"],
            RoutingProfileId=rps[0]["Id"])["UserId"]

    def tearDown(self):
        self.cc.delete_instance(InstanceId=self.inst)

    def status_id(self, name):
        for s in self.cc.list_agent_statuses(InstanceId=self.inst)["AgentStatusSummaryList"]:
            if s["Name"] == name:
                return s["Id"]
        self.fail("no status " + name)

    def user_data(self):
        out = self.cc.get_current_user_data(InstanceId=self.inst, Filters={"Agents": [self.user]})
        self.assertEqual(len(out["UserDataList"]), 1)
        return out["UserDataList"][0]

    def test_statuses_and_origins(self):
        names = [(s["Name"], s["Type"]) for s in self.cc.list_agent_statuses(InstanceId=self.inst)["AgentStatusSummaryList"]]
        self.assertEqual(names, [("Available", "ROUTABLE"), ("Offline", "OFFLINE")])
        created = self.cc.create_agent_status(InstanceId=self.inst, Name="Training", State="ENABLED")
        desc = self.cc.describe_agent_status(InstanceId=self.inst, AgentStatusId=created["AgentStatusId"])["AgentStatus"]
        self.assertEqual((desc["Name"], desc["Type"], desc["State"]), ("Training", "CUSTOM", "ENABLED"))
        self.assertIsNotNone(desc["LastModifiedTime"].tzinfo)
        with self.assertRaises(ClientError) as e:
            self.cc.create_agent_status(InstanceId=self.inst, Name="Training", State="ENABLED")
        self.assertEqual(e.exception.response["Error"]["Code"], "DuplicateResourceException")

        self.cc.associate_approved_origin(InstanceId=self.inst, Origin="https://agents.example.com")
        self.assertEqual(self.cc.list_approved_origins(InstanceId=self.inst)["Origins"], ["https://agents.example.com"])
        self.cc.disassociate_approved_origin(InstanceId=self.inst, Origin="https://agents.example.com")
        self.assertEqual(self.cc.list_approved_origins(InstanceId=self.inst)["Origins"], [])

    def test_task_lifecycle(self):
        self.assertEqual(self.user_data()["Status"]["StatusName"], "Offline")
        self.cc.put_user_status(InstanceId=self.inst, UserId=self.user, AgentStatusId=self.status_id("Available"))
        flows = self.cc.list_contact_flows(InstanceId=self.inst, ContactFlowTypes=["CONTACT_FLOW"])["ContactFlowSummaryList"]
        flow = [f["Id"] for f in flows if f["Name"].startswith("Sample inbound flow")][0]
        task = self.cc.start_task_contact(InstanceId=self.inst, ContactFlowId=flow, Name="Follow up",
                                          Attributes={"customer": "ana"})["ContactId"]
        ud = self.user_data()
        self.assertEqual([(c["ContactId"], c["Channel"], c["AgentContactState"]) for c in ud["Contacts"]],
                         [(task, "TASK", "INCOMING")])
        self.assertEqual(ud["Status"]["StatusName"], "Available")
        self.assertEqual(self.cc.get_contact_attributes(InstanceId=self.inst, InitialContactId=task)["Attributes"],
                         {"customer": "ana"})
        self.cc.stop_contact(InstanceId=self.inst, ContactId=task)
        contact = self.cc.describe_contact(InstanceId=self.inst, ContactId=task)["Contact"]
        self.assertEqual((contact["Channel"], contact["InitiationMethod"], contact["DisconnectReason"]), ("TASK", "API", "API"))
        self.assertLessEqual(contact["InitiationTimestamp"], contact["DisconnectTimestamp"])
        self.assertEqual(self.user_data()["Contacts"], [])
        with self.assertRaises(ClientError) as e:
            self.cc.stop_contact(InstanceId=self.inst, ContactId=task)
        self.assertEqual(e.exception.response["Error"]["Code"], "ContactNotFoundException")
        self.assertEqual(e.exception.response["ResponseMetadata"]["HTTPStatusCode"], 410)


if __name__ == "__main__":
    unittest.main()
