import type { ComponentChildren } from 'preact';
import { ClosedPage, Link, PageHeading } from '../components/ui.js';

/** A page that is not there: what is missing, and the way back to the accounts. */
export function NotFound({ what, children }: { what: string; children: ComponentChildren }) {
  return (
    <>
      <PageHeading title={`${what} not found`}>{what} not found</PageHeading>
      <p>
        {children} Go to the <Link href="/accounts">accounts</Link>.
      </p>
    </>
  );
}

/** At the address of a page for operators of every account, an operator of some learns why, not a refusal. */
export function NeedsEveryAccount({ label }: { label: string }) {
  return (
    <ClosedPage title={label} heading={label}>
      This page is for operators of every account, and you act on some accounts only. Yours are on the{' '}
      <Link href="/accounts">Accounts</Link> page.
    </ClosedPage>
  );
}
