import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { grantOf, groupsIn, parseGroupGrants } from '../../src/core/sso-groups.js';

describe('OPERATOR_SSO_GROUPS: groups at the provider to roles here', () => {
  test('entries: group=role of every account, group=role:accounts; spaces, repeats and a last ";" tolerated', () => {
    assert.deepEqual(
      parseGroupGrants(
        ' /ops = admin ; support=viewer: globex , acme,acme; cn=leads,ou=groups,dc=example=admin:acme;',
      ),
      [
        { group: '/ops', role: 'admin', accounts: null },
        { group: 'support', role: 'viewer', accounts: ['acme', 'globex'] },
        // Directory names hold "=": the role is after the last one.
        { group: 'cn=leads,ou=groups,dc=example', role: 'admin', accounts: ['acme'] },
      ],
    );
  });

  test('what is not an entry is refused with what is wrong', () => {
    const cases: [string, RegExp][] = [
      ['', /names no group/],
      [' ; ', /names no group/],
      ['ops', /"ops" is not group=role/],
      ['=admin', /"=admin" is not group=role/],
      ['ops=owner', /the role of ops must be admin or viewer, not "owner"/],
      ['ops=Admin', /must be admin or viewer/],
      ['ops=admin:', /the accounts of ops must be account ids/],
      ['ops=admin:a b', /not "a b"/],
      ['ops=admin:acme:more', /more than one ":"/],
      ['op\u0007s=admin', /is not a group name/],
      [`${'g'.repeat(257)}=admin`, /is not a group name/],
      [Array.from({ length: 101 }, (_, i) => `g${i}=viewer`).join(';'), /more than 100 entries/],
    ];
    for (const [text, message] of cases) assert.throws(() => parseGroupGrants(text), message, text);
  });

  test('the highest role of their groups, on the accounts of the entries that give it; none: null', () => {
    const grants = parseGroupGrants(
      'ops=admin; acme-admins=admin:acme; globex-admins=admin:globex; support=viewer; acme-support=viewer:acme',
    );
    const cases: [string[], ReturnType<typeof grantOf>][] = [
      [[], null],
      [['marketing'], null],
      [['support'], { role: 'viewer', accounts: null }],
      [['acme-support'], { role: 'viewer', accounts: ['acme'] }],
      [['acme-support', 'support'], { role: 'viewer', accounts: null }],
      [['globex-admins', 'acme-admins'], { role: 'admin', accounts: ['acme', 'globex'] }],
      // An admin of one account and a viewer of all: admin of that one alone, never admin of every account.
      [['acme-admins', 'support'], { role: 'admin', accounts: ['acme'] }],
      [['acme-admins', 'ops'], { role: 'admin', accounts: null }],
      // Group names are compared exactly.
      [['OPS', 'ops '], null],
    ];
    for (const [groups, expected] of cases)
      assert.deepEqual(grantOf(grants, groups), expected, groups.join());
  });

  test("the claim's groups: a list of strings (others in it skipped) or one string; anything else none", () => {
    assert.deepEqual(groupsIn(['a', 'b']), ['a', 'b']);
    assert.deepEqual(groupsIn(['a', 1, null, { b: 1 }, 'c']), ['a', 'c']);
    assert.deepEqual(groupsIn('ops'), ['ops']);
    for (const value of [undefined, null, 1, true, { ops: true }]) assert.deepEqual(groupsIn(value), []);
    assert.equal(groupsIn(Array.from({ length: 5000 }, (_, i) => `g${i}`)).length, 1000);
  });
});
