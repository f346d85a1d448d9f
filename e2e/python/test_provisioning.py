"""connectfed provisioning tests with boto3: tags, queues, hours of
operation, routing and security profiles, the agent hierarchy, SearchUsers
and instance attributes, mirroring cmd/connectfed/provision_e2e_test.go.

    CONNECTFED_URL=http://127.0.0.1:4577 python3 -m unittest -v e2e/python/test_provisioning.py
"""

import unittest

from botocore.exceptions import ClientError

from test_boto3 import ACCOUNT, REGION, client, suffix


class Provisioning(unittest.TestCase):
    def setUp(self):
        self.cc = client("connect")
        out = self.cc.create_instance(
            IdentityManagementType="SAML",
            InstanceAlias="prov-" + suffix(),
            InboundCallsEnabled=True,
            OutboundCallsEnabled=True,
            Tags={"env": "test"},
        )
        self.instance = out["Id"]
        self.addCleanup(self.cc.delete_instance, InstanceId=self.instance)

    def code(self, ctx):
        return ctx.exception.response["Error"]["Code"]

    def test_queues_profiles_and_tags(self):
        cc, inst = self.cc, self.instance
        hours = cc.list_hours_of_operations(InstanceId=inst)["HoursOfOperationSummaryList"]
        self.assertEqual([h["Name"] for h in hours], ["Basic Hours"])
        detail = cc.describe_hours_of_operation(InstanceId=inst, HoursOfOperationId=hours[0]["Id"])["HoursOfOperation"]
        self.assertEqual(len(detail["Config"]), 7)

        q = cc.create_queue(InstanceId=inst, Name="Sales", HoursOfOperationId=hours[0]["Id"], Tags={"dept": "sales"})
        self.assertEqual(q["QueueArn"], f"arn:aws:connect:{REGION}:{ACCOUNT}:instance/{inst}/queue/{q['QueueId']}")
        with self.assertRaises(ClientError) as ctx:
            cc.create_queue(InstanceId=inst, Name="Sales", HoursOfOperationId=hours[0]["Id"])
        self.assertEqual(self.code(ctx), "DuplicateResourceException")
        cc.update_queue_status(InstanceId=inst, QueueId=q["QueueId"], Status="DISABLED")
        cc.update_queue_name(InstanceId=inst, QueueId=q["QueueId"], Name="Inside Sales")
        queue = cc.describe_queue(InstanceId=inst, QueueId=q["QueueId"])["Queue"]
        self.assertEqual((queue["Name"], queue["Status"], queue["Tags"]), ("Inside Sales", "DISABLED", {"dept": "sales"}))
        names = sorted(x["Name"] for x in cc.list_queues(InstanceId=inst)["QueueSummaryList"])
        self.assertEqual(names, ["BasicQueue", "Inside Sales"])

        rp = cc.create_routing_profile(
            InstanceId=inst, Name="Sales agents", Description="sales", DefaultOutboundQueueId=q["QueueId"],
            MediaConcurrencies=[{"Channel": "VOICE", "Concurrency": 1}],
            QueueConfigs=[{"QueueReference": {"QueueId": q["QueueId"], "Channel": "VOICE"}, "Priority": 1, "Delay": 0}],
        )
        queues = cc.list_routing_profile_queues(InstanceId=inst, RoutingProfileId=rp["RoutingProfileId"])
        self.assertEqual([x["QueueName"] for x in queues["RoutingProfileQueueConfigSummaryList"]], ["Inside Sales"])
        cc.update_routing_profile_concurrency(
            InstanceId=inst, RoutingProfileId=rp["RoutingProfileId"], MediaConcurrencies=[{"Channel": "CHAT", "Concurrency": 2}]
        )
        desc = cc.describe_routing_profile(InstanceId=inst, RoutingProfileId=rp["RoutingProfileId"])["RoutingProfile"]
        self.assertEqual(sorted(m["Channel"] for m in desc["MediaConcurrencies"]), ["CHAT", "VOICE"])

        sp = cc.create_security_profile(InstanceId=inst, SecurityProfileName="Supervisor", Permissions=["BasicAgentAccess"])
        perms = cc.list_security_profile_permissions(InstanceId=inst, SecurityProfileId=sp["SecurityProfileId"])
        self.assertEqual(perms["Permissions"], ["BasicAgentAccess"])
        user = cc.create_user(
            InstanceId=inst, Username="pat", SecurityProfileIds=[sp["SecurityProfileId"]],
            RoutingProfileId=rp["RoutingProfileId"], PhoneConfig={"PhoneType": "SOFT_PHONE"}, Tags={"team": "blue"},
        )
        with self.assertRaises(ClientError) as ctx:
            cc.delete_security_profile(InstanceId=inst, SecurityProfileId=sp["SecurityProfileId"])
        self.assertEqual(self.code(ctx), "ResourceInUseException")

        for arn in (user["UserArn"], sp["SecurityProfileArn"], rp["RoutingProfileArn"], q["QueueArn"]):
            cc.tag_resource(resourceArn=arn, tags={"owner": "ops", "tmp": "1"})
            cc.untag_resource(resourceArn=arn, tagKeys=["tmp"])
            self.assertEqual(cc.list_tags_for_resource(resourceArn=arn)["tags"].get("owner"), "ops")
        with self.assertRaises(ClientError) as ctx:
            cc.list_tags_for_resource(resourceArn=f"arn:aws:connect:{REGION}:{ACCOUNT}:instance/{inst}/queue/nope")
        self.assertEqual(self.code(ctx), "ResourceNotFoundException")

    def test_hierarchy_and_search(self):
        cc, inst = self.cc, self.instance
        cc.update_user_hierarchy_structure(
            InstanceId=inst, HierarchyStructure={"LevelOne": {"Name": "Region"}, "LevelTwo": {"Name": "Team"}}
        )
        levels = cc.describe_user_hierarchy_structure(InstanceId=inst)["HierarchyStructure"]
        self.assertEqual((levels["LevelOne"]["Name"], levels["LevelTwo"]["Name"]), ("Region", "Team"))
        region = cc.create_user_hierarchy_group(InstanceId=inst, Name="EMEA")
        team = cc.create_user_hierarchy_group(InstanceId=inst, Name="Berlin", ParentGroupId=region["HierarchyGroupId"])
        group = cc.describe_user_hierarchy_group(InstanceId=inst, HierarchyGroupId=team["HierarchyGroupId"])["HierarchyGroup"]
        self.assertEqual(group["HierarchyPath"]["LevelOne"]["Name"], "EMEA")
        self.assertEqual(len(cc.list_user_hierarchy_groups(InstanceId=inst)["UserHierarchyGroupSummaryList"]), 2)

        sps = cc.list_security_profiles(InstanceId=inst)["SecurityProfileSummaryList"]
        agent = next(p["Id"] for p in sps if p["Name"] == "Agent")
        routing = cc.list_routing_profiles(InstanceId=inst)["RoutingProfileSummaryList"][0]["Id"]
        for name, skill in (("ana", "billing"), ("ben", "sales")):
            u = cc.create_user(
                InstanceId=inst, Username=name, SecurityProfileIds=[agent], RoutingProfileId=routing,
                PhoneConfig={"PhoneType": "SOFT_PHONE"}, Tags={"skill": skill},
            )
            if name == "ana":
                cc.update_user_hierarchy(InstanceId=inst, UserId=u["UserId"], HierarchyGroupId=team["HierarchyGroupId"])
        found = cc.search_users(
            InstanceId=inst,
            SearchCriteria={"HierarchyGroupCondition": {"Value": region["HierarchyGroupId"], "HierarchyGroupMatchType": "WITH_CHILD_GROUPS"}},
        )
        self.assertEqual([u["Username"] for u in found["Users"]], ["ana"])
        found = cc.search_users(
            InstanceId=inst,
            SearchFilter={"TagFilter": {"TagCondition": {"TagKey": "skill", "TagValue": "sales"}}},
            SearchCriteria={"StringCondition": {"FieldName": "Username", "Value": "b", "ComparisonType": "STARTS_WITH"}},
        )
        self.assertEqual([u["Username"] for u in found["Users"]], ["ben"])
        self.assertEqual(found["ApproximateTotalCount"], 1)
        with self.assertRaises(ClientError) as ctx:
            cc.delete_user_hierarchy_group(InstanceId=inst, HierarchyGroupId=region["HierarchyGroupId"])
        self.assertEqual(self.code(ctx), "ResourceInUseException")

    def test_instance_attributes(self):
        cc, inst = self.cc, self.instance
        cc.update_instance_attribute(InstanceId=inst, AttributeType="CONTACTFLOW_LOGS", Value="true")
        attr = cc.describe_instance_attribute(InstanceId=inst, AttributeType="CONTACTFLOW_LOGS")["Attribute"]
        self.assertEqual(attr, {"AttributeType": "CONTACTFLOW_LOGS", "Value": "true"})
        attrs = {a["AttributeType"]: a["Value"] for a in cc.list_instance_attributes(InstanceId=inst)["Attributes"]}
        self.assertEqual(attrs["INBOUND_CALLS"], "true")
        with self.assertRaises(ClientError) as ctx:
            cc.create_instance(IdentityManagementType="CONNECT_MANAGED", InboundCallsEnabled=True, OutboundCallsEnabled=True)
        self.assertEqual(self.code(ctx), "InvalidRequestException")


if __name__ == "__main__":
    unittest.main()
