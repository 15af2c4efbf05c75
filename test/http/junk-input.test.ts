import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import type { Store } from '../../src/ports/store.js';
import { storeFactories } from '../contract/adapters.js';
import {
  type AccountCredentials,
  basic,
  createAccount,
  createTestApp,
  getToken,
  type TestApp,
} from '../helpers/app.js';
import { CLIENT_CERT_HEADER, certificate, der } from '../helpers/mtls.js';

/**
 * Every documented operation, called with valid credentials and then with whatever fast-check makes of its
 * path, query, headers and body: nothing a client sends may answer 5xx, log an unexpected failure, lose a
 * policy log entry, or change the account when it is refused (4xx: nothing written, not even in part). The
 * inputs follow the operation's own OpenAPI description (its parameter names, its body's property names and
 * types), so that most requests get past the first check and reach the code behind it, and mix in what
 * clients get wrong: other types, repeated parameters, wrong content types, bad percent-encoding, deep
 * nesting, prototype keys, odd Unicode.
 */

interface Schema {
  type?: string | string[];
  properties?: Record<string, Schema>;
  items?: Schema;
  enum?: unknown[];
  required?: string[];
  minItems?: number;
  anyOf?: Schema[];
  oneOf?: Schema[];
}
interface Parameter {
  in: 'path' | 'query' | 'header' | 'cookie';
  name: string;
  schema?: Schema;
}
interface Operation {
  parameters?: Parameter[];
  requestBody?: { content?: Record<string, { schema?: Schema }> };
}

/** Routes whose answers are not the API's own (documentation pages, the web app's files). */
const SKIP = /^\/(docs|app|assets)(\/|$)/;
/** Requests per operation; `JUNK_STATS=1` also prints how many of each got which status (how deep they got). */
const RUNS = Number(process.env.JUNK_RUNS ?? 40);

let t: TestApp;
let paths: [string, string, Operation][];

async function open(store: Store): Promise<void> {
  // Requests come from 127.0.0.1, the proxy that forwards client certificates here.
  t = await createTestApp({
    store,
    clientCertificates: { header: CLIENT_CERT_HEADER, proxies: ['127.0.0.1'] },
  });
  const spec = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json() as {
    paths: Record<string, Record<string, Operation>>;
  };
  paths = Object.entries(spec.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]): [string, string, Operation] => [
      method.toUpperCase(),
      path,
      operation,
    ]),
  );
}

/** A fresh account for each operation (an earlier one may have regenerated or deleted its credentials). */
interface Caller {
  account: AccountCredentials;
  token: string;
  operatorToken: string;
  policyId: string;
}

async function newCaller(): Promise<Caller> {
  const account = await createAccount(t);
  const token = await getToken(
    t,
    account,
    'context:read context:write next-actions policies:read policies:write',
  );
  const operatorToken = (
    await t.services.operators.createApiToken('admin', `junk ${account.accountId}`, null)
  ).token;
  const send = async (method: 'POST' | 'PATCH', url: string, payload: unknown, headers = {}) => {
    const response = await t.app.inject({ method, url, payload: payload as object, headers });
    assert.ok(response.statusCode < 300, `${method} ${url}: ${response.statusCode} ${response.body}`);
    return response;
  };
  const v1 = { 'maven-api-key': account.apiKey };
  const v2 = { authorization: `Bearer ${token}` };
  await send('POST', `/v1/account/${account.accountId}`, { name: 'orders' }, v1);
  await send('PATCH', `/v1/account/${account.accountId}/orders/s1/properties`, { a: 1, b: 'x' }, v1);
  await send(
    'POST',
    '/v2/context/document/create',
    { accountId: account.accountId, nameSpace: 'shop', sessionId: 'conv1', payload: { a: 1 } },
    v2,
  );
  const policy = await send(
    'POST',
    '/v2/policies',
    {
      name: 'vip',
      enabled: true,
      conditions: [{ attribute: 'shop.a', operator: 'EQUAL', value: 1 }],
      actions: [{ type: 'TRANSFER_TO_SKILL', payload: { skillId: '12' } }],
    },
    v2,
  );
  return { account, token, operatorToken, policyId: (policy.json() as { id: string }).id };
}

