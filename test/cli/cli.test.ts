import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { lockDataDir } from '../../src/adapters/sqlite/data-dir-lock.js';
import { migrateSqlite, openSqlite } from '../../src/adapters/sqlite/database.js';
import { POLICY_LOG_FILE } from '../../src/adapters/sqlite/policy-log-file.js';
import { policyLogMigrations } from '../../src/adapters/sqlite/policy-migrations.js';
import { pendingSqliteMigrations, sqliteMigrations } from '../../src/adapters/sqlite/store.js';
import { loadConfig } from '../../src/config/config.js';
import { type RunningServer, startServer } from '../../src/main.js';
import { cliEnv, runCli } from '../helpers/cli.js';
import { tempFolders } from '../helpers/folders.js';
import { mainPolicyTables, oldPolicyLogLayout } from '../helpers/policy-log-files.js';
import { freePort } from '../helpers/server.js';

const folder = tempFolders('cli');

/** A server on the folder `dir`, quiet, on a free port, as the CLI finds one running beside it. */
async function serverOn(dir: string): Promise<RunningServer> {
  return startServer(
    loadConfig({
      DATA_DIR: dir,
      PORT: String(await freePort()),
      LOG_LEVEL: 'warn',
      ORCHESTRATOR_ADMIN_PASSWORD: 'x'.repeat(16),
    }),
  );
}

