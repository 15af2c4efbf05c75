import { Fragment } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { accountPath, api, messageOf, recordSecretUse } from '../api.js';
import { ConfirmDialog } from '../components/confirm-dialog.js';
import { CopyButton } from '../components/copy-button.js';
import { Loading, Notice, PageHeading, TextField } from '../components/ui.js';
import { formatTime, relativeTime } from '../format.js';

interface Authorization {
  testToken: { token: string; expiresAt: string } | null;
  credentials: { userId: string; password: string } | null;
  apiKey: {
    key: string;
    createdAt: string;
    lastUsedAt: string | null;
    previous: { createdAt: string; expiresAt: string; lastUsedAt: string | null }[];
  } | null;
  loginUrl: string;
  tokenUrl: string;
}

const MAX_GRACE_SECONDS = 86_400;

function basicHeader(userId: string, password: string): string {
  const bytes = new TextEncoder().encode(`${userId}:${password}`);
  return `Basic ${btoa(String.fromCharCode(...bytes))}`;
}

function curlExample(loginUrl: string, header: string): string {
  return `curl -X POST '${loginUrl}' \\\n  -H 'Authorization: ${header}'`;
}

function TestTokenSection({
  accountId,
  data,
  onChanged,
}: {
  accountId: string;
  data: Authorization;
  onChanged: () => void;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const token = data.testToken;

  async function issue() {
    setBusy(true);
    setError(null);
    try {
      await api.post(accountPath(accountId, 'test-token'));
      onChanged();
    } catch (failure) {
      setError(messageOf(failure));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="test-token" class="card">
      <h2 id="test-token">Token for testing the v2 APIs</h2>
      <p>
        Use this access token to try the Context Service API v2 and the Next Actions API v2 in API testing
        tools such as Postman. It is temporary: it expires 24 hours after it is issued.{' '}
        <strong>Do not use it in your code</strong> — code gets its own tokens with the credentials below.
      </p>
      {error ? <Notice kind="error">{error}</Notice> : null}
      {token ? (
        <dl class="secrets">
          <dt>Token</dt>
          <dd>
            <code class="secret" id="test-token-value">
              {token.token}
            </code>
            <CopyButton
              label="Copy token"
              value={token.token}
              audit={{ accountId, action: 'test-token.copied' }}
            />
          </dd>
          <dt>Expires</dt>
          <dd>
            <span>
              <time dateTime={token.expiresAt}>{formatTime(token.expiresAt)}</time> (
              {relativeTime(token.expiresAt)})
            </span>
          </dd>
        </dl>
      ) : (
        <p>No token for testing has been issued yet, or the last one has expired.</p>
      )}
      <div class="actions">
        <button type="button" onClick={issue} disabled={busy}>
          {busy ? 'Getting a token…' : 'Get a new token'}
        </button>
        {token ? <span class="hint">Getting a new token revokes this one.</span> : null}
      </div>
    </section>
  );
}

function CredentialsSection({
  accountId,
  data,
  onChanged,
}: {
  accountId: string;
  data: Authorization;
  onChanged: (notice: string) => void;
}) {
  const [revealed, setRevealed] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const credentials = data.credentials;

  async function toggleReveal() {
    if (revealed) {
      setRevealed(false);
      return;
    }
    try {
      await recordSecretUse(accountId, 'credentials.revealed');
      setRevealed(true);
    } catch (failure) {
      setError(messageOf(failure));
    }
  }

  async function regenerate() {
    setBusy(true);
    setError(null);
    try {
      await api.post(accountPath(accountId, 'credentials', 'regenerate'));
      setConfirming(false);
      setRevealed(false);
      onChanged(
        'New credentials were created. The old password, and every token issued with it, no longer work.',
      );
    } catch (failure) {
      setError(messageOf(failure));
    } finally {
      setBusy(false);
    }
  }

  const header = credentials ? basicHeader(credentials.userId, credentials.password) : '';
  const shownHeader = revealed ? header : 'Basic ••••••••••••';
  return (
    <section aria-labelledby="credentials" class="card">
      <h2 id="credentials">Credentials for using the v2 APIs in your code</h2>
      <p>
        Your code exchanges this user ID and password for an OAuth 2.0 access token at the login endpoint,
        then sends the token as <code>Authorization: Bearer &lt;token&gt;</code> in its API calls.
      </p>
      {error && !confirming ? <Notice kind="error">{error}</Notice> : null}
      {credentials ? (
        <>
          <dl class="secrets">
            <dt>User ID</dt>
            <dd>
              <code class="secret" id="credentials-user-id">
                {credentials.userId}
              </code>
              <CopyButton
                label="Copy user ID"
                value={credentials.userId}
                audit={{ accountId, action: 'credentials.copied' }}
              />
            </dd>
            <dt>Password</dt>
            <dd>
              <code class="secret" id="credentials-password">
                {revealed ? credentials.password : '••••••••••••••••'}
              </code>
              {revealed ? null : <span class="visually-hidden">(hidden)</span>}
              <button type="button" class="button-secondary" onClick={toggleReveal}>
                {revealed ? 'Hide password' : 'Show password'}
              </button>
              <CopyButton
                label="Copy password"
                value={credentials.password}
                audit={{ accountId, action: 'credentials.copied' }}
              />
            </dd>
            <dt>Login URL</dt>
            <dd>
              <code id="login-url">{data.loginUrl}</code>
            </dd>
          </dl>
          <h3>Get an access token</h3>
          <p>
            Send the user ID and password as a Basic <code>Authorization</code> header: the word{' '}
            <code>Basic</code>, a space, and the base64 encoding of <code>userId:password</code>. Base64 is
            easily decoded, so call the login URL over HTTPS only.
          </p>
          <p class="code-label" id="curl-example-label">
            Example with curl{revealed ? '' : ' (show the password to see the whole header)'}:
          </p>
          <pre class="code">
            <code>{curlExample(data.loginUrl, shownHeader)}</code>
          </pre>
          <div class="actions">
            <CopyButton
              label="Copy curl command"
              value={curlExample(data.loginUrl, header)}
              audit={{ accountId, action: 'credentials.copied' }}
            />
          </div>
          <p>
            It answers <code>{'{"access_token": "…", "token_type": "Bearer", "expires_in": …}'}</code>.
            Standard OAuth 2.0 clients can use the token endpoint <code>{data.tokenUrl}</code> with{' '}
            <code>grant_type=client_credentials</code> instead.
          </p>
        </>
      ) : (
        <p>This account has no v2 credentials. Regenerate them to create a user ID and password.</p>
      )}
      <div class="actions">
        <button type="button" class="button-danger" onClick={() => setConfirming(true)}>
          Regenerate credentials
        </button>
      </div>
      <ConfirmDialog
        open={confirming}
        title="Regenerate the credentials?"
        confirmLabel="Regenerate credentials"
        busy={busy}
        error={confirming ? error : null}
        onConfirm={regenerate}
        onCancel={() => {
          setConfirming(false);
          setError(null);
        }}
      >
        <p>
          A new user ID and password replace the current ones.{' '}
          <strong>
            The current password stops working at once, on every server node, and every access token issued
            with it is revoked.
          </strong>
        </p>
        <p>Every program that logs in with the current credentials must be given the new ones.</p>
      </ConfirmDialog>
    </section>
  );
}

function ApiKeySection({
  accountId,
  data,
  onChanged,
}: {
  accountId: string;
  data: Authorization;
  onChanged: (notice: string) => void;
}) {
  const [confirming, setConfirming] = useState(false);
  const [grace, setGrace] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const key = data.apiKey;
  const graceSeconds = grace.trim() === '' ? 0 : Number(grace);
  const graceValid = Number.isInteger(graceSeconds) && graceSeconds >= 0 && graceSeconds <= MAX_GRACE_SECONDS;

  async function regenerate() {
    if (!graceValid) return;
    setBusy(true);
    setError(null);
    try {
      await api.post(accountPath(accountId, 'api-key', 'regenerate'), { graceSeconds });
      setConfirming(false);
      setGrace('');
      onChanged(
        graceSeconds > 0
          ? `A new API key was created. The old key keeps working for ${graceSeconds} seconds, then stops everywhere.`
          : 'A new API key was created. The old key has stopped working everywhere.',
      );
    } catch (failure) {
      setError(messageOf(failure));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="api-key" class="card">
      <h2 id="api-key">API key for v1 APIs</h2>
      <p>
        Send this key in the <code>maven-api-key</code> header of every v1 API call. One key serves all the v1
        APIs of the account (Conversation Context Service and Next Actions).
      </p>
      {error && !confirming ? <Notice kind="error">{error}</Notice> : null}
      {key ? (
        <dl class="secrets">
          <dt>API key</dt>
          <dd>
            <code class="secret" id="api-key-value">
              {key.key}
            </code>
            <CopyButton
              label="Copy API key"
              value={key.key}
              audit={{ accountId, action: 'api-key.copied' }}
            />
          </dd>
          <dt>Created</dt>
          <dd>
            <time dateTime={key.createdAt}>{formatTime(key.createdAt)}</time>
          </dd>
          <dt>Last used</dt>
          <dd id="api-key-last-used">
            {key.lastUsedAt ? (
              <time dateTime={key.lastUsedAt}>{formatTime(key.lastUsedAt)}</time>
            ) : (
              'Not used yet'
            )}
          </dd>
          {key.previous.map((p) => (
            <Fragment key={p.createdAt}>
              <dt>Previous key</dt>
              <dd>
                <span>
                  Still works until <time dateTime={p.expiresAt}>{formatTime(p.expiresAt, true)}</time> (grace
                  period
                  {p.lastUsedAt ? <>; last used {formatTime(p.lastUsedAt)}</> : null})
                </span>
              </dd>
            </Fragment>
          ))}
        </dl>
      ) : (
        <p>This account has no v1 API key. Regenerate it to create one.</p>
      )}
      <div class="actions">
        <button type="button" class="button-danger" onClick={() => setConfirming(true)}>
          Regenerate Key
        </button>
      </div>
      <ConfirmDialog
        open={confirming}
        title="Regenerate the API key?"
        confirmLabel="Regenerate Key"
        busy={busy}
        error={confirming ? error : null}
        onConfirm={regenerate}
        onCancel={() => {
          setConfirming(false);
          setError(null);
        }}
      >
        <p>
          <strong>The current key stops working everywhere at once</strong> — on every server node, for every
          v1 API — as soon as you confirm, unless you give a grace period below. Every program that calls the
          v1 APIs must be given the new key.
        </p>
        <TextField
          label="Grace period in seconds (optional)"
          value={grace}
          onValue={setGrace}
          inputMode="numeric"
          pattern="[0-9]*"
          autoComplete="off"
          hint="Keeps the old key working this long (up to 86400, one day) while you roll out the new one. Empty or 0: the old key stops at once."
          error={graceValid ? undefined : 'Enter a whole number of seconds from 0 to 86400.'}
        />
      </ConfirmDialog>
    </section>
  );
}

/** The page the original documentation describes: the account's three kinds of server-to-server secrets. */
export function ApiAuthorizationPage({ accountId }: { accountId: string }) {
  const [data, setData] = useState<Authorization | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const load = useCallback(() => {
    api
      .get<Authorization>(accountPath(accountId, 'api-authorization'))
      .then((d) => {
        setData(d);
        setError(null);
      })
      .catch((failure) => setError(messageOf(failure)));
  }, [accountId]);
  useEffect(load, [load]);

  const changed = (text: string) => {
    setNotice(text);
    load();
  };

  return (
    <>
      <PageHeading title={`API Authorization · ${accountId}`}>API Authorization</PageHeading>
      <p>
        The secrets programs of account <strong>{accountId}</strong> use to call the APIs. Every view, copy
        and regeneration is recorded in the audit log.
      </p>
      {notice ? <Notice kind="success">{notice}</Notice> : null}
      {error ? <Notice kind="error">{error}</Notice> : null}
      {data === null && !error ? <Loading what="the API authorization" /> : null}
      {data ? (
        <>
          <TestTokenSection
            accountId={accountId}
            data={data}
            onChanged={() => changed('A new token for testing was issued; the previous one is revoked.')}
          />
          <CredentialsSection accountId={accountId} data={data} onChanged={changed} />
          <ApiKeySection accountId={accountId} data={data} onChanged={changed} />
        </>
      ) : null}
    </>
  );
}