/** Text clients send by mistake or on purpose; control characters (NUL above all: PostgreSQL text cannot hold it) often. */
const junkString = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.string({ maxLength: 4 }), fc.constantFrom('\u0000', '\u0000', '\u0001', '\u007f', '\ufeff'))
      .map(([text, control]) => `${text}${control}${text}`),
  },
  fc.constantFrom(
    '',
    ' ',
    '__proto__',
    'constructor',
    'toString',
    '..',
    '.',
    '\u0000',
    '\ud800',
    'a'.repeat(5000),
    '1e400',
    '-0',
    'null',
    '[]',
    '{}',
    "'; DROP TABLE accounts; --",
    '%',
    '%E0%A4%A',
    '{{custom.x}}',
  ),
);

const junkJson: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  junkString,
  fc.constantFrom(1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, -0, 0.1, -1, 2 ** 31, 2 ** 53),
  fc.dictionary(
    fc.constantFrom('__proto__', 'constructor', 'prototype', 'a', ''),
    fc.jsonValue({ maxDepth: 1 }),
  ),
);

/**
 * Values the caller's account has: by the name of the field or parameter that takes them, and all of them;
 * and valid examples of the objects the API takes (a policy, a condition, an action).
 */
interface Known {
  byName: Record<string, string[]>;
  values: string[];
  examples: Record<string, unknown>[];
}

const EXAMPLES: Record<string, unknown>[] = [
  {
    name: 'vip',
    enabled: true,
    conditions: [{ attribute: 'custom.tier', operator: 'EQUAL', value: 'gold' }],
    actions: [{ type: 'TRANSFER_TO_SKILL', payload: { skillId: '12' } }],
  },
  {
    name: 'tier',
    expression: "shop.a == 1 and custom.tier in ('gold', 'silver')",
    actions: [{ type: 'SEND_MESSAGE', payload: { message: 'hello {{custom.tier}}' } }],
  },
  { attribute: 'shop.a', operator: 'GREATER_THAN', value: 1 },
  { type: 'TRANSFER_TO_AGENT', payload: { userId: 'agent-1', skillId: 12 } },
];

