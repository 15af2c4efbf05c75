import { AuditEvents } from '../components/audit-events.js';
import { PageHeading } from '../components/ui.js';

/** Who viewed, copied or regenerated which secret and who changed which policy: when, from where. */
export function AuditPage({ accountId }: { accountId: string | null }) {
  const title = accountId ? `Audit log · ${accountId}` : 'Audit log';
  return (
    <>
      <PageHeading title={title}>Audit log</PageHeading>
      <p>
        {accountId ? `What operators did with account ${accountId}` : 'What operators did, in every account'},
        newest first: who viewed, copied or regenerated which secret, who changed which policy, when and from
        which address.
      </p>
      <AuditEvents accountId={accountId} />
    </>
  );
}