describe('orchestrator CLI', () => {
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  const cli = (...args: string[]) => runCli(env, ...args);

  before(() => {
    dataDir = folder();
    env = cliEnv({ DATA_DIR: dataDir, ORCHESTRATOR_ADMIN_PASSWORD: '' });
  });

  test('account create and list, in text and --json; the master key file is created mode 0600', async () => {
    const created = await cli('account', 'create', 'le12345678', '--json');
    assert.equal(created.code, 0, created.stderr);
    assert.equal(JSON.parse(created.stdout).accountId, 'le12345678');
    assert.equal(statSync(join(dataDir, 'master.key')).mode & 0o777, 0o600);
    const again = await cli('account', 'create', 'le12345678', '--json');
    assert.equal(again.code, 1);
    assert.match(JSON.parse(again.stdout).error, /already exists/);
    const listed = await cli('account', 'list', '--json');
    assert.deepEqual(
      JSON.parse(listed.stdout).map((a: { accountId: string }) => a.accountId),
      ['le12345678'],
    );
    assert.equal((await cli('account', 'list')).stdout.trim(), 'le12345678');
  });

  test('a database another connection holds says so, with SQLite’s own words, and changes nothing', async () => {
    const holder = openSqlite(join(dataDir, 'orchestrator.db'));
    holder.exec('BEGIN IMMEDIATE');
    let held: Awaited<ReturnType<typeof cli>>;
    try {
      // The CLI waits the 5 s busy timeout, then gives up.
      held = await cli('account', 'create', 'busy123456');
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
    assert.equal(held.code, 1);
    assert.match(held.stderr, /not answering right now; retry shortly \(SQLITE_BUSY: database is locked\)/);
    const listed = await cli('account', 'list', '--json');
    assert.ok(!JSON.parse(listed.stdout).some((a: { accountId: string }) => a.accountId === 'busy123456'));
  });

  test('key regenerate, credentials regenerate and signing-key rotate print what they made', async () => {
    const key = JSON.parse((await cli('key', 'regenerate', 'le12345678', '--grace', '60', '--json')).stdout);
    assert.match(key.key, /^orch_key_/);
    assert.equal(key.graceSeconds, 60);
    const creds = JSON.parse((await cli('credentials', 'regenerate', 'le12345678', '--json')).stdout);
    assert.match(creds.userId, /^orch_client_/);
    assert.match(creds.password, /^orch_secret_/);
    assert.equal(creds.previousExpiresAt, null);
    const graced = await cli('credentials', 'regenerate', 'le12345678', '--grace', '300');
    assert.equal(graced.code, 0, graced.stderr);
    assert.match(
      graced.stdout,
      /^user ID: {2}orch_client_\S+\npassword: orch_secret_\S+\nthe old user ID and password work until \d{4}-\d\d-\d\dT/,
    );
    const rotated = JSON.parse(
      (await cli('signing-key', 'rotate', '--delay', '0', '--alg', 'ES256', '--json')).stdout,
    );
    assert.equal(rotated.alg, 'ES256');
    assert.equal(typeof rotated.kid, 'string');
  });

  test("account rate-limit sets an account's own rate and puts the server's back", async () => {
    const set = await cli('account', 'rate-limit', 'le12345678', '200', '--burst', '400');
    assert.equal(set.code, 0, set.stderr);
    assert.equal(set.stdout.trim(), 'account le12345678: 200/s, burst 400 on each node');
    assert.equal((await cli('account', 'list')).stdout.trim(), 'le12345678 (rate 200/s, burst 400)');
    assert.deepEqual(JSON.parse((await cli('account', 'rate-limit', 'le12345678', '0', '--json')).stdout), {
      accountId: 'le12345678',
      rateLimit: { perSecond: 0, burst: 1 },
    });
    const back = await cli('account', 'rate-limit', 'le12345678', '--default');
    assert.equal(back.stdout.trim(), "account le12345678: the server's rate (ACCOUNT_RATE_LIMIT)");
    assert.equal((await cli('account', 'list')).stdout.trim(), 'le12345678');
    for (const args of [['le12345678'], ['le12345678', 'fast'], ['le12345678', '--default', '--burst', '5']])
      assert.equal((await cli('account', 'rate-limit', ...args)).code, 2, args.join(' '));
    const burst = await cli('account', 'rate-limit', 'le12345678', '10', '--burst', '0');
    assert.equal(burst.code, 1);
    assert.match(burst.stderr, /burst must be a whole number from 1/);
    assert.equal((await cli('account', 'rate-limit', 'nobody', '10')).code, 1);

    const fenced = await cli('account', 'networks', 'le12345678', '203.0.113.0/24,2001:db8::10');
    assert.equal(fenced.code, 0, fenced.stderr);
    assert.match(fenced.stdout, /accepted from 203\.0\.113\.0\/24, 2001:db8::10 only/);
    assert.equal(
      (await cli('account', 'list')).stdout.trim(),
      'le12345678 (from 203.0.113.0/24 2001:db8::10)',
    );
    const bad = await cli('account', 'networks', 'le12345678', '203.0.113.0/33');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /is not an IPv4 or IPv6 address or network/);
    assert.deepEqual(JSON.parse((await cli('account', 'networks', 'le12345678', '--any', '--json')).stdout), {
      accountId: 'le12345678',
      allowedNetworks: null,
    });
    assert.equal((await cli('account', 'networks', 'le12345678')).code, 2);
  });

  test('client-key add, list and remove; account signed-assertions-only on and off, refused without a key', async () => {
    const keyFile = join(dataDir, 'client-key.json');
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    writeFileSync(
      keyFile,
      JSON.stringify({ jwk: { ...publicKey.export({ format: 'jwk' }), kid: 'cli-key' } }),
    );
    const noKey = await cli('account', 'signed-assertions-only', 'le12345678', 'on');
    assert.equal(noKey.code, 1);
    assert.match(noKey.stderr, /no client key/);

    const added = await cli('client-key', 'add', 'le12345678', '--jwk-file', keyFile);
    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stdout, /added the client key cli-key \(EC P-256, ES256\)/);
    const listed = JSON.parse((await cli('client-key', 'list', 'le12345678', '--json')).stdout);
    assert.deepEqual(
      listed.map((k: { kid: string; alg: string }) => [k.kid, k.alg]),
      [['cli-key', 'ES256']],
    );
    const privateFile = join(dataDir, 'private-key.json');
    writeFileSync(privateFile, JSON.stringify(privateKey.export({ format: 'jwk' })));
    const refused = await cli('client-key', 'add', 'le12345678', '--jwk-file', privateFile);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /a private or secret key/);
    assert.equal((await cli('client-key', 'add', 'le12345678')).code, 2, '--jwk-file is needed');

    const on = await cli('account', 'signed-assertions-only', 'le12345678', 'on');
    assert.equal(on.code, 0, on.stderr);
    assert.match((await cli('account', 'list')).stdout, /signed assertions only/);
    const last = await cli('client-key', 'remove', 'le12345678', 'cli-key');
    assert.equal(last.code, 1, 'the last key stays while the password is refused');
    assert.equal((await cli('account', 'signed-assertions-only', 'le12345678', 'off')).code, 0);
    assert.equal((await cli('client-key', 'remove', 'le12345678', 'cli-key')).code, 0);
    assert.equal((await cli('client-key', 'list', 'le12345678')).stdout.trim(), '(no client keys)');
    assert.equal((await cli('account', 'signed-assertions-only', 'le12345678', 'maybe')).code, 2);
  });

  test('client-key add --cert-file: a client certificate for mutual TLS, and the key in it', async () => {
    const certFile = fileURLToPath(new URL('../fixtures/mtls/client-ed25519.pem', import.meta.url));
    const added = await cli('client-key', 'add', 'le12345678', '--cert-file', certFile);
    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stdout, /\(OKP Ed25519, EdDSA; certificate CN=client-ed25519, until 2045-12-31\)/);
    const [listed] = JSON.parse((await cli('client-key', 'list', 'le12345678', '--json')).stdout);
    assert.equal(listed.certificate.subject, 'CN=client-ed25519');
    assert.equal(listed.certificate.notAfter, '2045-12-31T23:59:59.000Z');
    const both = await cli(
      'client-key',
      'add',
      'le12345678',
      '--cert-file',
      certFile,
      '--jwk-file',
      certFile,
    );
    assert.equal(both.code, 2, 'one of --jwk-file and --cert-file');
    const notPem = join(dataDir, 'not-a-certificate.pem');
    writeFileSync(notPem, 'hello');
    const refused = await cli('client-key', 'add', 'le12345678', '--cert-file', notPem);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /no PEM certificate/);
    // With its certificate registered, the account may require certificates; its last one then stays.
    const required = await cli('account', 'certificate-required', 'le12345678', 'on', '--json');
    assert.equal(required.code, 0, required.stderr);
    assert.deepEqual(JSON.parse(required.stdout), { accountId: 'le12345678', certificateRequired: true });
    assert.match((await cli('account', 'list')).stdout, /le12345678 \(.*certificate required/);
    const kept = await cli('client-key', 'remove', 'le12345678', listed.kid);
    assert.equal(kept.code, 1);
    assert.match(kept.stderr, /last client certificate/);
    const off = await cli('account', 'certificate-required', 'le12345678', 'off');
    assert.match(off.stdout, /tokens not bound to a certificate are taken again/);
    assert.equal((await cli('client-key', 'remove', 'le12345678', listed.kid)).code, 0);
    const keyless = await cli('account', 'certificate-required', 'le12345678', 'on');
    assert.equal(keyless.code, 1);
    assert.match(keyless.stderr, /no client certificate among its keys/);
  });

  test('client-key add --san-dns (a certificate subject) with CLIENT_CA_FILE; without it, or with a file of no CA, said', async () => {
    const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/pki/${name}.pem`, import.meta.url));
    const withCas = (file: string | undefined, ...args: string[]) =>
      runCli(
        { ...env, CLIENT_CERT_HEADER: 'client-cert', CLIENT_CERT_PROXIES: '10.0.0.1', CLIENT_CA_FILE: file },
        ...args,
      );
    const added = await withCas(
      fixture('issuing'),
      'client-key',
      'add',
      'le12345678',
      '--san-dns',
      'billing.acme.example',
      '--json',
    );
    assert.equal(added.code, 0, added.stderr);
    const view = JSON.parse(added.stdout);
    assert.deepEqual(
      [view.alg, view.tlsClientAuth],
      ['tls_client_auth', { member: 'tls_client_auth_san_dns', value: 'billing.acme.example' }],
    );
    assert.match(
      (await cli('client-key', 'list', 'le12345678')).stdout,
      /certificate subject: tls_client_auth_san_dns billing\.acme\.example/,
    );
    const checked = await withCas(
      fixture('issuing'),
      'client-key',
      'check',
      'le12345678',
      '--cert-file',
      fixture('billing'),
    );
    assert.equal(checked.code, 0, checked.stderr);
    assert.match(
      checked.stdout,
      /authenticates the client of account le12345678 by its subject \(tls_client_auth\)/,
    );
    const impostor = await withCas(
      fixture('issuing'),
      'client-key',
      'check',
      'le12345678',
      '--cert-file',
      fixture('impostor'),
      '--json',
    );
    assert.equal(impostor.code, 1);
    assert.match(JSON.parse(impostor.stdout).reason, /not issued by a CA of CLIENT_CA_FILE/);
    const revoked = await runCli(
      {
        ...env,
        CLIENT_CERT_HEADER: 'client-cert',
        CLIENT_CERT_PROXIES: '10.0.0.1',
        CLIENT_CA_FILE: fixture('issuing'),
        CLIENT_CRL_FILE: fixture('crl'),
      },
      ...['client-key', 'check', 'le12345678', '--cert-file', fixture('revoked'), '--json'],
    );
    assert.equal(revoked.code, 1, revoked.stderr);
    assert.match(JSON.parse(revoked.stdout).reason, /its CA revoked it/);
    const caCheck = (crl: string, ...args: string[]) =>
      runCli(
        {
          ...env,
          CLIENT_CERT_HEADER: 'client-cert',
          CLIENT_CERT_PROXIES: '10.0.0.1',
          CLIENT_CA_FILE: fixture('issuing'),
          CLIENT_CRL_FILE: fixture(crl),
        },
        'client-ca',
        'check',
        ...args,
      );
    const fresh = await caCheck('crl');
    assert.equal(fresh.code, 0, fresh.stderr);
    assert.match(
      fresh.stdout,
      /^CA C=US, O=Acme, CN=Acme Client CA, valid 2025-01-01T00:00:00Z to 2045-12-31T23:59:59Z, x5t#S256 \S+\n {2}CRL of 2025-06-01T00:00:00Z, next update due 2045-12-31T23:59:59Z, 1 revoked$/m,
    );
    const revokedCheck = await caCheck('crl', '--cert-file', fixture('revoked'), '--json');
    assert.equal(revokedCheck.code, 1);
    assert.match(JSON.parse(revokedCheck.stdout).certificate.problem, /its CA revoked it/);
    const billingCheck = await caCheck('crl', '--cert-file', fixture('billing'));
    assert.equal(billingCheck.code, 0, billingCheck.stderr);
    assert.match(
      billingCheck.stdout,
      /^certificate C=US, O=Acme, OU=Contact Centre, CN=billing-bot, serial [0-9A-F]+: issued by C=US, O=Acme, CN=Acme Client CA, valid, not revoked$/m,
    );
    const stale = await caCheck('crl-stale', '--json');
    assert.equal(stale.code, 1);
    assert.deepEqual(JSON.parse(stale.stdout).problems, [
      'C=US, O=Acme, CN=Acme Client CA: its CRL is out of date (its next update was due 2025-02-01T00:00:00Z)',
    ]);
    const forged = await caCheck('crl-forged');
    assert.equal(forged.code, 1);
    assert.match(
      forged.stdout,
      /CLIENT_CRL_FILE \(.*crl-forged\.pem\): its CRL 1 .* is not signed by that CA's key/,
    );
    const two = await withCas(
      fixture('issuing'),
      'client-key',
      'add',
      'le12345678',
      '--san-ip',
      '10.1.2.3',
      '--san-uri',
      'spiffe://a/b',
    );
    assert.equal(two.code, 2, 'one subject at a time');
    const noCa = await cli('client-key', 'add', 'le12345678', '--subject-dn', 'CN=billing-bot');
    assert.equal(noCa.code, 1);
    assert.match(noCa.stderr, /set CLIENT_CA_FILE/);
    const notCa = await withCas(fixture('billing'), 'client-key', 'list', 'le12345678');
    assert.equal(notCa.code, 1);
    assert.match(
      notCa.stderr,
      /CLIENT_CA_FILE \(.*billing\.pem\): its certificate 1 \(.*CN=billing-bot\) is not a CA's/,
    );
    assert.equal((await cli('client-key', 'remove', 'le12345678', view.kid)).code, 0);
  });

  test('account dpop-required on and off', async () => {
    const on = await cli('account', 'dpop-required', 'le12345678', 'on', '--json');
    assert.equal(on.code, 0, on.stderr);
    assert.deepEqual(JSON.parse(on.stdout), { accountId: 'le12345678', dpopRequired: true });
    assert.match((await cli('account', 'list')).stdout, /le12345678 \(.*DPoP required/);
    const off = await cli('account', 'dpop-required', 'le12345678', 'off');
    assert.match(off.stdout, /bearer tokens are taken again/);
    assert.doesNotMatch((await cli('account', 'list')).stdout, /DPoP required/);
    assert.equal((await cli('account', 'dpop-required', 'le12345678')).code, 2);
    assert.equal((await cli('account', 'dpop-required', 'nosuch1234', 'on')).code, 1);
  });

  test('admin reset-password sets the configured password or prints a generated one', async () => {
    const generated = JSON.parse((await cli('admin', 'reset-password', '--json')).stdout);
    assert.equal(generated.username, 'admin');
    assert.equal(typeof generated.password, 'string');
    env.ORCHESTRATOR_ADMIN_PASSWORD = 'a-configured-password';
    const configured = JSON.parse((await cli('admin', 'reset-password', '--json')).stdout);
    assert.equal(configured.password, undefined);
    env.ORCHESTRATOR_ADMIN_PASSWORD = '';
  });

  test('operator list and operator role; reset-password makes a new operator an admin', async () => {
    const made = JSON.parse(
      (await cli('admin', 'reset-password', '--username', 'night-shift', '--json')).stdout,
    );
    assert.equal(made.username, 'night-shift');
    const listed = JSON.parse((await cli('operator', 'list', '--json')).stdout) as {
      username: string;
      role: string;
    }[];
    assert.deepEqual(
      listed.map((o) => [o.username, o.role]),
      [
        ['admin', 'admin'],
        ['night-shift', 'admin'],
      ],
    );
    const demoted = await cli('operator', 'role', 'night-shift', 'viewer');
    assert.equal(demoted.code, 0, demoted.stderr);
    assert.match(demoted.stdout, /night-shift is now a viewer/);
    assert.match((await cli('operator', 'list')).stdout, /night-shift \(viewer; every account\)/);
    // Limited to accounts, and back to every account.
    const limited = await cli('operator', 'accounts', 'night-shift', 'le12345678');
    assert.equal(limited.code, 0, limited.stderr);
    assert.match(limited.stdout, /night-shift acts on le12345678 now/);
    assert.match((await cli('operator', 'list')).stdout, /night-shift \(viewer; accounts: le12345678\)/);
    const ghost = await cli('operator', 'accounts', 'night-shift', 'le12345678,no-such-account');
    assert.equal(ghost.code, 1);
    assert.match(ghost.stderr, /no account no-such-account/);
    assert.deepEqual(
      JSON.parse((await cli('operator', 'accounts', 'night-shift', '--all', '--json')).stdout),
      { username: 'night-shift', accounts: null },
    );
    assert.equal((await cli('operator', 'accounts', 'night-shift')).code, 2);
    // The way back when no admin is left: the command line may change anyone's role, admin's too.
    assert.equal((await cli('operator', 'role', 'admin', 'viewer')).code, 0);
    assert.equal(
      JSON.parse((await cli('operator', 'role', 'admin', 'admin', '--json')).stdout).role,
      'admin',
    );
    assert.equal((await cli('operator', 'role', 'night-shift', 'root')).code, 2);
    assert.equal((await cli('operator', 'role', 'night-shift')).code, 2);
    const unknown = await cli('operator', 'role', 'nobody', 'admin');
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no operator nobody/);
    assert.equal((await cli('admin', 'reset-password', '--username', 'has space')).code, 1);
    const noCodes = await cli('operator', 'reset-totp', 'night-shift');
    assert.equal(noCodes.code, 1);
    assert.match(noCodes.stderr, /has no one-time codes/);
    assert.equal((await cli('operator', 'reset-totp')).code, 2);
    const noPasskeys = await cli('operator', 'reset-passkeys', 'night-shift');
    assert.equal(noPasskeys.code, 1);
    assert.match(noPasskeys.stderr, /night-shift has no passkeys/);
    const db = openSqlite(join(dataDir, 'orchestrator.db'));
    db.prepare(
      `INSERT INTO operator_passkeys (id, username, name, public_key, counter, created_at)
       VALUES ('a2V5', 'night-shift', 'Laptop', 'cGs', 0, 1)`,
    ).run();
    db.close();
    assert.deepEqual(JSON.parse((await cli('operator', 'reset-passkeys', 'night-shift', '--json')).stdout), {
      username: 'night-shift',
      passkeys: 0,
      removed: 1,
    });
    assert.equal((await cli('operator', 'reset-passkeys', 'night-shift')).code, 1, 'none left');
    assert.equal((await cli('operator', 'reset-passkeys')).code, 2);
    assert.deepEqual(JSON.parse((await cli('operator', 'end-sessions', 'night-shift', '--json')).stdout), {
      username: 'night-shift',
      ended: 0,
    });
    const nobody = await cli('operator', 'end-sessions', 'nobody');
    assert.equal(nobody.code, 1);
    assert.match(nobody.stderr, /no operator nobody/);
  });

  test('operator add prints a generated password once; operator remove takes them away', async () => {
    const added = await cli('operator', 'add', 'desk', '--accounts', 'le12345678', '--json');
    assert.equal(added.code, 0, added.stderr);
    const made = JSON.parse(added.stdout);
    assert.deepEqual([made.username, made.role, made.accounts], ['desk', 'viewer', ['le12345678']]);
    assert.match(made.password, /^[A-Za-z0-9_-]{24}$/);
    const admin = await cli('operator', 'add', 'ops-lead', '--role', 'admin');
    assert.equal(admin.code, 0, admin.stderr);
    assert.match(admin.stdout, /^added ops-lead \(admin; every account\); password: \S{24}$/m);
    const listed = (await cli('operator', 'list')).stdout;
    assert.match(listed, /desk \(viewer; accounts: le12345678\)/);
    assert.match(listed, /ops-lead \(admin; every account\)/);

    const again = await cli('operator', 'add', 'desk');
    assert.equal(again.code, 1);
    assert.match(again.stderr, /exists already/);
    const ghost = await cli('operator', 'add', 'other', '--accounts', 'no-such-account');
    assert.equal(ghost.code, 1);
    assert.match(ghost.stderr, /no account no-such-account/);
    for (const args of [['add'], ['add', 'x', '--role', 'root'], ['add', 'x', 'y'], ['remove']])
      assert.equal((await cli('operator', ...args)).code, 2, args.join(' '));

    assert.deepEqual(JSON.parse((await cli('operator', 'remove', 'desk', '--json')).stdout), {
      username: 'desk',
      removed: true,
    });
    assert.equal((await cli('operator', 'remove', 'ops-lead')).code, 0);
    const gone = await cli('operator', 'remove', 'desk');
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /no operator desk/);
    assert.doesNotMatch((await cli('operator', 'list')).stdout, /desk|ops-lead/);
  });

  test('usage errors exit 2, bad configuration and unknown accounts exit 1 with a clear message', async () => {
    const unknown = await cli('frobnicate');
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command/);
    assert.equal((await cli('key', 'regenerate')).code, 2);
    assert.equal((await cli('key', 'regenerate', 'le12345678', '--grace', 'soon')).code, 2);
    assert.equal((await cli('credentials', 'regenerate', 'le12345678', '--grace', '86401')).code, 2);
    const missing = await cli('key', 'regenerate', 'nobody');
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no account nobody/);
    env.PORT = 'eighty';
    const bad = await cli('account', 'list');
    delete env.PORT;
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /PORT must be a whole number/);
  });

  test('a key regenerated, an account suspended, resumed and deleted by the CLI: a running server follows within a second', async () => {
    const port = await freePort();
    let server: RunningServer | null = null;
    const key = JSON.parse((await cli('key', 'regenerate', 'le12345678', '--json')).stdout).key as string;
    try {
      server = await startServer(
        loadConfig({
          DATA_DIR: dataDir,
          PORT: String(port),
          LOG_LEVEL: 'warn',
          ORCHESTRATOR_ADMIN_PASSWORD: randomBytes(12).toString('hex'),
        }),
      );
      const url = `${server.url}/v1/account/le12345678/namespace/x/session`;
      const status = async (k: string) => (await fetch(url, { headers: { 'maven-api-key': k } })).status;
      assert.equal(await status(key), 200);
      const fresh = JSON.parse((await cli('key', 'regenerate', 'le12345678', '--json')).stdout).key as string;
      const deadline = Date.now() + 1000;
      let old = await status(key);
      while (old !== 401 && Date.now() < deadline) old = await status(key);
      assert.equal(old, 401);
      assert.equal(await status(fresh), 200);

      // Suspended by the CLI: refused by the running server within a second; resumed: the same key works.
      const until = async (expected: number) => {
        const end = Date.now() + 1000;
        let got = await status(fresh);
        while (got !== expected && Date.now() < end) got = await status(fresh);
        return got;
      };
      assert.equal(
        (await cli('account', 'suspend', 'le12345678')).stdout.trim(),
        'account le12345678 is suspended',
      );
      assert.equal(await until(401), 401);
      assert.match((await cli('account', 'list')).stdout, /^le12345678 \(suspended\)$/m);
      // Its end set, then moved: the suspension goes on (a suspended account given an end keeps it).
      const timed = await cli('account', 'suspend', 'le12345678', '--for', '2h', '--json');
      assert.equal(timed.code, 0, timed.stderr);
      const ends = Date.parse(JSON.parse(timed.stdout).suspendedUntil);
      assert.ok(Math.abs(ends - (Date.now() + 7_200_000)) < 60_000, timed.stdout);
      const endsAt = new Date(Math.ceil(Date.now() / 60_000) * 60_000 + 86_400_000).toISOString();
      assert.equal(
        (
          await cli('account', 'suspend', 'le12345678', '--until', endsAt.replace('.000Z', 'Z'))
        ).stdout.trim(),
        `account le12345678 is suspended until ${endsAt}`,
      );
      for (const [args, message] of [
        [['--for', '2w'], /--for must be a number and s, m, h or d/],
        [['--until', 'tomorrow'], /--until must be a time such as/],
        [['--until', '2027-02-30T08:00Z'], /--until must be a time such as/],
        [['--for', '1h', '--until', endsAt], /give --until or --for, not both/],
      ] as const) {
        const wrong = await cli('account', 'suspend', 'le12345678', ...args);
        assert.equal(wrong.code, 2, wrong.stderr);
        assert.match(wrong.stderr, message);
      }
      assert.equal(await status(fresh), 401);
      const resumed = await cli('account', 'resume', 'le12345678', '--json');
      assert.deepEqual(JSON.parse(resumed.stdout), {
        accountId: 'le12345678',
        status: 'active',
        suspendedUntil: null,
      });
      assert.equal(await until(200), 200);

      // Deleting needs a suspended account; then the id is held.
      assert.equal((await cli('account', 'create', 'short-lived')).code, 0);
      const refused = await cli('account', 'delete', 'short-lived');
      assert.equal(refused.code, 1);
      assert.match(refused.stderr + refused.stdout, /is active, not suspended/);
      assert.equal((await cli('account', 'suspend', 'short-lived')).code, 0);
      const deleted = await cli('account', 'delete', 'short-lived', '--json');
      assert.equal(deleted.code, 0, deleted.stderr);
      assert.deepEqual(JSON.parse(deleted.stdout), {
        accountId: 'short-lived',
        status: 'deleted',
        dataRemoved: true,
      });
      assert.doesNotMatch((await cli('account', 'list')).stdout, /short-lived/);
      const again = await cli('account', 'create', 'short-lived');
      assert.equal(again.code, 1);
      assert.match(again.stderr + again.stdout, /was deleted; its id can be used again from/);
      assert.equal((await cli('account', 'delete')).code, 2, 'usage error without an id');
    } finally {
      await server?.stop();
    }
  });
});

test('a CLI command leaves old policy log entries in the main file; the next server start moves them', async () => {
  const dir = folder();
  const main = join(dir, 'orchestrator.db');
  oldPolicyLogLayout(main, ['e1', 'e2']);
  assert.equal(
    (await runCli(cliEnv({ DATA_DIR: dir, ORCHESTRATOR_ADMIN_PASSWORD: '' }), 'account', 'list')).code,
    0,
  );
  assert.deepEqual(mainPolicyTables(main), [
    'policy_logs',
    'policy_outlines',
    'policy_sets',
    'policy_versions',
  ]);
  const server = await serverOn(dir);
  try {
    const found = await server.runtime.services.ctx.store.policyLogs.searchPolicyLogs({
      accountId: 'acct',
      conversationId: 'conv-1',
      since: 0,
      limit: 10,
    });
    assert.deepEqual(
      found.map((entry) => entry.id),
      ['e2', 'e1'],
    );
  } finally {
    await server.stop();
  }
  assert.deepEqual(mainPolicyTables(main), ['policy_sets', 'policy_versions']);
});

test('a CLI command refuses to upgrade the folder of a running server of an older version, and runs beside a current one', async () => {
  const dir = folder();
  const main = join(dir, 'orchestrator.db');
  // The folder as the version before the policy log's hourly tables left it.
  const db = openSqlite(main);
  migrateSqlite(db, sqliteMigrations);
  db.close();
  const log = openSqlite(join(dir, POLICY_LOG_FILE));
  migrateSqlite(log, policyLogMigrations.slice(0, 1));
  log.close();
  const cli = () => runCli(cliEnv({ DATA_DIR: dir, ORCHESTRATOR_ADMIN_PASSWORD: '' }), 'account', 'list');

  const olderServer = lockDataDir(dir);
  try {
    const refused = await cli();
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /older version than this command.*policy-log-002/s);
    assert.deepEqual(pendingSqliteMigrations(main), ['policy-log-002'], 'nothing applied');
  } finally {
    olderServer.release();
  }
  assert.equal((await cli()).code, 0, 'no server: the command upgrades the folder');
  assert.deepEqual(pendingSqliteMigrations(main), []);

  const currentServer = lockDataDir(dir);
  try {
    assert.equal((await cli()).code, 0, 'beside a server of its own version');
  } finally {
    currentServer.release();
  }
});

test('policy history lists the lists saved; policy restore brings one back, and the running server routes by it', async () => {
  const dir = folder();
  const server = await serverOn(dir);
  const env = cliEnv({ DATA_DIR: dir, ORCHESTRATOR_ADMIN_PASSWORD: '' });
  try {
    const { services } = server.runtime;
    await services.accounts.create('pol12345');
    const rule = (name: string, skillId: string) => ({
      name,
      enabled: true,
      conditions: [{ attribute: 'conversation.conversationId', operator: 'EQUAL', value: 'c1' }],
      actions: [{ type: 'TRANSFER_TO_SKILL', payload: { skillId } }],
    });
    await services.policies.create('pol12345', rule('Billing', 'billing'), 'alice');
    const { etag } = await services.policies.list('pol12345');
    await services.policies.replaceAll('pol12345', [rule('Sales', 'sales')], etag, 'bob');
    const routed = async () =>
      (await services.policies.nextAction('pol12345', { conversationId: 'c1' })).rule?.name;
    assert.equal(await routed(), 'Sales');

    const listed = await runCli(env, 'policy', 'history', 'pol12345');
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(
      listed.stdout,
      /^2\t\S+\tbob\tpolicies\.replaced\t1 policy\n1\t\S+\talice\tpolicy\.created\t1 policy\n$/,
    );
    const restored = await runCli(env, 'policy', 'restore', 'pol12345', '1', '--json');
    assert.equal(restored.code, 0, restored.stderr);
    assert.equal(JSON.parse(restored.stdout).policies[0].name, 'Billing');
    // The server hears of it (the store's own bus between processes) and routes by the restored list.
    for (let i = 0; i < 100 && (await routed()) !== 'Billing'; i++)
      await new Promise((r) => setTimeout(r, 50));
    assert.equal(await routed(), 'Billing');
    const newest = JSON.parse((await runCli(env, 'policy', 'history', 'pol12345', '--json')).stdout)[0];
    assert.equal(newest.action, 'policies.restored');
    assert.equal(newest.actor, 'cli');

    assert.equal((await runCli(env, 'policy', 'restore', 'pol12345', '9')).code, 1);
    assert.equal((await runCli(env, 'policy', 'restore', 'pol12345', 'latest')).code, 2);
    assert.equal((await runCli(env, 'policy', 'history', 'nobody')).code, 1);
  } finally {
    await server.stop();
  }
});