/** A value shaped like `schema` most of the time, anything else some of the time. */
function shaped(schema: Schema | undefined, known: Known, depth = 0, name = ''): fc.Arbitrary<unknown> {
  if (!schema || depth > 4) return junkJson;
  const choices: fc.Arbitrary<unknown>[] = [];
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives) choices.push(...alternatives.map((s) => shaped(s, known, depth + 1, name)));
  if (schema.enum) choices.push(fc.constantFrom(...schema.enum));
  const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  for (const type of types) {
    if (type === 'object' && !schema.properties) {
      // Keys the account has, and the names of the fields the API knows (an action's payload takes skillId).
      const keys = fc.constantFrom(...known.values, ...Object.keys(known.byName), 'x');
      choices.push(fc.dictionary(keys, fc.jsonValue({ maxDepth: 2 })));
    } else if (type === 'object') {
      const fields = Object.fromEntries(
        Object.entries(schema.properties ?? {}).map(([field, s]) => [
          field,
          shaped(s, known, depth + 1, field),
        ]),
      );
      // Every field (the likeliest to get past validation), every field but one (a body whose fields exclude
      // each other, as a policy's conditions and expression, is valid only so), or some of them.
      const names = Object.keys(fields);
      choices.push(fc.record(fields), fc.record(fields, { requiredKeys: [] }));
      // A valid example of this shape, as is or with one field made anything the shape allows (or junk):
      // deep shapes such as a policy are seldom all valid at once otherwise.
      const examples = known.examples.filter(
        (example) =>
          Object.keys(example).every((field) => field in fields) &&
          (schema.required ?? []).every((field) => field in example),
      );
      if (examples.length > 0) {
        choices.push(
          fc.constantFrom(...examples),
          fc
            .tuple(fc.constantFrom(...examples), fc.constantFrom(...names))
            .chain(([example, field]) =>
              (fields[field] as fc.Arbitrary<unknown>).map((value) => ({ ...example, [field]: value })),
            ),
        );
      }
      if (names.length > 1) {
        choices.push(
          fc
            .tuple(fc.record(fields), fc.constantFrom(...names))
            .map(([body, left]) => Object.fromEntries(Object.entries(body).filter(([f]) => f !== left))),
        );
      }
    } else if (type === 'array') {
      const minLength = Math.min(schema.minItems ?? 0, 4);
      choices.push(fc.array(shaped(schema.items, known, depth + 1), { minLength, maxLength: 4 }));
    } else if (type === 'string') {
      choices.push(
        fc.oneof(
          { weight: 4, arbitrary: fc.constantFrom(...(known.byName[name] ?? known.values)) },
          { weight: 1, arbitrary: junkString },
        ),
      );
    } else if (type === 'number' || type === 'integer') {
      choices.push(fc.nat(100_000), fc.integer(), fc.double(), fc.constantFrom(0, -1, 1e15, 2 ** 31));
    } else if (type === 'boolean') {
      choices.push(fc.boolean());
    } else if (type === 'null') {
      choices.push(fc.constant(null));
    }
  }
  if (choices.length === 0) return junkJson;
  // Mostly the right shape, so that a request with several fields often gets past validation as a whole.
  return fc.oneof({ weight: 12, arbitrary: fc.oneof(...choices) }, { weight: 1, arbitrary: junkJson });
}

/** Nesting deep enough to break anything that walks a value by recursion, inside the body limits. */
const deep = fc
  .tuple(fc.integer({ min: 1_000, max: 20_000 }), fc.constantFrom('[', '{"a":'))
  .map(([depth, open]) => `${open.repeat(depth)}1${(open === '[' ? ']' : '}').repeat(depth)}`);

const rawText = fc.oneof(
  fc.constantFrom(
    '',
    '{',
    '[',
    '}',
    'null',
    'true',
    '"x"',
    '{"a":1,"a":2}',
    '{"__proto__":{"x":1}}',
    '\u0000',
  ),
  fc.string({ unit: 'binary', maxLength: 200 }),
  deep,
);

/** A path segment: a value the account has, junk, or a malformed percent-encoding. */
function segment(known: Known, name: string): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom(...(known.byName[name] ?? known.values)) },
    { weight: 3, arbitrary: junkString.map((v) => encodeURIComponent(Buffer.from(v).toString())) },
    { weight: 1, arbitrary: fc.constantFrom('%', '%E0%A4%A', '%00', '%2F', '..', '%2e%2e', 'a%20b') },
  );
}

function queryValue(known: Known, name: string): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constantFrom(...(known.byName[name] ?? known.values), '0', '-1', '3600', 'true'),
    junkString,
  );
}

/** The OAuth endpoints' form fields (their bodies are parsed by the node, not described by a schema). */
const FORM_FIELDS = ['grant_type', 'scope', 'token', 'token_type_hint', 'client_id', 'client_secret'];

function formBody(schema: Schema | undefined, known: Known): fc.Arbitrary<string> {
  const names = [...Object.keys(schema?.properties ?? {}), ...FORM_FIELDS];
  const value = fc.oneof(
    fc.constantFrom(...known.values, 'client_credentials', 'access_token', 'policies:write context:read'),
    junkString,
  );
  const pair = fc.tuple(fc.oneof(fc.constantFrom(...names, 'x'), junkString), value);
  return fc.oneof(
    fc.array(pair, { maxLength: 8 }).map((pairs) => new URLSearchParams(pairs).toString()),
    fc
      .array(pair, { maxLength: 2 })
      .map((pairs) => new URLSearchParams([['grant_type', 'client_credentials'], ...pairs]).toString()),
    rawText,
    fc.constantFrom('a=%', 'scope=%E0%A4%A', '&&&', '=', 'grant_type'),
  );
}

