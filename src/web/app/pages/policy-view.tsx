import { useEffect, useState } from 'preact/hooks';
import { messageOf } from '../api.js';
import { DryRun, describeAction } from '../components/dry-run.js';
import { Link, Loading, Notice, PageHeading } from '../components/ui.js';
import { type Policy, policyApi } from '../policy-api.js';
import { describeCondition } from '../policy-form.js';
import { accountHref } from '../router.js';

/** One policy as a viewer sees it: what it checks and does, with a dry run; changing it needs an admin. */
export function PolicyViewPage({ accountId, policyId }: { accountId: string; policyId: string }) {
  const [policy, setPolicy] = useState<Policy | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    policyApi
      .get(accountId, policyId)
      .then(({ data }) => setPolicy(data))
      .catch((failure) => setError(messageOf(failure)));
  }, [accountId, policyId]);

  return (
    <>
      <PageHeading title={`Policy · ${accountId}`}>Policy</PageHeading>
      <p>
        <Link href={accountHref(accountId, 'policies')}>Back to the policies</Link>
      </p>
      {error ? <Notice kind="error">{error}</Notice> : null}
      {policy === null && !error ? <Loading what="the policy" /> : null}
      {policy ? (
        <>
          <section aria-labelledby="policy-view-heading" class="card">
            <h2 id="policy-view-heading">{policy.name}</h2>
            <dl class="facts">
              <dt>State</dt>
              <dd>{policy.enabled ? 'Enabled' : 'Disabled: never matched'}</dd>
              <dt>{policy.expression === undefined ? 'Conditions' : 'Expression'}</dt>
              <dd>
                <code>{describeCondition(policy)}</code>
              </dd>
              <dt>Actions</dt>
              <dd>{policy.actions.map(describeAction).join('; ')}</dd>
            </dl>
            <p class="muted">Changing a policy needs an admin operator.</p>
          </section>
          <DryRun
            accountId={accountId}
            draft={() => [{ ...policy, enabled: true }]}
            headingId="policy-dry-run"
            heading="Dry run this policy"
            intro="Evaluates this policy — as if it were enabled — against a sample conversation, with the account's custom attributes and context. Nothing is logged."
          />
        </>
      ) : null}
    </>
  );
}
