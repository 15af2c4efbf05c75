import { PageHeading } from '../components/ui.js';

export function PolicyEditorPage({ accountId, policyId }: { accountId: string; policyId: string | null }) {
  return <PageHeading title={`Policy · ${accountId}`}>{policyId ?? 'New policy'}</PageHeading>;
}
