import { useState } from 'preact/hooks';
import { accountPath, api, messageOf, recordSecretUse } from '../api.js';
import type { Authorization } from '../authorization.js';
import { formatTime } from '../format.js';
import { ConfirmedAction } from './confirmed-action.js';
import { CopyButton } from './copy-button.js';
import { GracePeriodField, secondsInWords, useGracePeriod } from './grace-period.js';
import { LastUse } from './last-use.js';
import { SecretValue } from './secret-value.js';
import { Notice } from './ui.js';

function basicHeader(userId: string, password: string): string {
  const bytes = new TextEncoder().encode(`${userId}:${password}`);
  return `Basic ${btoa(String.fromCharCode(...bytes))}`;
}

function curlExample(loginUrl: string, header: string): string {
  return `curl -X POST '${loginUrl}' \\\n  -H 'Authorization: ${header}'`;
}

/**
 * *Credentials for using the v2 APIs in your code*: user ID, password hidden until shown, when the client last
 * authenticated (to the minute: with the password, or with one of its keys), the login URL and a ready curl
 * example; Regenerate behind a confirmation with a grace period (as the API key's), which says when they were last
 * used (if recently, that the client using them must get the new ones, within the grace period if any). While the
 * user ID they replaced still works (its grace period), a line under the user ID says until when, and when it was
 * last used (its password is not kept). While the account takes signed assertions alone, a line under the
 * password says it is refused, so that no one hands it to a system that would then get no token.
 */
export function CredentialsSection({
  accountId,
  data,
  passwordRefused,
  onChanged,
}: {
  accountId: string;
  data: Authorization;
  /** The account's client authenticates with signed assertions alone: its password gets no token. */
  passwordRefused: boolean;
  onChanged: (notice: string) => void;
}) {
  const [revealed, setRevealed] = useState(false);
  const [error, setError] = useState<string | null>(null);
  /** When the confirmation opened: their last use is said as of then. */
  const [openedAt, setOpenedAt] = useState(0);
  const grace = useGracePeriod();
  const credentials = data.credentials;
  const previous = credentials?.previous ?? null;
  const within = grace.valid && grace.seconds > 0 ? ` within ${secondsInWords(grace.seconds)}` : '';

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
    const graceSeconds = grace.seconds;
    await api.post(accountPath(accountId, 'credentials', 'regenerate'), { graceSeconds });
    setRevealed(false);
    grace.reset();
    onChanged(
      graceSeconds > 0
        ? `New credentials were created. The old user ID and password, and every token issued with them, keep working for ${secondsInWords(graceSeconds)}, then stop everywhere.`
        : 'New credentials were created. The old password, and every token issued with it, no longer work.',
    );
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
      {error ? <Notice kind="error">{error}</Notice> : null}
      {credentials ? (
        <>
          <dl class="secrets">
            <dt>User ID</dt>
            <dd>
              <SecretValue
                id="credentials-user-id"
                value={credentials.userId}
                copyLabel="Copy user ID"
                audit={{ accountId, action: 'credentials.copied' }}
              />
              {previous ? (
                <p class="hint secret-note" id="credentials-previous">
                  The previous user ID <code>{previous.userId}</code> still works until{' '}
                  <time dateTime={previous.expiresAt}>{formatTime(previous.expiresAt, true)}</time> (grace
                  period;{' '}
                  {previous.lastUsedAt ? (
                    <>
                      last used <time dateTime={previous.lastUsedAt}>{formatTime(previous.lastUsedAt)}</time>
                    </>
                  ) : (
                    'never used'
                  )}
                  ). Its password is not shown: it is not kept.
                </p>
              ) : null}
            </dd>
            <dt>Password</dt>
            <dd>
              <SecretValue
                id="credentials-password"
                value={credentials.password}
                shown={revealed ? credentials.password : '••••••••••••••••'}
                copyLabel="Copy password"
                audit={{ accountId, action: 'credentials.copied' }}
              >
                {revealed ? null : <span class="visually-hidden">(hidden)</span>}
                <button type="button" class="button-secondary" onClick={toggleReveal}>
                  {revealed ? 'Hide password' : 'Show password'}
                </button>
              </SecretValue>
              {passwordRefused ? (
                <p class="hint secret-note" id="credentials-password-refused">
                  Refused for this account: its client authenticates with signed assertions only (see the keys
                  below).
                </p>
              ) : null}
            </dd>
            <dt>Last used</dt>
            <dd id="credentials-last-used">
              {credentials.lastUsedAt ? (
                <>
                  <time dateTime={credentials.lastUsedAt}>{formatTime(credentials.lastUsedAt)}</time>
                  <span class="muted">
                    {' '}
                    (the user ID with the password, a signed assertion or a certificate)
                  </span>
                </>
              ) : (
                'Not used since they were made'
              )}
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
      <ConfirmedAction
        label="Regenerate credentials"
        title="Regenerate the credentials?"
        action={regenerate}
        canConfirm={grace.valid}
        onOpen={() => setOpenedAt(Date.now())}
        onCancel={grace.reset}
      >
        <p>
          A new user ID and password replace the current ones.{' '}
          <strong>
            The current user ID and password stop working at once, on every server node, and every access
            token issued with them is revoked
          </strong>{' '}
          — as soon as you confirm, unless you give a grace period below: then they, and their tokens, keep
          working that many seconds (time to move a fleet of clients to the new ones), then stop everywhere.
        </p>
        <p>Every program that logs in with the current credentials must be given the new ones.</p>
        {credentials ? (
          <LastUse
            at={credentials.lastUsedAt}
            now={openedAt}
            recent={(ago) =>
              `These credentials were used ${ago}: the client using them must get the new ones${within}, or its token requests will be refused.`
            }
            never="These credentials have not been used since they were made."
          />
        ) : null}
        <GracePeriodField grace={grace} old="the old user ID and password" plural />
      </ConfirmedAction>
    </section>
  );
}