type Family = 'v1' | 'v2' | 'client' | 'operator' | 'none';

function familyOf(path: string): Family {
  if (path.startsWith('/v1/')) return 'v1';
  if (path.startsWith('/oauth/') || path.startsWith('/v2/authenticate/')) return 'client';
  if (path.startsWith('/v2/')) return 'v2';
  if (path.startsWith('/api/admin/')) return 'operator';
  return 'none';
}

function credentials(family: Family, caller: Caller): Record<string, string> {
  switch (family) {
    case 'v1':
      return { 'maven-api-key': caller.account.apiKey };
    case 'v2':
      return { authorization: `Bearer ${caller.token}` };
    case 'client':
      return { authorization: basic(caller.account.userId, caller.account.password) };
    case 'operator':
      return { authorization: `Bearer ${caller.operatorToken}` };
    case 'none':
      return {};
  }
}

/** Broken credentials, which must be refused cleanly too. */
const brokenCredentials: fc.Arbitrary<Record<string, string>> = fc.oneof(
  fc.constant({}),
  junkString.map((s) => ({ authorization: `Basic ${Buffer.from(s).toString('base64')}` })),
  junkString.map((s) => ({ authorization: `Bearer ${s.replace(/[^\x20-\x7e]/g, '')}` })),
  fc.constantFrom(
    { authorization: 'Basic' },
    { authorization: 'Basic %%%' },
    { authorization: 'Bearer' },
    { authorization: 'Bearer a.b.c' },
    { 'maven-api-key': 'orch_key_' },
  ) as fc.Arbitrary<unknown> as fc.Arbitrary<Record<string, string>>,
);

const b64 = (text: string) => Buffer.from(text).toString('base64url');
/** DPoP proofs (RFC 9449) that are not: junk, JWS-shaped junk, headers that almost hold a key. */
const junkProof: fc.Arbitrary<string> = fc.oneof(
  junkString.map((s) => s.replace(/[^\x20-\x7e]/g, '')),
  fc.tuple(junkString, junkString, junkString).map(([a, b, c]) => `${b64(a)}.${b64(b)}.${b64(c)}`),
  fc
    .tuple(fc.jsonValue(), fc.jsonValue())
    .map(([header, claims]) => `${b64(JSON.stringify(header))}.${b64(JSON.stringify(claims))}.AAAA`),
  fc
    .tuple(
      fc.constantFrom(
        { kty: 'EC', crv: 'P-256', x: 'AA', y: 'AA' },
        { kty: 'OKP', crv: 'Ed25519', x: '__proto__' },
        { kty: 'RSA', n: 'AQAB', e: 'AQAB' },
        { kty: 'oct', k: 'AAAA' },
      ),
      fc.constantFrom('ES256', 'EdDSA', 'Ed25519', 'RS256', 'PS256', 'none', 'HS256'),
      fc.jsonValue(),
    )
    .map(
      ([jwk, alg, claims]) =>
        `${b64(JSON.stringify({ typ: 'dpop+jwt', alg, jwk }))}.${b64(JSON.stringify(claims))}.${b64('x'.repeat(64))}`,
    ),
);

/** Client certificates as a proxy would forward them (CLIENT_CERT_HEADER), but junk, truncated, or another's. */
const junkCertificate: fc.Arbitrary<string> = fc.oneof(
  junkString.map((s) => s.replace(/[^\x20-\x7e]/g, '')),
  junkString.map((s) => `:${b64(s)}:`),
  fc.nat({ max: 400 }).map((n) => `:${der(certificate('client-ec')).slice(0, n)}:`),
  fc.constant(`:${der(certificate('other-ec'))}:`),
  fc.constant(encodeURIComponent(certificate('client-rsa'))),
  junkString.map(
    (s) => `-----BEGIN CERTIFICATE-----${s.replace(/[^\x20-\x7e]/g, '')}-----END CERTIFICATE-----`,
  ),
  junkString.map((s) => `%${encodeURIComponent(s.replace(/[\ud800-\udfff]/g, ''))}%`),
);

