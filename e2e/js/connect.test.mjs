// Connect instances and users through @aws-sdk/client-connect, mirroring
// cmd/connectfed/connect_e2e_test.go.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  CreateInstanceCommand,
  CreateUserCommand,
  DeleteInstanceCommand,
  DeleteUserCommand,
  DescribeInstanceCommand,
  DescribeUserCommand,
  DuplicateResourceException,
  InvalidParameterException,
  InvalidRequestException,
  ListInstancesCommand,
  ListRoutingProfilesCommand,
  ListSecurityProfilesCommand,
  ListUsersCommand,
  ResourceNotFoundException,
  UpdateUserIdentityInfoCommand,
  UpdateUserPhoneConfigCommand,
  UpdateUserRoutingProfileCommand,
  UpdateUserSecurityProfilesCommand,
} from '@aws-sdk/client-connect';
import {
  ACCOUNT, REGION, assertNearNow, connectClient, createAgent, createSAMLInstance, expectError, suffix,
} from './lib.mjs';

const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';

describe('Connect', () => {
  const cc = connectClient();
  const sfx = suffix();
  const alias = `e2e-js-${sfx}`;
  let inst; // { id, arn }
  const profiles = {}; // security profile name -> id
  let routingId;

  before(async () => {
    const out = await cc.send(new CreateInstanceCommand({
      IdentityManagementType: 'SAML', InstanceAlias: alias,
      InboundCallsEnabled: true, OutboundCallsEnabled: false,
      Tags: { team: 'e2e' },
    }));
    inst = { id: out.Id, arn: out.Arn };
  });

  after(async () => {
    // Best effort: the last test deletes the instance already.
    if (inst) await cc.send(new DeleteInstanceCommand({ InstanceId: inst.id })).catch(() => {});
  });

  test('CreateInstance returns the instance ARN', () => {
    assert.match(inst.id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.equal(inst.arn, `arn:aws:connect:${REGION}:${ACCOUNT}:instance/${inst.id}`);
  });

  test('DescribeInstance', async () => {
    const { Instance: i, $metadata } = await cc.send(new DescribeInstanceCommand({ InstanceId: inst.id }));
    assert.equal($metadata.httpStatusCode, 200);
    assert.equal(i.Id, inst.id);
    assert.equal(i.Arn, inst.arn);
    assert.equal(i.InstanceStatus, 'ACTIVE');
    assert.equal(i.IdentityManagementType, 'SAML');
    assert.equal(i.InstanceAlias, alias);
    assert.equal(i.InboundCallsEnabled, true);
    assert.equal(i.OutboundCallsEnabled, false);
    assert.equal(i.InstanceAccessUrl, `https://${alias}.my.connect.aws`);
    assert.deepEqual(i.Tags, { team: 'e2e' });
    assertNearNow(i.CreatedTime);
    // The instance ARN works wherever the id does.
    const byArn = await cc.send(new DescribeInstanceCommand({ InstanceId: inst.arn }));
    assert.equal(byArn.Instance.Id, inst.id);
  });

  test('ListInstances finds the instance', async () => {
    let found;
    let NextToken;
    let pages = 0;
    do {
      const out = await cc.send(new ListInstancesCommand({ MaxResults: 10, NextToken }));
      pages++;
      found ??= out.InstanceSummaryList.find((s) => s.Id === inst.id);
      NextToken = out.NextToken;
    } while (NextToken && pages < 1000);
    assert.ok(found, 'instance not listed');
    assert.equal(found.Arn, inst.arn);
    assert.equal(found.InstanceAlias, alias);
    assert.equal(found.IdentityManagementType, 'SAML');
    assert.equal(found.InstanceStatus, 'ACTIVE');
    assertNearNow(found.CreatedTime);
  });

  test('ListSecurityProfiles and ListRoutingProfiles have the defaults', async () => {
    const sps = await cc.send(new ListSecurityProfilesCommand({ InstanceId: inst.id }));
    for (const p of sps.SecurityProfileSummaryList) {
      profiles[p.Name] = p.Id;
      assert.equal(p.Arn, `${inst.arn}/security-profile/${p.Id}`);
    }
    for (const name of ['Admin', 'Agent', 'CallCenterManager', 'QualityAnalyst']) {
      assert.ok(profiles[name], `security profile ${name} missing: ${JSON.stringify(profiles)}`);
    }
    const rps = await cc.send(new ListRoutingProfilesCommand({ InstanceId: inst.id }));
    assert.deepEqual(rps.RoutingProfileSummaryList.map((p) => p.Name), ['Basic Routing Profile']);
    routingId = rps.RoutingProfileSummaryList[0].Id;
    assert.equal(rps.RoutingProfileSummaryList[0].Arn, `${inst.arn}/routing-profile/${routingId}`);
  });

  test('user lifecycle: create, describe, update, delete', async () => {
    const username = `jane.doe.${sfx}@example.com`;
    const cu = await cc.send(new CreateUserCommand({
      InstanceId: inst.id, Username: username,
      SecurityProfileIds: [profiles.Agent], RoutingProfileId: routingId,
      PhoneConfig: { PhoneType: 'SOFT_PHONE', AfterContactWorkTimeLimit: 30 },
      IdentityInfo: { FirstName: 'Jane', LastName: 'Doe', Email: 'jane.doe@example.com' },
    }));
    const userId = cu.UserId;
    assert.equal(cu.UserArn, `${inst.arn}/agent/${userId}`);

    let { User: u } = await cc.send(new DescribeUserCommand({ InstanceId: inst.id, UserId: userId }));
    assert.equal(u.Id, userId);
    assert.equal(u.Arn, cu.UserArn);
    assert.equal(u.Username, username);
    assert.deepEqual(u.IdentityInfo, { FirstName: 'Jane', LastName: 'Doe', Email: 'jane.doe@example.com' });
    assert.equal(u.PhoneConfig.PhoneType, 'SOFT_PHONE');
    assert.equal(u.PhoneConfig.AfterContactWorkTimeLimit, 30);
    assert.deepEqual(u.SecurityProfileIds, [profiles.Agent]);
    assert.equal(u.RoutingProfileId, routingId);
    assert.equal(u.LastModifiedRegion, REGION);
    assertNearNow(u.LastModifiedTime);

    await cc.send(new UpdateUserIdentityInfoCommand({
      InstanceId: inst.id, UserId: userId, IdentityInfo: { FirstName: 'Janet', LastName: 'Doe' },
    }));
    await cc.send(new UpdateUserPhoneConfigCommand({
      InstanceId: inst.id, UserId: userId,
      PhoneConfig: { PhoneType: 'DESK_PHONE', DeskPhoneNumber: '+14155550100', AutoAccept: true, AfterContactWorkTimeLimit: 0 },
    }));
    await cc.send(new UpdateUserSecurityProfilesCommand({
      InstanceId: inst.id, UserId: userId, SecurityProfileIds: [profiles.Agent, profiles.QualityAnalyst],
    }));
    await cc.send(new UpdateUserRoutingProfileCommand({ InstanceId: inst.id, UserId: userId, RoutingProfileId: routingId }));

    ({ User: u } = await cc.send(new DescribeUserCommand({ InstanceId: inst.id, UserId: userId })));
    assert.equal(u.IdentityInfo.FirstName, 'Janet');
    assert.equal(u.PhoneConfig.PhoneType, 'DESK_PHONE');
    assert.equal(u.PhoneConfig.DeskPhoneNumber, '+14155550100');
    assert.equal(u.PhoneConfig.AutoAccept, true);
    assert.deepEqual([...u.SecurityProfileIds].sort(), [profiles.Agent, profiles.QualityAnalyst].sort());
    assert.equal(u.RoutingProfileId, routingId);

    // An update naming a profile that does not exist is refused.
    await expectError(cc.send(new UpdateUserSecurityProfilesCommand({
      InstanceId: inst.id, UserId: userId, SecurityProfileIds: ['no-such-profile'],
    })), { cls: ResourceNotFoundException, name: 'ResourceNotFoundException', message: 'Security profile not found: no-such-profile', status: 404 });

    const del = await cc.send(new DeleteUserCommand({ InstanceId: inst.id, UserId: userId }));
    assert.equal(del.$metadata.httpStatusCode, 200);
    await expectError(cc.send(new DescribeUserCommand({ InstanceId: inst.id, UserId: userId })),
      { cls: ResourceNotFoundException, name: 'ResourceNotFoundException', message: `User not found: ${userId}`, status: 404 });
    await expectError(cc.send(new DeleteUserCommand({ InstanceId: inst.id, UserId: userId })),
      { cls: ResourceNotFoundException, name: 'ResourceNotFoundException', message: `User not found: ${userId}`, status: 404 });
  });

  test('duplicate username is DuplicateResourceException 409', async () => {
    const username = `dup-${sfx}`;
    await createAgent(cc, { id: inst.id, agentProfile: profiles.Agent, routingProfile: routingId }, username);
    await expectError(cc.send(new CreateUserCommand({
      InstanceId: inst.id, Username: username, SecurityProfileIds: [profiles.Agent], RoutingProfileId: routingId,
    })), { cls: DuplicateResourceException, name: 'DuplicateResourceException', message: `User with username ${username} already exists.`, status: 409 });
    // Usernames are case-sensitive: another case is another user.
    await createAgent(cc, { id: inst.id, agentProfile: profiles.Agent, routingProfile: routingId }, username.toUpperCase());
  });

  test('ListUsers paginates with MaxResults 2 and NextToken', async () => {
    const own = await createSAMLInstance(cc, `e2e-js-page-${sfx}`);
    try {
      const want = new Map();
      for (let i = 0; i < 5; i++) {
        const name = `agent${i}-${sfx}`;
        want.set(name, await createAgent(cc, own, name));
      }
      const seen = new Map();
      let NextToken;
      const sizes = [];
      do {
        const out = await cc.send(new ListUsersCommand({ InstanceId: own.id, MaxResults: 2, NextToken }));
        sizes.push(out.UserSummaryList.length);
        for (const s of out.UserSummaryList) {
          assert.ok(!seen.has(s.Username), `user ${s.Username} listed twice`);
          seen.set(s.Username, s.Id);
          assert.equal(s.Arn, `${own.arn}/agent/${s.Id}`);
        }
        NextToken = out.NextToken;
        assert.ok(sizes.length <= 5, 'ListUsers does not end');
      } while (NextToken);
      assert.deepEqual(sizes, [2, 2, 1]);
      assert.deepEqual(new Map([...seen].sort()), new Map([...want].sort()));

      // A forged token is InvalidRequestException.
      await expectError(cc.send(new ListUsersCommand({ InstanceId: own.id, NextToken: 'Zm9yZ2VkLXRva2VuLXRoYXQtaXMtbG9uZw' })),
        { cls: InvalidRequestException, name: 'InvalidRequestException', message: 'The nextToken is not valid.', status: 400 });
    } finally {
      await cc.send(new DeleteInstanceCommand({ InstanceId: own.id }));
    }
  });

  test('unknown ids are ResourceNotFoundException 404', async () => {
    await expectError(cc.send(new DescribeUserCommand({ InstanceId: inst.id, UserId: UNKNOWN_ID })),
      { cls: ResourceNotFoundException, name: 'ResourceNotFoundException', message: `User not found: ${UNKNOWN_ID}`, status: 404 });
    await expectError(cc.send(new DescribeInstanceCommand({ InstanceId: UNKNOWN_ID })),
      { cls: ResourceNotFoundException, name: 'ResourceNotFoundException', message: `Instance not found: ${UNKNOWN_ID}`, status: 404 });
    await expectError(cc.send(new ListUsersCommand({ InstanceId: UNKNOWN_ID })),
      { cls: ResourceNotFoundException, name: 'ResourceNotFoundException', message: `Instance not found: ${UNKNOWN_ID}`, status: 404 });
  });

  test('a 101-character instance id is InvalidParameterException 400', async () => {
    const long = 'a'.repeat(101);
    await expectError(cc.send(new DescribeUserCommand({ InstanceId: long, UserId: 'x' })), {
      cls: InvalidParameterException, name: 'InvalidParameterException', status: 400,
      message: `1 validation error detected: Value '${long}' at 'instanceId' failed to satisfy constraint: Member must have length less than or equal to 100`,
    });
  });

  test('DeleteInstance', async () => {
    const out = await cc.send(new DeleteInstanceCommand({ InstanceId: inst.id }));
    assert.equal(out.$metadata.httpStatusCode, 200);
    await expectError(cc.send(new DescribeInstanceCommand({ InstanceId: inst.id })),
      { cls: ResourceNotFoundException, name: 'ResourceNotFoundException', message: `Instance not found: ${inst.id}`, status: 404 });
    await expectError(cc.send(new ListUsersCommand({ InstanceId: inst.id })),
      { cls: ResourceNotFoundException, name: 'ResourceNotFoundException', status: 404 });
    inst = undefined;
  });
});
