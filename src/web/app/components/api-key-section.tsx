import { Fragment } from 'preact';
import { useState } from 'preact/hooks';
import { accountPath, api } from '../api.js';
import type { Authorization } from '../authorization.js';
import { formatTime } from '../format.js';
import { ConfirmedAction } from './confirmed-action.js';
import { GracePeriodField, secondsInWords, useGracePeriod } from './grace-period.js';
import { LastUse } from './last-use.js';
import { SecretValue } from './secret-value.js';

/**
 * *API key for v1 APIs*: the key, Copy, last use, and Regenerate Key behind a confirmation with a grace period, which
 * says when the key was last used: if recently, that a program still using it is refused at once, or at the end of
 * the grace period.
 */
export function ApiKeySection({
  accountId,
  data,
  onChanged,
}: {
  accountId: string;
  data: Authorization;
  onChanged: (notice: string) => void;
}) {
  const grace = useGracePeriod();
  /** When the confirmation opened: its last use is said as of then. */
  const [openedAt, setOpenedAt] = useState(0);
  const key = data.apiKey;
  const graceSeconds = grace.seconds;
  const cutOff =
    grace.valid && graceSeconds > 0
      ? `must be given the new key within ${secondsInWords(graceSeconds)}, or it will be refused`
      : 'will be refused as soon as you confirm';

  async function regenerate() {
    await api.post(accountPath(accountId, 'api-key', 'regenerate'), { graceSeconds });
    grace.reset();
    onChanged(
      graceSeconds > 0
        ? `A new API key was created. The old key keeps working for ${secondsInWords(graceSeconds)}, then stops everywhere.`
        : 'A new API key was created. The old key has stopped working everywhere.',
    );
  }

  return (
    <section aria-labelledby="api-key" class="card">
      <h2 id="api-key">API key for v1 APIs</h2>
      <p>
        Send this key in the <code>maven-api-key</code> header of every v1 API call. One key serves all the v1
        APIs of the account (Conversation Context Service and Next Actions).
      </p>
      {key ? (
        <dl class="secrets">
          <dt>API key</dt>
          <dd>
            <SecretValue
              id="api-key-value"
              value={key.key}
              copyLabel="Copy API key"
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
      <ConfirmedAction
        label="Regenerate Key"
        title="Regenerate the API key?"
        action={regenerate}
        canConfirm={grace.valid}
        onOpen={() => setOpenedAt(Date.now())}
        onCancel={grace.reset}
      >
        <p>
          <strong>The current key stops working everywhere at once</strong> — on every server node, for every
          v1 API — as soon as you confirm, unless you give a grace period below. Every program that calls the
          v1 APIs must be given the new key.
        </p>
        {key ? (
          <LastUse
            at={key.lastUsedAt}
            now={openedAt}
            recent={(ago) => `This key was used ${ago}: a program still using it ${cutOff}.`}
            never="This key has never been used."
          />
        ) : null}
        <GracePeriodField grace={grace} old="the old key" />
      </ConfirmedAction>
    </section>
  );
}