interface Sent {
  method: string;
  url: string;
  headers: Record<string, string>;
  payload?: string;
}

function requests(method: string, path: string, operation: Operation, caller: Caller): fc.Arbitrary<Sent> {
  const { account, policyId } = caller;
  const known: Known = {
    byName: {
      accountId: [account.accountId],
      namespace: ['orders', 'shop'],
      nameSpace: ['shop', 'orders'],
      sessionId: ['s1', 'conv1'],
      id: [policyId],
      policyId: [policyId],
      property: ['a', 'b'],
      token: [caller.token],
      access_token: [caller.token],
      client_id: [account.userId],
      client_secret: [account.password],
      attribute: ['shop.a', 'custom.tier', 'conversation.conversationId', 'orders.b'],
      expression: [
        "shop.a == 1 and custom.tier in ('gold', 'silver')",
        'sqrt(shop.a) > 0',
        "isTimeRange('09:00', '17:00', 'Europe/Paris')",
      ],
      name: ['vip', 'tier'],
      skillId: ['12'],
      username: ['admin', 'ops-2'],
    },
    values: [account.accountId, 'orders', 's1', 'shop', 'conv1', 'a', 'b', policyId, caller.token],
    examples: EXAMPLES,
  };
  const family = familyOf(path);
  const pathParams = (path.match(/\{[^}]+\}/g) ?? []).map((p) => p.slice(1, -1));
  const query = (operation.parameters ?? []).filter((p) => p.in === 'query');
  const bodies = operation.requestBody?.content ?? {};
  const bodyTypes = Object.keys(bodies);

  const urlArb = fc
    .tuple(
      fc.tuple(...pathParams.map((name) => segment(known, name))),
      fc.oneof(
        { weight: 3, arbitrary: fc.constant([]) },
        {
          weight: 1,
          arbitrary: fc.array(
            fc.oneof(
              ...query.map((p) => fc.tuple(fc.constant(p.name), queryValue(known, p.name))),
              fc.tuple(junkString, junkString),
            ),
            { minLength: 1, maxLength: 5 },
          ),
        },
      ),
      fc.boolean(),
    )
    .map(([values, pairs, rawQuery]) => {
      let url = path;
      pathParams.forEach((name, i) => {
        url = url.replace(`{${name}}`, values[i] as string);
      });
      if (pairs.length === 0) return url;
      // Sometimes a query whose encoding is broken on purpose.
      const q = rawQuery
        ? pairs.map(([k, v]) => `${k}=${v}`.replace(/[#\s]/g, '')).join('&')
        : new URLSearchParams(pairs).toString();
      return `${url}?${q}`;
    });

  const defaultType = family === 'client' ? 'application/x-www-form-urlencoded' : 'application/json';
  const bodyArb: fc.Arbitrary<{ type?: string; payload?: string }> =
    bodyTypes.length === 0 && (method === 'GET' || method === 'DELETE' || method === 'HEAD')
      ? fc.constant({})
      : fc.oneof(
          {
            weight: 6,
            arbitrary: fc.constantFrom(...(bodyTypes.length ? bodyTypes : [defaultType])).chain((type) => {
              const schema = bodies[type]?.schema;
              const payload = type.includes('form')
                ? formBody(schema, known)
                : fc.oneof(
                    { weight: 4, arbitrary: shaped(schema, known).map((v) => JSON.stringify(v) ?? 'null') },
                    { weight: 1, arbitrary: rawText },
                  );
              return payload.map((p) => ({ type, payload: p }));
            }),
          },
          {
            weight: 1,
            arbitrary: fc
              .tuple(
                fc.constantFrom(
                  'text/plain',
                  'application/json; charset=latin1',
                  'application/x-www-form-urlencoded',
                  'application/json',
                  'multipart/form-data; boundary=x',
                  'application/xml',
                ),
                rawText,
              )
              .map(([type, payload]) => ({ type, payload })),
          },
          { weight: 1, arbitrary: fc.constant({}) },
        );

  const headersArb = fc.oneof(
    { weight: 8, arbitrary: fc.constant(credentials(family, caller)) },
    { weight: 1, arbitrary: brokenCredentials },
    // The caller's own token as if bound to a key (it is not), with a proof of sorts.
    { weight: 1, arbitrary: junkProof.map((dpop) => ({ authorization: `DPoP ${caller.token}`, dpop })) },
  );
  const extraArb = fc.record(
    {
      'if-match': fc.oneof(
        fc.constant('*'),
        junkString.map((s) => s.replace(/[^\x20-\x7e]/g, '')),
      ),
      accept: fc.constantFrom('*/*', 'text/html', 'application/xml', ''),
      dpop: junkProof,
      [CLIENT_CERT_HEADER]: junkCertificate,
    },
    { requiredKeys: [] },
  );

  return fc.tuple(urlArb, bodyArb, headersArb, extraArb).map(([url, body, auth, extra]) => {
    const headers: Record<string, string> = { ...auth };
    for (const [name, value] of Object.entries(extra)) if (value !== undefined) headers[name] = value;
    if (body.type) headers['content-type'] = body.type;
    return { method, url, headers, ...(body.payload === undefined ? {} : { payload: body.payload }) };
  });
}

function describeRequest(sent: Sent): string {
  const payload = sent.payload === undefined ? '' : ` ${JSON.stringify(sent.payload.slice(0, 300))}`;
  return `${sent.method} ${sent.url.slice(0, 300)} ${JSON.stringify(sent.headers['content-type'] ?? '')}${payload}`;
}

/**
 * What the caller's account holds, as text to compare: its namespaces and their TTLs, its context documents,
 * its policies and custom attributes (their ETags) and its v1 key (not when it was last used) and v2 credentials.
 */
async function accountState(accountId: string): Promise<string> {
  const { context, policies, apiKeys, clients } = t.services;
  const namespaces = await context.listNamespaces(accountId);
  const names = new Set([...namespaces.map((n) => n.name), 'orders', 'shop']);
  const documents: unknown[] = [];
  for (const name of [...names].sort()) {
    documents.push(await context.listSessions(accountId, name, { page: 0, perPage: 1000 }));
    documents.push(await context.listSessionTtls(accountId, name));
  }
  return JSON.stringify([
    namespaces,
    documents,
    (await policies.list(accountId)).etag,
    (await policies.customAttributes(accountId)).etag,
    // Without its last use: written off the request's path, that of an earlier call may land at any moment.
    { ...(await apiKeys.reveal(accountId)), lastUsedAt: undefined },
    await clients.reveal(accountId),
  ]);
}

async function sendJunkEverywhere(): Promise<void> {
  assert.ok(paths.length > 60, `only ${paths.length} operations in the OpenAPI description`);
  let sent = 0;
  const stats = new Map<string, number>();
  for (const [method, path, operation] of paths) {
    if (SKIP.test(path)) continue;
    const caller = await newCaller();
    let state = await accountState(caller.account.accountId);
    await fc.assert(
      fc.asyncProperty(requests(method, path, operation, caller), async (request) => {
        const response = await t.app.inject({
          method: request.method as 'GET',
          url: request.url,
          headers: request.headers,
          ...(request.payload === undefined ? {} : { payload: request.payload }),
        });
        sent++;
        if (process.env.JUNK_STATS) {
          const key = `${method} ${path} ${response.statusCode}`;
          stats.set(key, (stats.get(key) ?? 0) + 1);
        }
        assert.ok(
          response.statusCode < 500,
          `${describeRequest(request)} answered ${response.statusCode}: ${response.body.slice(0, 500)}`,
        );
        // A refused request changes nothing, not even part of what it asked for.
        const now = await accountState(caller.account.accountId);
        if (response.statusCode >= 400) {
          assert.equal(
            now,
            state,
            `${describeRequest(request)} answered ${response.statusCode} but changed the account`,
          );
        }
        state = now;
      }),
      // No shrinking: the server's state has moved on since the failing request, so a smaller request replayed
      // now would not show what the first one did. The report names the request as it was sent.
      { numRuns: RUNS, endOnFailure: true },
    );
  }
  if (process.env.JUNK_STATS)
    console.log(
      [...stats]
        .sort()
        .map(([k, n]) => `${k}: ${n}`)
        .join('\n'),
    );
  // What the requests put in the policy log is written too: no entry lost because of another's content.
  await t.services.policies.flushLogs();
  assert.equal(t.services.policies.logStats().dropped, 0, 'policy log entries were dropped');
  const failures = t.logs.filter((line) => {
    const level = (JSON.parse(line) as { level: number }).level;
    return level >= 50;
  });
  assert.deepEqual(failures, [], 'an unexpected failure was logged');
  assert.ok(sent >= paths.length * RUNS * 0.8, `only ${sent} requests sent`);
}

// Each store adapter: a value one database takes and another refuses (a NUL character in PostgreSQL text,
// say) must be refused with 4xx on every one of them.
// SQLite as a server with two cores runs it (in files, the policy log on its own thread), and PostgreSQL.
const STORES = ['sqlite, policy log on its own thread, in files', 'postgres'];
for (const factory of storeFactories.filter((f) => STORES.includes(f.name))) {
  describe(`junk input, ${factory.name} store`, () => {
    let skip: string | null = null;
    before(async () => {
      skip = await factory.unavailable();
      if (!skip) await open(await factory.create());
    });
    after(async () => {
      if (!skip) await t.close();
    });
    test('no documented operation answers 5xx or fails unexpectedly, whatever it is sent', async (c) => {
      if (skip) return c.skip(skip);
      await sendJunkEverywhere();
    });

    // Found by the test above on PostgreSQL: the audit event of a change, written after the change, refused
    // the text the request carried (JSONB takes neither a lone surrogate nor a NUL), and the request answered
    // 500 with its change made. Now the change is made and audited with U+FFFD in the record; a NUL character,
    // which PostgreSQL text cannot hold at all, is refused there with 400 before anything is written.
    test('a name with a lone surrogate or a NUL character: made and audited (U+FFFD in the record), or refused', async (c) => {
      if (skip) return c.skip(skip);
      const operatorToken = (await t.services.operators.createApiToken('admin', 'audit', null)).token;
      const cases: [string, string, boolean][] = [
        ['half a pair \ud800', 'half a pair \ufffd', true],
        ['nul \u0000 inside', 'nul \ufffd inside', factory.name !== 'postgres'],
      ];
      for (const [name, recorded, stored] of cases) {
        // Later than every event so far (the test clock stands still otherwise): the newest is this one's.
        t.clock.advance(1000);
        const newest = async () => (await t.ctx.store.audit.listAudit({ limit: 1 }))[0];
        const newestBefore = await newest();
        const response = await t.app.inject({
          method: 'POST',
          url: '/api/admin/operator-tokens',
          headers: { authorization: `Bearer ${operatorToken}`, 'content-type': 'application/json' },
          payload: JSON.stringify({ name }),
        });
        const audited = await newest();
        if (!stored) {
          assert.equal(response.statusCode, 400, response.body);
          assert.match(response.json().detail, /NUL character/);
          assert.deepEqual(audited, newestBefore);
          continue;
        }
        assert.equal(response.statusCode, 201, response.body);
        assert.ok(await t.services.operators.fromToken(response.json().token));
        assert.notDeepEqual(audited, newestBefore);
        assert.ok(Object.values(audited?.detail ?? {}).includes(recorded), JSON.stringify(audited));
      }
    });
  });
}
