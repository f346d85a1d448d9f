// Shared helpers for the connectfed cross-client tests with the AWS SDK for
// JavaScript v3. Every test file imports this first, so a missing
// CONNECTFED_URL fails each file at once instead of timing out.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  ConnectClient,
  CreateInstanceCommand,
  CreateUserCommand,
  ListRoutingProfilesCommand,
  ListSecurityProfilesCommand,
} from '@aws-sdk/client-connect';
import {
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateUserCommand as CreateIAMUserCommand,
  IAMClient,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';

if (!process.env.CONNECTFED_URL) {
  throw new Error('CONNECTFED_URL is not set: run the tests against a connectfed server, ' +
    'e.g. CONNECTFED_URL=http://127.0.0.1:4577 node --test e2e/js');
}

/** The server's base URL, without a trailing slash. */
export const BASE_URL = process.env.CONNECTFED_URL.replace(/\/+$/, '');
export const ACCOUNT = '000000000000';
export const REGION = 'us-east-1';
/** The development account's root keys. */
export const ROOT = { accessKeyId: 'test', secretAccessKey: 'test' };

/** A short random suffix, so reruns against one server do not collide. */
export const suffix = () => randomBytes(4).toString('hex');

function clientConfig(credentials) {
  // Static credentials, explicit region and endpoint, and no retries: an
  // error reaches the test exactly as the server sent it.
  // (A copy of credentials: the SDK annotates the object it is given.)
  return { region: REGION, endpoint: BASE_URL, credentials: { ...credentials }, maxAttempts: 1 };
}

export const connectClient = (credentials = ROOT) => new ConnectClient(clientConfig(credentials));
export const iamClient = (credentials = ROOT) => new IAMClient(clientConfig(credentials));
export const stsClient = (credentials = ROOT) => new STSClient(clientConfig(credentials));

/**
 * Awaits promise, which must reject, and checks the error: its class (when
 * `cls` is given, the SDK's exported exception), `err.name`, `err.message`
 * (a string is compared exactly, a RegExp matched) and the HTTP status.
 * Returns the error for further checks.
 */
export async function expectError(promise, { cls, name, message, status }) {
  let err;
  try {
    const out = await promise;
    assert.fail(`expected ${name}, but the call succeeded: ${JSON.stringify(out)}`);
  } catch (e) {
    if (e instanceof assert.AssertionError) throw e;
    err = e;
  }
  const got = `${err?.name}: ${err?.message} (HTTP ${err?.$metadata?.httpStatusCode})`;
  if (cls) assert.ok(err instanceof cls, `want an instance of ${cls.name}, got ${err?.constructor?.name} ${got}`);
  assert.equal(err.name, name, `error name; got ${got}`);
  if (message instanceof RegExp) {
    assert.match(err.message, message, `error message; got ${got}`);
  } else if (message !== undefined) {
    assert.equal(err.message, message, `error message; got ${got}`);
  }
  assert.equal(err.$metadata?.httpStatusCode, status, `HTTP status; got ${got}`);
  assert.ok(err.$metadata.requestId, `error without a request id: ${got}`);
  return err;
}

/** Asserts that d is a valid Date within `seconds` of now. */
export function assertNearNow(d, seconds = 60) {
  assert.ok(d instanceof Date, `want a Date, got ${typeof d} ${d}`);
  assert.ok(!Number.isNaN(d.getTime()), `invalid Date ${d}`);
  assert.ok(Math.abs(Date.now() - d.getTime()) <= seconds * 1000, `${d.toISOString()} is not within ${seconds}s of now`);
}

/** Creates a SAML instance and returns { id, arn, agentProfile, routingProfile }. */
export async function createSAMLInstance(cc, alias) {
  const inst = await cc.send(new CreateInstanceCommand({
    IdentityManagementType: 'SAML', InstanceAlias: alias,
    InboundCallsEnabled: true, OutboundCallsEnabled: true,
  }));
  const sps = await cc.send(new ListSecurityProfilesCommand({ InstanceId: inst.Id }));
  const agent = sps.SecurityProfileSummaryList.find((p) => p.Name === 'Agent');
  assert.ok(agent, `no Agent security profile in ${JSON.stringify(sps.SecurityProfileSummaryList)}`);
  const rps = await cc.send(new ListRoutingProfilesCommand({ InstanceId: inst.Id }));
  const routing = rps.RoutingProfileSummaryList.find((p) => p.Name === 'Basic Routing Profile');
  assert.ok(routing, `no Basic Routing Profile in ${JSON.stringify(rps.RoutingProfileSummaryList)}`);
  return { id: inst.Id, arn: inst.Arn, agentProfile: agent.Id, routingProfile: routing.Id };
}

/** Creates a Connect agent in inst and returns its user id. */
export async function createAgent(cc, inst, username) {
  const out = await cc.send(new CreateUserCommand({
    InstanceId: inst.id, Username: username,
    PhoneConfig: { PhoneType: 'SOFT_PHONE', AfterContactWorkTimeLimit: 0 },
    SecurityProfileIds: [inst.agentProfile], RoutingProfileId: inst.routingProfile,
  }));
  return out.UserId;
}

export const federatePolicy = (resource) => JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 'connect:GetFederationToken', Resource: resource }],
});

export const trustPolicy = (principalArn) => JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { AWS: principalArn }, Action: 'sts:AssumeRole' }],
});

/** Creates an IAM user with an access key; returns { name, arn, credentials }. */
export async function createIAMUserWithKey(ic, name) {
  const u = await ic.send(new CreateIAMUserCommand({ UserName: name }));
  const k = await ic.send(new CreateAccessKeyCommand({ UserName: name }));
  return {
    name, arn: u.User.Arn,
    credentials: { accessKeyId: k.AccessKey.AccessKeyId, secretAccessKey: k.AccessKey.SecretAccessKey },
  };
}

/** Creates a role that principalArn may assume, with a federation policy on resource. */
export async function createFederationRole(ic, name, principalArn, resource) {
  const r = await ic.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: trustPolicy(principalArn) }));
  await ic.send(new PutRolePolicyCommand({ RoleName: name, PolicyName: 'federate', PolicyDocument: federatePolicy(resource) }));
  return r.Role.Arn;
}

/** Assumes roleArn with credentials; returns the session's credentials. */
export async function assumeRole(credentials, roleArn, sessionName) {
  const out = await stsClient(credentials).send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: sessionName }));
  const c = out.Credentials;
  return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
}

/** The federation resource for an instance (or `*`), as the README documents it. */
export const federationResource = (instanceId) =>
  `arn:aws:connect:${REGION}:${ACCOUNT}:instance/${instanceId}/user/\${aws:userid}`;
