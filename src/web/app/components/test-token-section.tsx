import { accountPath, api, useChange } from '../api.js';
import type { Authorization } from '../authorization.js';
import { formatTime, relativeTime } from '../format.js';
import { SecretValue } from './secret-value.js';
import { Notice } from './ui.js';

/**
 * *Token for testing the v2 APIs*: the 24-hour token, its expiry, Copy and "Get a new token" (not while the
 * account is suspended: the server refuses it). While the account requires DPoP the token is still issued, but
 * it is a bearer token, which the v2 APIs refuse: the section says so above it; so too while the account requires a
 * client certificate (mutual TLS), since the token is not bound to one.
 */
export function TestTokenSection({
  accountId,
  data,
  suspended,
  dpopRequired,
  certificateRequired,
  onChanged,
}: {
  accountId: string;
  data: Authorization;
  suspended: boolean;
  /** The account's tokens must be bound to a key (DPoP): this one, a bearer token, is refused. */
  dpopRequired: boolean;
  /** The account's tokens must be bound to one of its client certificates (mutual TLS): this one, not bound, is refused. */
  certificateRequired: boolean;
  onChanged: () => void;
}) {
  const { busy, error, run } = useChange();
  const token = data.testToken;

  async function issue() {
    await run(async () => {
      await api.post(accountPath(accountId, 'test-token'));
      onChanged();
    });
  }

  return (
    <section aria-labelledby="test-token" class="card">
      <h2 id="test-token">Token for testing the v2 APIs</h2>
      <p>
        Use this access token to try the Context Service API v2 and the Next Actions API v2 in API testing
        tools such as Postman. It is temporary: it expires 24 hours after it is issued.{' '}
        <strong>Do not use it in your code</strong> — code gets its own tokens with the credentials below.
      </p>
      {dpopRequired ? (
        <Notice kind="warning">
          <strong>This token is refused while the account requires DPoP.</strong> It is a bearer token, not
          bound to a key, so the v2 APIs answer it with <code>401</code>. Try the APIs with a client that
          sends DPoP proofs, or stop requiring DPoP (below) to use this token again.
        </Notice>
      ) : null}
      {certificateRequired ? (
        <Notice kind="warning">
          <strong>This token is refused while the account requires a client certificate.</strong> It is not
          bound to one of the account's certificates, so the v2 APIs answer it with <code>401</code>. Try the
          APIs with a client that gets its tokens over mutual TLS with one of them, or stop requiring a client
          certificate (below) to use this token again.
        </Notice>
      ) : null}
      {error ? <Notice kind="error">{error}</Notice> : null}
      {token ? (
        <dl class="secrets">
          <dt>Token</dt>
          <dd>
            <SecretValue
              id="test-token-value"
              value={token.token}
              copyLabel="Copy token"
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
      {suspended ? (
        <p class="hint">
          The account is suspended: {token ? 'this token is refused, and ' : ''}no new token can be issued
          until it is resumed.
        </p>
      ) : (
        <div class="actions">
          <button type="button" onClick={issue} disabled={busy}>
            {busy ? 'Getting a token…' : 'Get a new token'}
          </button>
          {token ? <span class="hint">Getting a new token revokes this one.</span> : null}
        </div>
      )}
    </section>
  );
}
