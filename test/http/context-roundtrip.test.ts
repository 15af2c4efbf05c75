import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import {
  type AccountCredentials,
  createAccount,
  createTestApp,
  getToken,
  type TestApp,
} from '../helpers/app.js';

/**
 * Property test across both APIs: random namespaces, sessions, property names and JSON values written through
 * v1 PATCH, v1 PUT and v2 create must read back exactly (through v1 GET and v2 GET) — or be refused with a 4xx
 * that writes nothing. The rules are restated here independently of the implementation, as the oracle.
 */

const RESERVED = ['consumer', 'operational', 'conversation', 'faas', 'custom', 'sde'];
const isWellFormed = (s: string) => (s as unknown as { isWellFormed(): boolean }).isWellFormed();
const noControlOrSlash = (s: string) =>
  [...s].every((c) => {
    const code = c.codePointAt(0) ?? 0;
    return c !== '/' && !(code < 0x20 || (code >= 0x7f && code <= 0x9f));
  });
const validNamespace = (ns: string) =>
  /^[A-Za-z0-9_]{1,64}$/.test(ns) && !RESERVED.includes(ns.toLowerCase());
const validSession = (s: string) =>
  isWellFormed(s) &&
  [...s].length >= 1 &&
  [...s].length <= 128 &&
  noControlOrSlash(s) &&
  !['.', '..', 'properties'].includes(s);
const validProperty = (p: string) =>
  isWellFormed(p) &&
  [...p].length >= 1 &&
  [...p].length <= 256 &&
  noControlOrSlash(p) &&
  !['.', '..'].includes(p);

const namespaceArb = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom('ns_a', 'Ns_B', 'namespace', 'properties', 'x') },
  { weight: 2, arbitrary: fc.stringMatching(/^[A-Za-z0-9_]{1,64}$/) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(...RESERVED, 'Consumer', 'SDE', 'my-ns', 'a.b', 'é', 'x'.repeat(65)),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
);
const sessionArb = fc.option(
  fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom('s1', 'S2', '__default__', 'conv:1 2', 'session-ids') },
    { weight: 1, arbitrary: fc.constantFrom('.', '..', 'properties', 'a/b', '', 'tab\t') },
    { weight: 2, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 6 }) },
    { weight: 1, arbitrary: fc.string({ minLength: 126, maxLength: 130 }) },
  ),
  { nil: undefined },
);
const propertyArb = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      'a',
      'B',
      '__proto__',
      'constructor',
      'toString',
      'a.b',
      'properties',
      'with space',
    ),
  },
  { weight: 1, arbitrary: fc.constantFrom('.', '..', '', 'x/y', 'nl\n', '\u0085') },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 10 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 5 }) },
  { weight: 1, arbitrary: fc.string({ minLength: 255, maxLength: 258 }) },
);
const entriesArb = fc.array(fc.tuple(propertyArb, fc.jsonValue({ maxDepth: 3 })), { maxLength: 5 });

/** JSON object text with the entries as written (so `__proto__` keys survive); duplicates: the last wins. */
/**
 * Whether a name can travel as a URL path segment at all: clients (and the test's injector) resolve `.` and `..`
 * segments away before sending, and a lone surrogate cannot be percent-encoded. Such names go through v2 only.
 */
const pathSafe = (s: string) => isWellFormed(s) && s !== '.' && s !== '..';

const objectText = (entries: [string, unknown][]) =>
  `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`;

type Model = Map<string, Map<string, unknown>>;
const docKey = (ns: string, session: string | undefined) =>
  JSON.stringify([ns, session === undefined || session === '__default__' ? '__default__' : session]);

function applyToModel(model: Model, key: string, patchText: string): void {
  const doc = model.get(key) ?? new Map<string, unknown>();
  for (const [k, v] of Object.entries(JSON.parse(patchText) as Record<string, unknown>)) doc.set(k, v);
  model.set(key, doc);
}

