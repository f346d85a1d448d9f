// IAM users, keys and roles through @aws-sdk/client-iam, and AssumeRole and
// GetCallerIdentity through @aws-sdk/client-sts, mirroring TestIAMAndSTS in
// cmd/connectfed/federation_e2e_test.go.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import {
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  EntityAlreadyExistsException,
  GetRoleCommand,
  GetUserCommand,
  ListAccessKeysCommand,
  MalformedPolicyDocumentException,
  NoSuchEntityException,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import { AssumeRoleCommand, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import {
  ACCOUNT, assertNearNow, expectError, federatePolicy, federationResource, iamClient, stsClient, suffix, trustPolicy,
} from './lib.mjs';

describe('IAM and STS', () => {
  const ic = iamClient();
  const sfx = suffix();
  const userName = `e2e-js-app-${sfx}`;
  const userArn = `arn:aws:iam::${ACCOUNT}:user/${userName}`;
  const roleName = `e2e-js-role-${sfx}`;
  const roleArn = `arn:aws:iam::${ACCOUNT}:role/${roleName}`;
  const session = `agent-${sfx}`;
  let key; // { accessKeyId, secretAccessKey }

  before(async () => {
    const u = await ic.send(new CreateUserCommand({ UserName: userName }));
    assert.equal(u.User.UserName, userName);
    assert.equal(u.User.Arn, userArn);
  });

  test('CreateAccessKey, GetUser, ListAccessKeys', async () => {
    const k = await ic.send(new CreateAccessKeyCommand({ UserName: userName }));
    const ak = k.AccessKey;
    assert.equal(ak.UserName, userName);
    assert.match(ak.AccessKeyId, /^AKIA[A-Z0-9]{16}$/);
    assert.equal(ak.SecretAccessKey.length, 40);
    assert.equal(ak.Status, 'Active');
    assertNearNow(ak.CreateDate);
    key = { accessKeyId: ak.AccessKeyId, secretAccessKey: ak.SecretAccessKey };

    const g = await ic.send(new GetUserCommand({ UserName: userName }));
    assert.equal(g.User.UserName, userName);
    assert.equal(g.User.Arn, userArn);
    assert.match(g.User.UserId, /^AIDA[A-Z0-9]{17}$/);
    assertNearNow(g.User.CreateDate);

    const l = await ic.send(new ListAccessKeysCommand({ UserName: userName }));
    assert.equal(l.AccessKeyMetadata.length, 1);
    assert.equal(l.AccessKeyMetadata[0].AccessKeyId, ak.AccessKeyId);
    assert.equal(l.AccessKeyMetadata[0].Status, 'Active');
    assert.equal(l.AccessKeyMetadata[0].SecretAccessKey, undefined);
  });

  test('CreateRole, PutRolePolicy, GetRole', async () => {
    const r = await ic.send(new CreateRoleCommand({ RoleName: roleName, AssumeRolePolicyDocument: trustPolicy(userArn) }));
    assert.equal(r.Role.Arn, roleArn);
    assert.match(r.Role.RoleId, /^AROA[A-Z0-9]{17}$/);
    assertNearNow(r.Role.CreateDate);
    const put = await ic.send(new PutRolePolicyCommand({
      RoleName: roleName, PolicyName: 'federate',
      PolicyDocument: federatePolicy(federationResource('11111111-2222-4333-8444-555555555555')),
    }));
    assert.equal(put.$metadata.httpStatusCode, 200);

    const g = await ic.send(new GetRoleCommand({ RoleName: roleName }));
    assert.equal(g.Role.RoleName, roleName);
    assert.equal(g.Role.RoleId, r.Role.RoleId);
    assert.equal(g.Role.Arn, roleArn);
    // IAM returns policy documents URL-encoded; the JavaScript SDK passes
    // them on as they are.
    const doc = JSON.parse(decodeURIComponent(g.Role.AssumeRolePolicyDocument));
    assert.deepEqual(doc, JSON.parse(trustPolicy(userArn)));
  });

  test('IAM errors', async () => {
    // Names are unique case-insensitively.
    await expectError(ic.send(new CreateUserCommand({ UserName: userName.toUpperCase() })), {
      cls: EntityAlreadyExistsException, name: 'EntityAlreadyExistsException', status: 409,
      message: `User with name ${userName.toUpperCase()} already exists.`,
    });
    await expectError(ic.send(new GetUserCommand({ UserName: `ghost-${sfx}` })), {
      cls: NoSuchEntityException, name: 'NoSuchEntityException', status: 404,
      message: `The user with name ghost-${sfx} cannot be found.`,
    });
    await expectError(ic.send(new GetRoleCommand({ RoleName: `ghost-${sfx}` })), {
      cls: NoSuchEntityException, name: 'NoSuchEntityException', status: 404,
      message: `The role with name ghost-${sfx} cannot be found.`,
    });
    await expectError(ic.send(new PutUserPolicyCommand({
      UserName: userName, PolicyName: 'bad',
      PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'connect:*' }] }),
    })), { cls: MalformedPolicyDocumentException, name: 'MalformedPolicyDocumentException', status: 400, message: 'Policy statement must contain resources.' });
    await expectError(ic.send(new CreateRoleCommand({
      RoleName: `no-principal-${sfx}`,
      AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole' }] }),
    })), { cls: MalformedPolicyDocumentException, name: 'MalformedPolicyDocumentException', status: 400, message: 'Missing required field Principal' });
  });

  test('AssumeRole as the IAM user, GetCallerIdentity with the session', async () => {
    assert.ok(key, 'no access key (an earlier test failed)');
    const out = await stsClient(key).send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: session }));
    const c = out.Credentials;
    assert.match(c.AccessKeyId, /^ASIA[A-Z0-9]{16}$/);
    assert.equal(c.SecretAccessKey.length, 40);
    assert.ok(c.SessionToken.length > 0);
    assert.ok(c.Expiration instanceof Date && c.Expiration > new Date(), `Expiration ${c.Expiration}`);
    assert.equal(out.AssumedRoleUser.Arn, `arn:aws:sts::${ACCOUNT}:assumed-role/${roleName}/${session}`);
    assert.match(out.AssumedRoleUser.AssumedRoleId, new RegExp(`^AROA[A-Z0-9]{17}:${session}$`));

    const sess = { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
    const id = await stsClient(sess).send(new GetCallerIdentityCommand({}));
    assert.equal(id.Arn, `arn:aws:sts::${ACCOUNT}:assumed-role/${roleName}/${session}`);
    assert.equal(id.Account, ACCOUNT);
    assert.equal(id.UserId, out.AssumedRoleUser.AssumedRoleId);

    const me = await stsClient(key).send(new GetCallerIdentityCommand({}));
    assert.equal(me.Arn, userArn);
    const root = await stsClient().send(new GetCallerIdentityCommand({}));
    assert.equal(root.Arn, `arn:aws:iam::${ACCOUNT}:root`);
  });

  test('STS errors', async () => {
    // AccessDenied and ValidationError are not modelled by the STS client:
    // they arrive as STSServiceException with the code as name.
    await expectError(stsClient().send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: session })),
      { name: 'AccessDenied', message: 'Roles may not be assumed by root accounts.', status: 403 });
    assert.ok(key, 'no access key (an earlier test failed)');
    const missing = `arn:aws:iam::${ACCOUNT}:role/missing-${sfx}`;
    await expectError(stsClient(key).send(new AssumeRoleCommand({ RoleArn: missing, RoleSessionName: session })), {
      name: 'AccessDenied', status: 403,
      message: `User: ${userArn} is not authorized to perform: sts:AssumeRole on resource: ${missing}`,
    });
    await expectError(stsClient(key).send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'bad name!' })),
      { name: 'ValidationError', status: 400, message: /^1 validation error detected: Value 'bad name!' at 'roleSessionName'/ });
    await expectError(stsClient({ accessKeyId: 'AKIAUNKNOWNKEY000001', secretAccessKey: 'x'.repeat(40) }).send(new GetCallerIdentityCommand({})),
      { name: 'InvalidClientTokenId', status: 403, message: 'The security token included in the request is invalid.' });
    await expectError(stsClient({ accessKeyId: 'test', secretAccessKey: 'wrong' }).send(new GetCallerIdentityCommand({})), {
      name: 'SignatureDoesNotMatch', status: 403,
      message: 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
    });
  });
});
