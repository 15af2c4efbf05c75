import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ConfigError,
  DEFAULT_MAX_RETENTION_SECONDS,
  loadConfig,
  SECRET_VARIABLES,
} from '../../src/config/config.js';

describe('configuration', () => {
  test('defaults', () => {
    const config = loadConfig({}, '/srv');
    assert.equal(config.port, 8080);
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.dataDir, '/srv/data');
    assert.equal(config.issuer, 'http://127.0.0.1:8080');
    assert.equal(config.tokenTtlSeconds, 3600);
    assert.equal(config.shutdownTimeoutSeconds, 25);
    assert.equal(config.contextMaxRetentionSeconds, DEFAULT_MAX_RETENTION_SECONDS);
    assert.equal(config.databaseUrl, undefined);
    assert.equal(config.contextCacheMb, 32);
    assert.equal(loadConfig({ CONTEXT_CACHE_MB: '0' }, '/srv').contextCacheMb, 0);
    assert.equal(loadConfig({}, '/srv').databaseStatementTimeoutMs, 15_000);
    assert.equal(loadConfig({ DATABASE_STATEMENT_TIMEOUT_MS: '0' }, '/srv').databaseStatementTimeoutMs, 0);
    assert.equal(config.signingThreads, 'auto');
    assert.equal(loadConfig({ SIGNING_THREADS: 'true' }, '/srv').signingThreads, true);
    assert.equal(loadConfig({ SIGNING_THREADS: 'false' }, '/srv').signingThreads, false);
    assert.equal(config.policyLogThread, 'auto');
    assert.equal(config.auditRetentionDays, 0);
    assert.equal(loadConfig({ AUDIT_RETENTION_DAYS: '400' }, '/srv').auditRetentionDays, 400);
    assert.equal(loadConfig({}, '/srv').signingKeyRotationDays, 90, 'signing keys rotate every 90 days');
    assert.deepEqual(config.operatorSessions, { hours: 8, idleMinutes: 30 });
    assert.deepEqual(
      loadConfig({ OPERATOR_SESSION_HOURS: '12', OPERATOR_SESSION_IDLE_MINUTES: '0' }, '/srv')
        .operatorSessions,
      { hours: 12, idleMinutes: 0 },
    );
    assert.equal(loadConfig({ SIGNING_KEY_ROTATION_DAYS: '0' }, '/srv').signingKeyRotationDays, 0);
    assert.equal(config.dpopNonce, false);
    assert.equal(loadConfig({ DPOP_NONCE: 'true' }, '/srv').dpopNonce, true);
    assert.equal(config.clientCertificates, null);
    assert.equal(config.tls, null);
    const tls = loadConfig({ TLS_CERT_FILE: 'tls/server.pem', TLS_KEY_FILE: '/etc/tls/server.key' }, '/srv');
    assert.deepEqual(tls.tls, {
      certFile: '/srv/tls/server.pem',
      keyFile: '/etc/tls/server.key',
      clientCertificates: false,
      clientCaNames: false,
    });
    assert.equal(tls.issuer, 'https://127.0.0.1:8080', 'the default issuer is https with TLS');
    assert.equal(
      loadConfig({ TLS_CERT_FILE: 'a', TLS_KEY_FILE: 'b', TLS_CLIENT_CERTIFICATES: 'request' }, '/srv').tls
        ?.clientCertificates,
      true,
    );
    assert.equal(
      loadConfig(
        {
          TLS_CERT_FILE: 'a',
          TLS_KEY_FILE: 'b',
          TLS_CLIENT_CERTIFICATES: 'request',
          CLIENT_CA_FILE: 'cas.pem',
          TLS_CLIENT_CA_NAMES: 'true',
        },
        '/srv',
      ).tls?.clientCaNames,
      true,
    );
    assert.deepEqual(
      loadConfig({ CLIENT_CERT_HEADER: 'Client-Cert', CLIENT_CERT_PROXIES: '10.0.0.0/8, ::1' }, '/srv')
        .clientCertificates,
      { header: 'client-cert', proxies: ['10.0.0.0/8', '::1'] },
    );
    assert.equal(config.clientCaFile, null);
    assert.equal(
      loadConfig(
        { CLIENT_CERT_HEADER: 'client-cert', CLIENT_CERT_PROXIES: '10.0.0.1', CLIENT_CA_FILE: 'tls/ca.pem' },
        '/srv',
      ).clientCaFile,
      '/srv/tls/ca.pem',
    );
    assert.equal(config.clientCrlFile, null);
    assert.equal(config.mtlsBaseUrl, null);
    const proxied = { CLIENT_CERT_HEADER: 'client-cert', CLIENT_CERT_PROXIES: '10.0.0.1' };
    assert.equal(
      loadConfig(
        { ...proxied, ISSUER: 'https://co.example', MTLS_BASE_URL: 'https://mtls.co.example/' },
        '/srv',
      ).mtlsBaseUrl,
      'https://mtls.co.example',
    );
    assert.equal(
      loadConfig(
        {
          TLS_CERT_FILE: 'a',
          TLS_KEY_FILE: 'b',
          TLS_CLIENT_CERTIFICATES: 'request',
          MTLS_BASE_URL: 'https://co.example:8443/orchestrator',
        },
        '/srv',
      ).mtlsBaseUrl,
      'https://co.example:8443/orchestrator',
    );
    assert.equal(config.fileReloadSeconds, 60);
    assert.equal(loadConfig({ FILE_RELOAD_SECONDS: '0' }, '/srv').fileReloadSeconds, 0);
    assert.equal(
      loadConfig(
        {
          CLIENT_CERT_HEADER: 'client-cert',
          CLIENT_CERT_PROXIES: '10.0.0.1',
          CLIENT_CA_FILE: 'tls/ca.pem',
          CLIENT_CRL_FILE: 'tls/crl.pem',
        },
        '/srv',
      ).clientCrlFile,
      '/srv/tls/crl.pem',
    );
    assert.equal(config.operatorTotp, 'optional');
    assert.equal(config.accountRate, null);
    assert.deepEqual(loadConfig({ ACCOUNT_RATE_LIMIT: '200' }, '/srv').accountRate, {
      perSecond: 200,
      burst: 200,
    });
    assert.deepEqual(
      loadConfig({ ACCOUNT_RATE_LIMIT: '50', ACCOUNT_RATE_BURST: '500' }, '/srv').accountRate,
      {
        perSecond: 50,
        burst: 500,
      },
    );
    assert.equal(loadConfig({ OPERATOR_TOTP: 'required' }, '/srv').operatorTotp, 'required');
    assert.equal(loadConfig({ POLICY_LOG_THREAD: 'true' }, '/srv').policyLogThread, true);
    assert.equal(loadConfig({ POLICY_LOG_THREAD: 'false' }, '/srv').policyLogThread, false);
    assert.equal(config.operatorSso, null);
  });

  test('single sign-on: the three settings together, the rest with defaults', () => {
    const sso = {
      OPERATOR_SSO_ISSUER: 'https://login.example.com/realms/staff/',
      OPERATOR_SSO_CLIENT_ID: 'orchestrator',
      OPERATOR_SSO_CLIENT_SECRET: 's3cret',
    };
    assert.deepEqual(loadConfig(sso, '/srv').operatorSso, {
      issuer: 'https://login.example.com/realms/staff',
      clientId: 'orchestrator',
      clientSecret: 's3cret',
      name: 'single sign-on',
      usernameClaim: 'preferred_username',
      scope: 'openid profile email',
      newOperators: 'refuse',
      groups: null,
      groupsClaim: 'groups',
      signOut: 'here',
    });
    const byGroups = loadConfig(
      { ...sso, OPERATOR_SSO_GROUPS: 'ops=admin;support=viewer:acme', OPERATOR_SSO_GROUPS_CLAIM: 'roles' },
      '/srv',
    ).operatorSso;
    assert.deepEqual(
      [byGroups?.groups, byGroups?.groupsClaim],
      [
        [
          { group: 'ops', role: 'admin', accounts: null },
          { group: 'support', role: 'viewer', accounts: ['acme'] },
        ],
        'roles',
      ],
    );
    const chosen = loadConfig(
      {
        ...sso,
        OPERATOR_SSO_NAME: 'Acme Login',
        OPERATOR_SSO_USERNAME_CLAIM: 'email',
        OPERATOR_SSO_SCOPE: 'email  profile',
      },
      '/srv',
    ).operatorSso;
    assert.deepEqual(
      [chosen?.name, chosen?.usernameClaim, chosen?.scope],
      ['Acme Login', 'email', 'openid email profile'],
    );
    assert.equal(
      loadConfig({ ...sso, OPERATOR_SSO_ISSUER: 'http://localhost:9000' }, '/srv').operatorSso?.issuer,
      'http://localhost:9000',
      'http on this machine only',
    );
    const refused: [Record<string, string>, RegExp][] = [
      [
        { OPERATOR_SSO_ISSUER: sso.OPERATOR_SSO_ISSUER },
        /missing: OPERATOR_SSO_CLIENT_ID, OPERATOR_SSO_CLIENT_SECRET/,
      ],
      [{ OPERATOR_SSO_NAME: 'Acme' }, /OPERATOR_SSO_NAME needs OPERATOR_SSO_ISSUER/],
      [{ ...sso, OPERATOR_SSO_ISSUER: 'http://login.example.com' }, /must be an https:\/\/ URL/],
      [{ ...sso, OPERATOR_SSO_ISSUER: 'not a url' }, /OPERATOR_SSO_ISSUER is not a valid URL/],
      [{ ...sso, OPERATOR_SSO_NAME: 'x'.repeat(41) }, /OPERATOR_SSO_NAME must be 1 to 40/],
      [{ ...sso, OPERATOR_SSO_NAME: 'bad\u0007bell' }, /OPERATOR_SSO_NAME/],
      [
        { ...sso, OPERATOR_SSO_USERNAME_CLAIM: 'has space' },
        /OPERATOR_SSO_USERNAME_CLAIM must be a claim name/,
      ],
      [{ ...sso, OPERATOR_SSO_SCOPE: 'openid "quoted"' }, /OPERATOR_SSO_SCOPE/],
      [
        { ...sso, OPERATOR_SSO_NEW_OPERATORS: 'admin' },
        /OPERATOR_SSO_NEW_OPERATORS must be refuse or viewer/,
      ],
      [{ OPERATOR_SSO_NEW_OPERATORS: 'viewer' }, /OPERATOR_SSO_NEW_OPERATORS needs OPERATOR_SSO_ISSUER/],
      [{ OPERATOR_SSO_GROUPS: 'ops=admin' }, /OPERATOR_SSO_GROUPS needs OPERATOR_SSO_ISSUER/],
      [
        { ...sso, OPERATOR_SSO_GROUPS: 'ops=owner' },
        /OPERATOR_SSO_GROUPS must be group=role .*: the role of ops must be admin or viewer/,
      ],
      [
        { ...sso, OPERATOR_SSO_GROUPS: 'ops=admin', OPERATOR_SSO_NEW_OPERATORS: 'viewer' },
        /OPERATOR_SSO_NEW_OPERATORS has no use with OPERATOR_SSO_GROUPS/,
      ],
      [{ ...sso, OPERATOR_SSO_GROUPS_CLAIM: 'roles' }, /OPERATOR_SSO_GROUPS_CLAIM needs OPERATOR_SSO_GROUPS/],
      [{ ...sso, OPERATOR_SSO_SIGN_OUT: 'everywhere' }, /OPERATOR_SSO_SIGN_OUT must be here or provider/],
      [{ OPERATOR_SSO_SIGN_OUT: 'provider' }, /OPERATOR_SSO_SIGN_OUT needs OPERATOR_SSO_ISSUER/],
      [
        { ...sso, OPERATOR_SSO_GROUPS: 'ops=admin', OPERATOR_SSO_GROUPS_CLAIM: 'a b' },
        /OPERATOR_SSO_GROUPS_CLAIM must be a claim name/,
      ],
    ];
    for (const [env, message] of refused)
      assert.throws(() => loadConfig(env, '/srv'), message, JSON.stringify(env));
  });

  test('every invalid value stops the start with a message naming the variable', () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ OPERATOR_TOTP: 'yes' }, /OPERATOR_TOTP must be optional or required/],
      [{ ACCOUNT_RATE_LIMIT: '-1' }, /ACCOUNT_RATE_LIMIT/],
      [{ ACCOUNT_RATE_LIMIT: '10', ACCOUNT_RATE_BURST: '0' }, /ACCOUNT_RATE_BURST/],
      [{ ACCOUNT_RATE_BURST: '10' }, /ACCOUNT_RATE_BURST needs ACCOUNT_RATE_LIMIT/],
      [{ PORT: 'eighty' }, /PORT must be a whole number/],
      [{ PORT: '70000' }, /PORT must be between/],
      [{ TOKEN_TTL_SECONDS: '86401' }, /TOKEN_TTL_SECONDS/],
      [{ SHUTDOWN_TIMEOUT_SECONDS: '0' }, /SHUTDOWN_TIMEOUT_SECONDS/],
      [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL/],
      [{ DATABASE_URL: 'mysql://x' }, /DATABASE_URL must start with postgres/],
      [{ DATABASE_URL: 'postgres://db/x' }, /ISSUER is required with DATABASE_URL/],
      [{ REDIS_URL: 'not a url' }, /REDIS_URL is not a valid URL/],
      [{ ORCHESTRATOR_MASTER_KEY: 'c2hvcnQ=' }, /ORCHESTRATOR_MASTER_KEY must be 32 bytes/],
      [
        { ORCHESTRATOR_MASTER_KEY_PREVIOUS: 'not base64!' },
        /ORCHESTRATOR_MASTER_KEY_PREVIOUS must be 32 bytes/,
      ],
      [{ ORCHESTRATOR_ADMIN_PASSWORD: 'short' }, /at least 12/],
      [{ ISSUER: 'ftp://x' }, /ISSUER must start with/],
      [{ TRUST_PROXY: 'yes' }, /TRUST_PROXY/],
      [{ TRUST_PROXY: '0' }, /TRUST_PROXY must be false, true, a number of proxies from 1 to 10/],
      [{ TRUST_PROXY: '11' }, /TRUST_PROXY/],
      [{ TRUST_PROXY: '10.0.0.0/33' }, /TRUST_PROXY/],
      [{ TRUST_PROXY: '10.0.0.0/8, proxy.example' }, /TRUST_PROXY/],
      [{ TRUST_PROXY: '::1/129' }, /TRUST_PROXY/],
      [{ TRUST_PROXY: '10.0.0.1/8/2' }, /TRUST_PROXY/],
      [
        { ADMIN_NETWORKS: '10.0.0.0/8,office' },
        /ADMIN_NETWORKS: "office" is not an IPv4 or IPv6 address or network/,
      ],
      [{ ADMIN_NETWORKS: '10.0.0.0/40' }, /ADMIN_NETWORKS/],
      [{ SIGNING_THREADS: 'yes' }, /SIGNING_THREADS must be auto, true or false/],
      [{ POLICY_LOG_THREAD: '1' }, /POLICY_LOG_THREAD must be auto, true or false/],
      [{ REDIS_PREFIX: 'has space' }, /REDIS_PREFIX/],
      [{ CONTEXT_CACHE_MB: '-1' }, /CONTEXT_CACHE_MB/],
      [{ DATABASE_STATEMENT_TIMEOUT_MS: '1.5' }, /DATABASE_STATEMENT_TIMEOUT_MS/],
      [{ DATABASE_STATEMENT_TIMEOUT_MS: '-1' }, /DATABASE_STATEMENT_TIMEOUT_MS/],
      [{ CONTEXT_CACHE_MB: 'lots' }, /CONTEXT_CACHE_MB/],
      [{ BACKUP_KEEP: '3' }, /BACKUP_KEEP needs BACKUP_DIR/],
      [{ BACKUP_COMMAND: 'rclone copy "$BACKUP_PATH" remote:' }, /BACKUP_COMMAND needs BACKUP_DIR/],
      [{ CLIENT_ASSERTION_AUDIENCE: 'token-endpoint' }, /CLIENT_ASSERTION_AUDIENCE must be any or issuer/],
      [{ CLIENT_OCSP: 'yes' }, /CLIENT_OCSP must be off, prefer or require/],
      [{ CLIENT_OCSP: 'require' }, /CLIENT_OCSP asks the OCSP responders of the CAs of CLIENT_CA_FILE/],
      [{ AUDIT_RETENTION_DAYS: '-1' }, /AUDIT_RETENTION_DAYS must be a whole number/],
      [{ AUDIT_RETENTION_DAYS: '36501' }, /AUDIT_RETENTION_DAYS must be between 0 and 36500/],
      [{ SIGNING_KEY_ROTATION_DAYS: '7.5' }, /SIGNING_KEY_ROTATION_DAYS must be a whole number/],
      [{ OPERATOR_SESSION_HOURS: '0' }, /OPERATOR_SESSION_HOURS must be between 1 and 720/],
      [
        { OPERATOR_SESSION_HOURS: '1', OPERATOR_SESSION_IDLE_MINUTES: '60' },
        /OPERATOR_SESSION_IDLE_MINUTES \(60\) must be shorter than OPERATOR_SESSION_HOURS \(1 hours\), or 0/,
      ],
      [{ SIGNING_KEY_ROTATION_DAYS: '3651' }, /SIGNING_KEY_ROTATION_DAYS must be between 0 and 3650/],
      [{ DPOP_NONCE: 'yes' }, /DPOP_NONCE must be true or false/],
      [{ CLIENT_CERT_HEADER: 'client-cert' }, /CLIENT_CERT_HEADER and CLIENT_CERT_PROXIES go together/],
      [{ CLIENT_CA_FILE: '/etc/ca.pem' }, /CLIENT_CA_FILE needs client certificates to check/],
      [
        {
          CLIENT_CERT_HEADER: 'client-cert',
          CLIENT_CERT_PROXIES: '10.0.0.1',
          CLIENT_CRL_FILE: '/etc/crl.pem',
        },
        /CLIENT_CRL_FILE holds the CRLs of the CAs of CLIENT_CA_FILE: set CLIENT_CA_FILE too/,
      ],
      [{ CLIENT_CERT_PROXIES: '10.0.0.1' }, /CLIENT_CERT_HEADER and CLIENT_CERT_PROXIES go together/],
      [{ CLIENT_CERT_HEADER: 'client cert', CLIENT_CERT_PROXIES: '10.0.0.1' }, /CLIENT_CERT_HEADER must be/],
      [
        { CLIENT_CERT_HEADER: 'authorization', CLIENT_CERT_PROXIES: '10.0.0.1' },
        /CLIENT_CERT_HEADER must be/,
      ],
      [
        { CLIENT_CERT_HEADER: 'client-cert', CLIENT_CERT_PROXIES: 'loopback' },
        /CLIENT_CERT_PROXIES: "loopback"/,
      ],
      [{ TLS_CERT_FILE: 'a.pem' }, /TLS_CERT_FILE and TLS_KEY_FILE go together/],
      [{ TLS_KEY_FILE: 'a.key' }, /TLS_CERT_FILE and TLS_KEY_FILE go together/],
      [{ TLS_CLIENT_CERTIFICATES: 'request' }, /needs TLS_CERT_FILE and TLS_KEY_FILE/],
      [
        {
          TLS_CERT_FILE: 'a',
          TLS_KEY_FILE: 'b',
          TLS_CLIENT_CERTIFICATES: 'request',
          TLS_CLIENT_CA_NAMES: 'true',
        },
        /TLS_CLIENT_CA_NAMES=true .* needs TLS_CLIENT_CERTIFICATES=request and CLIENT_CA_FILE/,
      ],
      [{ TLS_CLIENT_CA_NAMES: 'yes' }, /TLS_CLIENT_CA_NAMES must be true or false/],
      [
        { MTLS_BASE_URL: 'https://mtls.co.example' },
        /MTLS_BASE_URL is where clients present certificates: it needs/,
      ],
      [
        {
          CLIENT_CERT_HEADER: 'client-cert',
          CLIENT_CERT_PROXIES: '10.0.0.1',
          MTLS_BASE_URL: 'http://mtls.co.example',
        },
        /MTLS_BASE_URL must start with https:\/\//,
      ],
      [
        {
          CLIENT_CERT_HEADER: 'client-cert',
          CLIENT_CERT_PROXIES: '10.0.0.1',
          MTLS_BASE_URL: 'mtls.co.example',
        },
        /MTLS_BASE_URL is not a valid URL/,
      ],
      [
        {
          CLIENT_CERT_HEADER: 'client-cert',
          CLIENT_CERT_PROXIES: '10.0.0.1',
          MTLS_BASE_URL: 'https://mtls.co.example/?a=1',
        },
        /MTLS_BASE_URL must be a base URL/,
      ],
      [
        {
          CLIENT_CERT_HEADER: 'client-cert',
          CLIENT_CERT_PROXIES: '10.0.0.1',
          ISSUER: 'https://co.example',
          MTLS_BASE_URL: 'https://co.example/',
        },
        /MTLS_BASE_URL is ISSUER/,
      ],
      [{ FILE_RELOAD_SECONDS: '-1' }, /FILE_RELOAD_SECONDS/],
      [{ TLS_CERT_FILE: 'a', TLS_KEY_FILE: 'b', TLS_CLIENT_CERTIFICATES: 'yes' }, /must be off or request/],
      [{ CLIENT_CERT_HEADER: 'client-cert', CLIENT_CERT_PROXIES: '10.0.0.1,0.0.0.0/0' }, /every address/],
      [{ CLIENT_CERT_HEADER: 'client-cert', CLIENT_CERT_PROXIES: '::/0' }, /every address/],
      [
        { CLIENT_CERT_HEADER: 'x-forwarded-client-cert', CLIENT_CERT_PROXIES: '10.0.0.1' },
        /CLIENT_CERT_HEADER must be/,
      ],
      [{ BACKUP_DIR: '/backups', BACKUP_KEEP: '0' }, /BACKUP_KEEP must be between 1 and 1000/],
      [{ BACKUP_DIR: '/backups', BACKUP_INTERVAL_SECONDS: '59' }, /BACKUP_INTERVAL_SECONDS must be between/],
      [{ BACKUP_DIR: '/backups', BACKUP_INTERVAL_SECONDS: '1h' }, /BACKUP_INTERVAL_SECONDS must be a whole/],
      [{ BACKUP_DIR: '/backups', BACKUP_POLICY_LOGS: 'no' }, /BACKUP_POLICY_LOGS must be true or false/],
      [
        { BACKUP_DIR: '/backups', BACKUP_COMMAND_TIMEOUT_SECONDS: '60' },
        /BACKUP_COMMAND_TIMEOUT_SECONDS needs BACKUP_COMMAND/,
      ],
      [
        { BACKUP_DIR: '/backups', BACKUP_COMMAND: 'true', BACKUP_COMMAND_TIMEOUT_SECONDS: '0' },
        /BACKUP_COMMAND_TIMEOUT_SECONDS must be between 1 and 86400/,
      ],
      [{ BACKUP_DIR: '/srv/data' }, /BACKUP_DIR must be outside DATA_DIR/],
      [{ BACKUP_DIR: './data/backups' }, /BACKUP_DIR must be outside DATA_DIR/],
      [
        { BACKUP_DIR: '/backups', DATABASE_URL: 'postgres://db/x', ISSUER: 'https://o.example.com' },
        /BACKUP_DIR backs up the SQLite store; with DATABASE_URL/,
      ],
    ];
    for (const [env, message] of cases)
      assert.throws(
        () => loadConfig(env, '/srv'),
        (e: unknown) => e instanceof ConfigError && message.test(e.message),
      );
  });

  test('scheduled backups: off by default; a folder outside DATA_DIR, an interval, a count to keep', () => {
    assert.equal(loadConfig({}, '/srv').backups, undefined);
    assert.deepEqual(loadConfig({ BACKUP_DIR: 'backups' }, '/srv').backups, {
      folder: '/srv/backups',
      intervalSeconds: 86_400,
      keep: 7,
      policyLogs: true,
      command: null,
    });
    assert.deepEqual(
      loadConfig(
        {
          BACKUP_DIR: '/srv/data-backups',
          BACKUP_INTERVAL_SECONDS: '3600',
          BACKUP_KEEP: '48',
          BACKUP_POLICY_LOGS: 'false',
        },
        '/srv',
      ).backups,
      { folder: '/srv/data-backups', intervalSeconds: 3600, keep: 48, policyLogs: false, command: null },
    );
    // A blank command is none.
    assert.equal(loadConfig({ BACKUP_DIR: '/backups', BACKUP_COMMAND: '  ' }, '/srv').backups?.command, null);
    // A folder in DATA_DIR whose name starts with two dots is inside it all the same.
    assert.throws(() => loadConfig({ BACKUP_DIR: '/srv/data/..backups' }, '/srv'), /outside DATA_DIR/);
  });

  test("BACKUP_COMMAND: its text, a time limit, and the server's environment without the server's secrets", () => {
    const env = {
      BACKUP_DIR: '/backups',
      BACKUP_COMMAND: 'rclone copy "$BACKUP_PATH" "offsite:orchestrator/$BACKUP_NAME"',
      PATH: '/usr/bin:/bin',
      RCLONE_CONFIG_OFFSITE_SECRET_ACCESS_KEY: 'the tool needs it',
      ORCHESTRATOR_MASTER_KEY: Buffer.alloc(32, 1).toString('base64'),
      ORCHESTRATOR_MASTER_KEY_PREVIOUS: Buffer.alloc(32, 2).toString('base64'),
      ORCHESTRATOR_ADMIN_PASSWORD: 'first admin password',
      OPERATOR_SSO_ISSUER: 'https://idp.example.com',
      OPERATOR_SSO_CLIENT_ID: 'orchestrator',
      OPERATOR_SSO_CLIENT_SECRET: 'sso secret',
      REDIS_URL: 'redis://:password@cache:6379',
    };
    assert.deepEqual(loadConfig(env, '/srv').backups?.command, {
      text: env.BACKUP_COMMAND,
      timeoutSeconds: 3600,
      environment: {
        BACKUP_DIR: '/backups',
        PATH: '/usr/bin:/bin',
        RCLONE_CONFIG_OFFSITE_SECRET_ACCESS_KEY: 'the tool needs it',
        OPERATOR_SSO_ISSUER: 'https://idp.example.com',
        OPERATOR_SSO_CLIENT_ID: 'orchestrator',
      },
    });
    assert.equal(
      loadConfig({ ...env, BACKUP_COMMAND_TIMEOUT_SECONDS: '86400' }, '/srv').backups?.command
        ?.timeoutSeconds,
      86_400,
    );
    for (const name of SECRET_VARIABLES)
      assert.ok(!(name in (loadConfig(env, '/srv').backups?.command?.environment ?? {})));
  });

  test('accepts a full multi-node configuration', () => {
    const key = Buffer.alloc(32, 7).toString('base64');
    const config = loadConfig({
      DATABASE_URL: 'postgres://db/orchestrator',
      REDIS_URL: 'redis://cache:6379',
      ISSUER: 'https://orchestrator.example.com/',
      ORCHESTRATOR_MASTER_KEY: key,
      HOST: '0.0.0.0',
      TRUST_PROXY: 'true',
    });
    assert.equal(config.issuer, 'https://orchestrator.example.com');
    assert.deepEqual(config.masterKey, Buffer.alloc(32, 7));
    assert.equal(config.previousMasterKey, undefined);
    const previous = Buffer.alloc(32, 9).toString('base64');
    assert.deepEqual(
      loadConfig({ ORCHESTRATOR_MASTER_KEY_PREVIOUS: previous }).previousMasterKey,
      Buffer.alloc(32, 9),
    );
    assert.equal(config.trustProxy, true);
    assert.equal(loadConfig({ TRUST_PROXY: '2' }).trustProxy, 2);
    assert.deepEqual(loadConfig({ TRUST_PROXY: ' 10.0.0.0/8, fd00::/8,192.168.1.7 ,loopback' }).trustProxy, [
      '10.0.0.0/8',
      'fd00::/8',
      '192.168.1.7',
      'loopback',
    ]);
    assert.equal(loadConfig({}).trustProxy, false);
    assert.equal(loadConfig({}).adminNetworks, null);
    assert.equal(loadConfig({ ADMIN_NETWORKS: ' ' }).adminNetworks, null);
    assert.deepEqual(loadConfig({ ADMIN_NETWORKS: '10.0.0.0/8, 2001:db8::/32' }).adminNetworks, [
      '10.0.0.0/8',
      '2001:db8::/32',
    ]);
  });
});