for (const storeKind of ['memory', 'sqlite', 'sqlite-cached'] as const) {
  describe(`context round trip across v1 and v2 (${storeKind})`, () => {
    let t: TestApp;
    let acct: AccountCredentials;
    let token: string;
    before(async () => {
      t = await createTestApp({ store: storeKind });
      acct = await createAccount(t);
      token = await getToken(t, acct);
    });
    after(async () => t.close());

    const v1Path = (ns: string, session: string | undefined) =>
      `/v1/account/${acct.accountId}/${encodeURIComponent(ns)}${session === undefined ? '' : `/${encodeURIComponent(session)}`}/properties`;
    const v1 = (method: 'GET' | 'PUT' | 'PATCH', url: string, payload?: string) =>
      t.app.inject({
        method,
        url,
        headers: {
          'maven-api-key': acct.apiKey,
          ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(payload === undefined ? {} : { payload }),
      });
    const v2 = (method: 'GET' | 'POST', url: string, payload?: string) =>
      t.app.inject({
        method,
        url,
        headers: {
          authorization: `Bearer ${token}`,
          ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(payload === undefined ? {} : { payload }),
      });
    const expectOutcome = (
      response: { statusCode: number; body: string },
      success: number,
      accepted: boolean,
      what: string,
    ) => {
      if (accepted) assert.equal(response.statusCode, success, `${what} should succeed: ${response.body}`);
      else
        assert.ok(
          response.statusCode >= 400 && response.statusCode < 500,
          `${what} should be refused: ${response.statusCode} ${response.body}`,
        );
    };

    test('what is written through v1 PUT/PATCH and v2 create reads back the same through both APIs', async () => {
      const model: Model = new Map();
      await fc.assert(
        fc.asyncProperty(
          namespaceArb,
          sessionArb,
          entriesArb,
          propertyArb,
          fc.jsonValue({ maxDepth: 3 }),
          entriesArb,
          async (ns, session, patchEntries, putName, putValue, createEntries) => {
            const key = docKey(ns, session);
            const addressable = validNamespace(ns) && (session === undefined || validSession(session));
            const inPath = pathSafe(ns) && (session === undefined || pathSafe(session));

            const patchText = objectText(patchEntries);
            const patchKeysValid = Object.keys(JSON.parse(patchText)).every(validProperty);
            if (inPath) {
              const patched = await v1('PATCH', v1Path(ns, session), patchText);
              expectOutcome(patched, 204, addressable && patchKeysValid, 'v1 PATCH');
              if (patched.statusCode === 204) applyToModel(model, key, patchText);

              if (pathSafe(putName)) {
                const valueText = JSON.stringify(putValue);
                const put = await v1(
                  'PUT',
                  `${v1Path(ns, session)}/${encodeURIComponent(putName)}`,
                  valueText,
                );
                expectOutcome(put, 204, addressable && validProperty(putName), 'v1 PUT');
                if (put.statusCode === 204)
                  applyToModel(model, key, `{${JSON.stringify(putName)}:${valueText}}`);
              }
            }

            const createText = objectText(createEntries);
            const body = `{"accountId":${JSON.stringify(acct.accountId)},"nameSpace":${JSON.stringify(ns)}${
              session === undefined ? '' : `,"sessionId":${JSON.stringify(session)}`
            },"payload":${createText}}`;
            const created = await v2('POST', '/v2/context/document/create', body);
            expectOutcome(
              created,
              201,
              addressable && Object.keys(JSON.parse(createText)).every(validProperty),
              'v2 create',
            );
            if (created.statusCode === 201) applyToModel(model, key, createText);

            if (!addressable) return;
            const expected = model.get(key);
            const v1Read = await v1('GET', v1Path(ns, session));
            assert.equal(v1Read.statusCode, 200, v1Read.body);
            assert.deepEqual(new Map(Object.entries(JSON.parse(v1Read.body))), expected ?? new Map());

            const v2Read = await v2(
              'GET',
              `/v2/context/document/${acct.accountId}/${ns}${session === undefined ? '' : `/${encodeURIComponent(session)}`}`,
            );
            if (expected === undefined) {
              assert.equal(v2Read.statusCode, 404, v2Read.body);
            } else {
              assert.equal(v2Read.statusCode, 200, v2Read.body);
              const document = JSON.parse(v2Read.body) as {
                payload: Record<string, unknown>;
                nameSpace: string;
              };
              assert.equal(document.nameSpace, ns);
              assert.deepEqual(new Map(Object.entries(document.payload)), expected);
            }

            if (validProperty(putName) && expected !== undefined) {
              const one = await v1('GET', `${v1Path(ns, session)}/${encodeURIComponent(putName)}`);
              if (expected.has(putName)) {
                assert.equal(one.statusCode, 200, one.body);
                assert.deepEqual(JSON.parse(one.body), expected.get(putName));
              } else {
                assert.equal(one.statusCode, 404, one.body);
              }
            }
          },
        ),
        { numRuns: 150 },
      );
    });
  });
}
