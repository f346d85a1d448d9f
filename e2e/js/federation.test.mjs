// The README's "federate an agent" flow and GetFederationToken's error cases
// through the JavaScript SDK, mirroring TestFederateAgent and
// TestFederationErrors in cmd/connectfed/federation_e2e_test.go.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import {
  AccessDeniedException,
  ConnectServiceException,
  DeleteInstanceCommand,
  DescribeUserCommand,
  GetFederationTokenCommand,
  InvalidParameterException,
  InvalidRequestException,
  ResourceNotFoundException,
  UserNotFoundException,
} from '@aws-sdk/client-connect';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import {
  ACCOUNT, BASE_URL, REGION, assumeRole, connectClient, createAgent, createFederationRole, createIAMUserWithKey,
  createSAMLInstance, expectError, federationResource, iamClient, stsClient, suffix,
} from './lib.mjs';

const SIGNATURE_MISMATCH = 'The request signature we calculated does not match the signature you provided. ' +
  'Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

describe('GetFederationToken', () => {
  const root = connectClient();
  const ic = iamClient();
  const sfx = suffix();
  const username = `alice-${sfx}`;
  let inst; // the SAML instance the role may federate into
  let userId; // Connect user `username` in inst
  let backend; // IAM user { name, arn, credentials }
  let roleName;
  let roleArn; // may federate into inst only
  let anyRoleArn; // may federate into any instance

  before(async () => {
    inst = await createSAMLInstance(root, `e2e-js-fed-${sfx}`);
    userId = await createAgent(root, inst, username);
    backend = await createIAMUserWithKey(ic, `e2e-js-backend-${sfx}`);
    roleName = `e2e-js-federation-${sfx}`;
    roleArn = await createFederationRole(ic, roleName, backend.arn, federationResource(inst.id));
    anyRoleArn = await createFederationRole(ic, `e2e-js-federation-any-${sfx}`, backend.arn, federationResource('*'));
  });

  test('an assumed-role session named after the Connect user gets its token', async () => {
    const sess = await assumeRole(backend.credentials, roleArn, username);
    const id = await stsClient(sess).send(new GetCallerIdentityCommand({}));
    assert.equal(id.Arn, `arn:aws:sts::${ACCOUNT}:assumed-role/${roleName}/${username}`);
    assert.equal(id.Account, ACCOUNT);
    assert.match(id.UserId, new RegExp(`^AROA[A-Z0-9]{17}:${username}$`));

    const cc = connectClient(sess);
    const before = Date.now();
    const out = await cc.send(new GetFederationTokenCommand({ InstanceId: inst.id }));
    assert.equal(out.$metadata.httpStatusCode, 200);
    const c = out.Credentials;
    for (const k of ['AccessToken', 'RefreshToken']) {
      assert.equal(typeof c[k], 'string', k);
      assert.ok(c[k].length > 0, `${k} is empty`);
    }
    assert.notEqual(c.AccessToken, c.RefreshToken);
    for (const k of ['AccessTokenExpiration', 'RefreshTokenExpiration']) {
      assert.ok(c[k] instanceof Date && !Number.isNaN(c[k].getTime()), `${k} = ${c[k]} is not a Date`);
      assert.ok(c[k].getTime() > before, `${k} ${c[k].toISOString()} is not in the future`);
    }
    assert.ok(c.AccessTokenExpiration < c.RefreshTokenExpiration,
      `access token expires ${c.AccessTokenExpiration.toISOString()}, not before the refresh token ${c.RefreshTokenExpiration.toISOString()}`);
    assert.ok(out.SignInUrl.startsWith(BASE_URL), `SignInUrl ${out.SignInUrl} is not under ${BASE_URL}`);
    assert.equal(out.SignInUrl, `${BASE_URL}/connect/${inst.id}/auth/sign-in?token=${c.AccessToken}`);
    assert.equal(out.UserArn, `arn:aws:connect:${REGION}:${ACCOUNT}:instance/${inst.id}/agent/${userId}`);
    assert.equal(out.UserId, userId);

    // The token is for the Connect user named like the session.
    const du = await root.send(new DescribeUserCommand({ InstanceId: inst.id, UserId: out.UserId }));
    assert.equal(du.User.Username, username);
    // A second call gives new tokens.
    const again = await cc.send(new GetFederationTokenCommand({ InstanceId: inst.id }));
    assert.notEqual(again.Credentials.AccessToken, c.AccessToken);
    // The instance ARN works as InstanceId too.
    const byArn = await cc.send(new GetFederationTokenCommand({ InstanceId: inst.arn }));
    assert.equal(byArn.UserId, userId);
  });

  test('root credentials are InvalidRequestException 400', async () => {
    await expectError(root.send(new GetFederationTokenCommand({ InstanceId: inst.id })), {
      cls: InvalidRequestException, name: 'InvalidRequestException', status: 400,
      message: `Provided identity: Principal: arn:aws:iam::${ACCOUNT}:root User: ${ACCOUNT} cannot be used for federation with Amazon Connect`,
    });
  });

  test('a session name that matches no user is UserNotFoundException 404', async () => {
    const want = {
      cls: UserNotFoundException, name: 'UserNotFoundException', status: 404,
      message: 'No user with the specified credentials was found in the Amazon Connect instance.',
    };
    const nobody = await assumeRole(backend.credentials, roleArn, `nobody-${sfx}`);
    await expectError(connectClient(nobody).send(new GetFederationTokenCommand({ InstanceId: inst.id })), want);
    // Usernames are case-sensitive.
    const upper = await assumeRole(backend.credentials, roleArn, username.toUpperCase());
    await expectError(connectClient(upper).send(new GetFederationTokenCommand({ InstanceId: inst.id })), want);
  });

  test('an instance the policy does not allow is AccessDeniedException 403', async () => {
    const other = await createSAMLInstance(root, `e2e-js-other-${sfx}`);
    try {
      await createAgent(root, other, username);
      const sess = await assumeRole(backend.credentials, roleArn, username);
      const id = await stsClient(sess).send(new GetCallerIdentityCommand({}));
      const err = await expectError(connectClient(sess).send(new GetFederationTokenCommand({ InstanceId: other.id })), {
        cls: AccessDeniedException, name: 'AccessDeniedException', status: 403,
        message: /^User: arn:aws:sts::000000000000:assumed-role\//,
      });
      assert.equal(err.message, `User: arn:aws:sts::${ACCOUNT}:assumed-role/${roleName}/${username} is not authorized to perform: ` +
        `connect:GetFederationToken on resource: arn:aws:connect:${REGION}:${ACCOUNT}:instance/${other.id}/user/${id.UserId}`);
    } finally {
      await root.send(new DeleteInstanceCommand({ InstanceId: other.id }));
    }
  });

  test('a deleted instance is ResourceNotFoundException 404', async () => {
    const gone = await createSAMLInstance(root, `e2e-js-gone-${sfx}`);
    await createAgent(root, gone, username);
    await root.send(new DeleteInstanceCommand({ InstanceId: gone.id }));
    // The role may federate into any instance, so the existence check is reached.
    const sess = await assumeRole(backend.credentials, anyRoleArn, username);
    await expectError(connectClient(sess).send(new GetFederationTokenCommand({ InstanceId: gone.id })), {
      cls: ResourceNotFoundException, name: 'ResourceNotFoundException', status: 404, message: `Instance not found: ${gone.id}`,
    });
  });

  test('a 101-character instance id is InvalidParameterException 400', async () => {
    const sess = await assumeRole(backend.credentials, roleArn, username);
    const long = 'x'.repeat(101);
    await expectError(connectClient(sess).send(new GetFederationTokenCommand({ InstanceId: long })), {
      cls: InvalidParameterException, name: 'InvalidParameterException', status: 400,
      message: `1 validation error detected: Value '${long}' at 'instanceId' failed to satisfy constraint: Member must have length less than or equal to 100`,
    });
  });

  test('bad signatures and unknown keys are refused with 403', async () => {
    // These errors are not modelled by the Connect client: they arrive as
    // ConnectServiceException with the error type as name.
    const send = (creds) => connectClient(creds).send(new GetFederationTokenCommand({ InstanceId: inst.id }));
    await expectError(send({ accessKeyId: 'test', secretAccessKey: 'wrong-secret' }),
      { cls: ConnectServiceException, name: 'InvalidSignatureException', status: 403, message: SIGNATURE_MISMATCH });
    await expectError(send({ ...backend.credentials, secretAccessKey: backend.credentials.secretAccessKey.replace(/.$/, (ch) => (ch === 'A' ? 'B' : 'A')) }),
      { cls: ConnectServiceException, name: 'InvalidSignatureException', status: 403, message: SIGNATURE_MISMATCH });
    await expectError(send({ accessKeyId: 'AKIAUNKNOWNKEY000001', secretAccessKey: 'x'.repeat(40) }), {
      cls: ConnectServiceException, name: 'UnrecognizedClientException', status: 403,
      message: 'The security token included in the request is invalid.',
    });
    const sess = await assumeRole(backend.credentials, roleArn, username);
    await expectError(send({ ...sess, sessionToken: `${sess.sessionToken}x` }), {
      cls: ConnectServiceException, name: 'UnrecognizedClientException', status: 403,
      message: 'The security token included in the request is invalid.',
    });
  });
});
