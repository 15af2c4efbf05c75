import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  type AccountCredentials,
  createAccount,
  createTestApp,
  getToken,
  type TestApp,
} from '../helpers/app.js';

/**
 * Replays the documented CCS examples (shared/reference/liveperson-api-facts.md §2.4-2.5) with the headers the
 * examples use, checking status codes and body shapes. Only the base URL and the credentials differ.
 */
const ACCOUNT = 'le12345678';
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe('compatibility with the documented CCS examples', () => {
  let t: TestApp;
  let acct: AccountCredentials;
  let token: string;
  before(async () => {
    t = await createTestApp({ store: 'sqlite' });
    acct = await createAccount(t, ACCOUNT);
    token = await getToken(t, acct);
  });
  after(async () => t.close());

  const v2 = (method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown) =>
    t.app.inject({
      method,
      url: `${path}?access_token=${token}`,
      headers: { accept: 'application/json', 'Content-Type': 'application/json' },
      ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
    });
  const v1 = (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: string) =>
    t.app.inject({
      method,
      url: `/v1/account/${ACCOUNT}${path}`,
      headers: { 'Content-Type': 'application/json', 'maven-api-key': acct.apiKey },
      ...(body === undefined ? {} : { payload: body }),
    });

  describe('v2', () => {
    test('save (batch upsert) → 201 {documentKey, tenantId, success}', async () => {
      const response = await v2('POST', '/v2/context/document/create', {
        accountId: 'le12345678',
        nameSpace: 'myNamespace',
        sessionId: 'mySessionId',
        ttlSeconds: 3600,
        payload: { property1: 100, Property2: 'abc' },
      });
      assert.equal(response.statusCode, 201);
      assert.deepEqual(response.json(), {
        documentKey: 'le12345678:myNamespace:mySessionId',
        tenantId: 'le12345678',
        success: true,
      });
      const namespaceLevel = await v2('POST', '/v2/context/document/create', {
        accountId: 'le12345678',
        nameSpace: 'myNamespace',
        ttlSeconds: 3600,
        payload: { property1: 100, Property2: 'abc' },
      });
      assert.equal(namespaceLevel.statusCode, 201);
      assert.equal(namespaceLevel.json().documentKey, 'le12345678:myNamespace:');
    });

    test('read namespace → 200 with the documented fields and an ISO ttl', async () => {
      const response = await v2('GET', '/v2/context/document/le12345678/myNamespace');
      assert.equal(response.statusCode, 200);
      const body = response.json() as Record<string, unknown>;
      assert.deepEqual(Object.keys(body).sort(), [
        'accountId',
        'documentKey',
        'documentType',
        'nameSpace',
        'payload',
        'tenantId',
        'ttl',
      ]);
      assert.deepEqual(
        { ...body, ttl: 'checked below' },
        {
          accountId: 'le12345678',
          documentKey: 'le12345678:myNamespace:',
          documentType: 'CONTEXT',
          nameSpace: 'myNamespace',
          payload: { Property2: 'abc', property1: 100 },
          tenantId: 'le12345678',
          ttl: 'checked below',
        },
      );
      assert.match(String(body.ttl), ISO);
      assert.equal(Date.parse(String(body.ttl)), t.clock.now() + 3_600_000);
    });

    test('read session → the same shape plus sessionId', async () => {
      const response = await v2('GET', '/v2/context/document/le12345678/myNamespace/mySessionId');
      assert.equal(response.statusCode, 200);
      const body = response.json() as Record<string, unknown>;
      assert.equal(body.documentKey, 'le12345678:myNamespace:mySessionId');
      assert.equal(body.sessionId, 'mySessionId');
      assert.equal(body.documentType, 'CONTEXT');
      assert.deepEqual(body.payload, { property1: 100, Property2: 'abc' });
      assert.match(String(body.ttl), ISO);
    });

    test('read selected properties → a flat map keyed by qualified names', async () => {
      // The documented example filters "myNamespace.property2" after saving "Property2"; property names are
      // case-sensitive here, so the replay uses the name as it was saved.
      const response = await v2('POST', '/v2/context/document/properties', {
        accountId: 'le12345678',
        nameSpace: 'myNamespace',
        sessionId: 'mySessionId',
        filter: ['myNamespace.property1', 'myNamespace.Property2'],
      });
      assert.equal(response.statusCode, 200);
      assert.deepEqual(response.json(), { 'myNamespace.property1': 100, 'myNamespace.Property2': 'abc' });
    });

    test('delete listed properties → 200 {documentKey, tenantId, success}', async () => {
      const response = await v2('DELETE', '/v2/context/document/property/delete', {
        accountId: 'le12345678',
        nameSpace: 'myNamespace',
        sessionId: 'mySessionId',
        propertyToDelete: ['property1'],
      });
      assert.equal(response.statusCode, 200);
      assert.deepEqual(response.json(), {
        documentKey: 'le12345678:myNamespace:mySessionId',
        tenantId: 'le12345678',
        success: true,
      });
      const after = await v2('GET', '/v2/context/document/le12345678/myNamespace/mySessionId');
      assert.deepEqual(after.json().payload, { Property2: 'abc' });
    });

    test('delete all properties of a session or namespace (both documented paths) → 200', async () => {
      const session = await v2('DELETE', '/v2/context/document/property/delete', {
        accountId: 'le12345678',
        nameSpace: 'myNamespace',
        sessionId: 'mySessionId',
      });
      assert.equal(session.statusCode, 200);
      assert.deepEqual(session.json(), {
        documentKey: 'le12345678:myNamespace:mySessionId',
        tenantId: 'le12345678',
        success: true,
      });
      assert.equal(
        (await v2('GET', '/v2/context/document/le12345678/myNamespace/mySessionId')).statusCode,
        404,
      );
      const namespace = await v2('DELETE', '/v2/context/document/delete', {
        accountId: 'le12345678',
        nameSpace: 'myNamespace',
      });
      assert.equal(namespace.statusCode, 200);
      assert.deepEqual(namespace.json(), {
        documentKey: 'le12345678:myNamespace:',
        tenantId: 'le12345678',
        success: true,
      });
      assert.equal((await v2('GET', '/v2/context/document/le12345678/myNamespace')).statusCode, 404);
    });
  });

  describe('v1', () => {
    test('namespaces: create (with and without TTL) → 204 empty; list → [{name, createdAt, ttlSecond?}]', async () => {
      const created = await v1('POST', '', '{"name":"myNamespace"}');
      assert.equal(created.statusCode, 204);
      assert.equal(created.body, '');
      assert.equal((await v1('POST', '?ttlSecond=3600', '{"name":"withTtl"}')).statusCode, 204);
      const listed = await v1('GET', '');
      assert.equal(listed.statusCode, 200);
      const names = listed.json() as { name: string; createdAt: string; ttlSecond?: number }[];
      const mine = names.find((n) => n.name === 'myNamespace');
      assert.ok(mine);
      assert.match(mine.createdAt, ISO);
      assert.deepEqual(names.find((n) => n.name === 'withTtl')?.ttlSecond, 3600);
    });

    test('namespace properties: PATCH → 204, PUT raw value → 204, GET all → object, GET one → raw value', async () => {
      const patch = await v1(
        'PATCH',
        '/myNamespace/properties',
        '{"myProperty1":"myValue1","myProperty2":2,"myProperty3":{"name":"myValue3"}}',
      );
      assert.equal(patch.statusCode, 204);
      assert.equal(patch.body, '');
      assert.equal((await v1('PUT', '/myNamespace/properties/myProperty4', '"value4"')).statusCode, 204);
      const all = await v1('GET', '/myNamespace/properties');
      assert.equal(all.statusCode, 200);
      assert.deepEqual(all.json(), {
        myProperty1: 'myValue1',
        myProperty2: 2,
        myProperty3: { name: 'myValue3' },
        myProperty4: 'value4',
      });
      const one = await v1('GET', '/myNamespace/properties/myProperty1');
      assert.equal(one.statusCode, 200);
      assert.equal(one.json(), 'myValue1');
      const some = await v1('GET', '/myNamespace/properties?include=myProperty1,myProperty2');
      assert.deepEqual(some.json(), { myProperty1: 'myValue1', myProperty2: 2 });
      assert.equal((await v1('DELETE', '/myNamespace/properties/myProperty1')).statusCode, 204);
    });

    test('session properties, enumeration and TTLs', async () => {
      assert.equal((await v1('PATCH', '/myNamespace/mySessionId/properties', '{"a":1}')).statusCode, 204);
      assert.equal((await v1('PUT', '/myNamespace/mySessionId/properties/b', '"two"')).statusCode, 204);
      assert.deepEqual((await v1('GET', '/myNamespace/mySessionId/properties')).json(), { a: 1, b: 'two' });
      assert.equal((await v1('GET', '/myNamespace/mySessionId/properties/b')).json(), 'two');
      const ids = await v1('GET', '/myNamespace/session-ids?page=0&perPage=100');
      assert.deepEqual(ids.json(), ['__default__', 'mySessionId']);
      const withProps = (await v1('GET', '/myNamespace/session-properties')).json() as {
        sessionId: string;
      }[];
      assert.deepEqual(withProps[1], { sessionId: 'mySessionId', properties: { a: 1, b: 'two' } });

      assert.equal(
        (await v1('POST', '/namespace/myNamespace/session?ttlSecond=600', '{"sessionId":"mySessionId"}'))
          .statusCode,
        204,
      );
      const ttls = (await v1('GET', '/namespace/myNamespace/session')).json() as Record<string, unknown>[];
      assert.deepEqual(Object.keys(ttls[0] ?? {}).sort(), ['createdAt', 'sessionId', 'ttlSecond']);
      assert.equal(ttls[0]?.ttlSecond, 600);
      assert.equal((await v1('DELETE', '/myNamespace/mySessionId/properties')).statusCode, 204);
      assert.equal(
        ((await v1('GET', '/namespace/myNamespace/session')).json() as unknown[]).length,
        1,
        'the TTL stays',
      );
      assert.equal((await v1('DELETE', '/namespace/myNamespace/session/mySessionId')).statusCode, 204);
      assert.deepEqual((await v1('GET', '/namespace/myNamespace/session')).json(), []);
      assert.equal((await v1('DELETE', '/myNamespace')).statusCode, 204);
      assert.deepEqual((await v1('GET', '/myNamespace/properties')).json(), {});
    });

    test('reserved namespace → 400', async () => {
      for (const name of ['consumer', 'operational', 'conversation', 'custom', 'sde', 'faas']) {
        assert.equal((await v1('POST', '', JSON.stringify({ name }))).statusCode, 400);
        assert.equal((await v1('PATCH', `/${name}/properties`, '{"a":1}')).statusCode, 400);
      }
    });
  });

  test('every context route is in /openapi.json with its security, parameters and responses', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/openapi.json' });
    assert.equal(response.statusCode, 200);
    type Operation = {
      security?: unknown[];
      parameters?: { name: string }[];
      requestBody?: unknown;
      responses?: object;
    };
    const paths = (response.json() as { paths: Record<string, Record<string, Operation>> }).paths;
    const v1 = '/v1/account/{accountId}';
    const expected: Record<string, string[]> = {
      [v1]: ['get', 'post'],
      [`${v1}/{namespace}`]: ['delete'],
      [`${v1}/{namespace}/properties`]: ['get', 'patch', 'delete'],
      [`${v1}/{namespace}/properties/{property}`]: ['get', 'put', 'delete'],
      [`${v1}/{namespace}/{sessionId}/properties`]: ['get', 'patch', 'delete'],
      [`${v1}/{namespace}/{sessionId}/properties/{property}`]: ['get', 'put', 'delete'],
      [`${v1}/{namespace}/session-ids`]: ['get'],
      [`${v1}/{namespace}/session-properties`]: ['get'],
      [`${v1}/namespace/{namespace}/session`]: ['get', 'post'],
      [`${v1}/namespace/{namespace}/session/{sessionId}`]: ['delete'],
      '/v2/context/document/create': ['post'],
      '/v2/context/document/{accountId}/{nameSpace}': ['get'],
      '/v2/context/document/{accountId}/{nameSpace}/{sessionId}': ['get'],
      '/v2/context/document/properties': ['post'],
      '/v2/context/document/property/delete': ['delete'],
      '/v2/context/document/delete': ['delete'],
    };
    for (const [path, methods] of Object.entries(expected)) {
      for (const method of methods) {
        const operation = paths[path]?.[method];
        assert.ok(operation, `${method.toUpperCase()} ${path} is documented`);
        assert.ok(operation.security?.length, `${method} ${path} names its security scheme`);
        assert.ok(
          operation.responses && Object.keys(operation.responses).some((code) => code.startsWith('2')),
        );
        for (const name of path.match(/\{(\w+)\}/g) ?? []) {
          assert.ok(
            operation.parameters?.some((p) => `{${p.name}}` === name),
            `${method} ${path} documents ${name}`,
          );
        }
        if (['post', 'patch', 'put'].includes(method))
          assert.ok(operation.requestBody, `${method} ${path} has a body`);
      }
    }
  });

  test('v1 and v2 see the same data', async () => {
    assert.equal((await v1('PATCH', '/shared/conv9/properties', '{"fromV1":true}')).statusCode, 204);
    const created = await v2('POST', '/v2/context/document/create', {
      accountId: ACCOUNT,
      nameSpace: 'shared',
      sessionId: 'conv9',
      payload: { fromV2: 1 },
    });
    assert.equal(created.statusCode, 201);
    assert.deepEqual((await v1('GET', '/shared/conv9/properties')).json(), { fromV1: true, fromV2: 1 });
    assert.deepEqual((await v2('GET', '/v2/context/document/le12345678/shared/conv9')).json().payload, {
      fromV1: true,
      fromV2: 1,
    });
  });
});
