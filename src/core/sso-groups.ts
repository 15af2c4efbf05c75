/**
 * Operators' roles from their groups at the single sign-on provider (OPERATOR_SSO_GROUPS): each entry names a
 * group and what its members are here, `group=role` (of every account) or `group=role:acme,globex` (of those
 * accounts); entries are separated by `;`.
 */

export type GroupRole = 'admin' | 'viewer';

/** One entry: members of `group` are `role` of `accounts` (null: every account). */
export interface GroupGrant {
  group: string;
  role: GroupRole;
  accounts: string[] | null;
}

/** As account ids are written (services/accounts.ts). */
const ACCOUNT_ID = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_ENTRIES = 100;
const MAX_GROUP_NAME = 256;
/** Most providers send a few dozen groups; a claim with more is cut here (each is compared with every entry). */
const MAX_GROUPS = 1000;

/** Parses OPERATOR_SSO_GROUPS; an Error whose message says what is wrong, for the configuration's error. */
export function parseGroupGrants(text: string): GroupGrant[] {
  const entries = text
    .split(';')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  if (entries.length === 0) throw new Error('it names no group');
  if (entries.length > MAX_ENTRIES) throw new Error(`it has more than ${MAX_ENTRIES} entries`);
  return entries.map((entry) => {
    const at = entry.lastIndexOf('=');
    const group = entry.slice(0, Math.max(at, 0)).trim();
    const [role = '', accountList, ...extra] = entry
      .slice(at + 1)
      .split(':')
      .map((p) => p.trim());
    if (at <= 0 || group === '') throw new Error(`"${entry}" is not group=role or group=role:accounts`);
    if (group.length > MAX_GROUP_NAME || /\p{Cc}/u.test(group))
      throw new Error(`the group "${group.slice(0, 40)}" is not a group name`);
    if (role !== 'admin' && role !== 'viewer')
      throw new Error(`the role of ${group} must be admin or viewer, not "${role}"`);
    if (extra.length > 0) throw new Error(`"${entry}" has more than one ":"`);
    if (accountList === undefined) return { group, role, accounts: null };
    const accounts = accountList
      .split(',')
      .map((a) => a.trim())
      .filter((a) => a !== '');
    const wrong = accounts.find((a) => !ACCOUNT_ID.test(a));
    if (accounts.length === 0 || wrong !== undefined)
      throw new Error(
        `the accounts of ${group} must be account ids separated by commas${wrong ? `, not "${wrong}"` : ''}`,
      );
    return { group, role, accounts: [...new Set(accounts)].sort() };
  });
}

/** The groups a claim's value names: a list of strings, or one string; anything else names none. */
export function groupsIn(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (!Array.isArray(value)) return [];
  return value.filter((g): g is string => typeof g === 'string').slice(0, MAX_GROUPS);
}

/**
 * What a person in `groups` is here: an operator has one role on one set of accounts, so the highest role among
 * the entries of their groups, on the accounts of the entries that give that role (every account if one of them
 * does). An admin of one account who is also in a viewers' group of every account is an admin of that account
 * alone: never more than one entry gives. Null when no entry names any of their groups.
 */
export function grantOf(
  grants: readonly GroupGrant[],
  groups: readonly string[],
): { role: GroupRole; accounts: string[] | null } | null {
  const theirs = new Set(groups);
  const matched = grants.filter((g) => theirs.has(g.group));
  if (matched.length === 0) return null;
  const role: GroupRole = matched.some((g) => g.role === 'admin') ? 'admin' : 'viewer';
  const giving = matched.filter((g) => g.role === role);
  if (giving.some((g) => g.accounts === null)) return { role, accounts: null };
  return { role, accounts: [...new Set(giving.flatMap((g) => g.accounts ?? []))].sort() };
}
