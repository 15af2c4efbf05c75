import { PageHeading } from '../components/ui.js';

export function PolicyLogsPage({ accountId }: { accountId: string }) {
  return <PageHeading title={`Policy logs · ${accountId}`}>Policy logs</PageHeading>;
}
