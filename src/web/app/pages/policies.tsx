import { PageHeading } from '../components/ui.js';

export function PoliciesPage({ accountId }: { accountId: string }) {
  return <PageHeading title={`Policies · ${accountId}`}>Policies</PageHeading>;
}
