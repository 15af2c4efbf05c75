import { useCallback, useEffect, useState } from 'preact/hooks';
import type { AccountState } from '../account.js';
import { accountPath, api, messageOf } from '../api.js';
import type { Authorization } from '../authorization.js';
import { AccountSection } from '../components/account-section.js';
import { AllowedNetworksSection } from '../components/allowed-networks-section.js';
import { ApiKeySection } from '../components/api-key-section.js';
import { CertificateSection } from '../components/certificate-section.js';
import { ClientKeysSection } from '../components/client-keys-section.js';
import { CredentialsSection } from '../components/credentials-section.js';
import { DpopSection } from '../components/dpop-section.js';
import { RequestRateSection } from '../components/request-rate-section.js';
import { TestTokenSection } from '../components/test-token-section.js';
import { ClosedPage, Link, Loading, Notice, PageHeading } from '../components/ui.js';
import { accountHref } from '../router.js';
import { goToAccounts } from './accounts.js';

/**
 * The page the original documentation describes: the account's three kinds of server-to-server secrets, with the
 * public keys its client may sign assertions with in place of its password and whether its tokens must be bound
 * to a key (DPoP) or to one of its client certificates (mutual TLS); then the account itself, which an
 * operator of every account suspends, resumes or deletes, its request rate (which such an operator sets too) and
 * the networks its credentials are accepted from (which any admin of it sets).
 */
export function ApiAuthorizationPage({
  accountId,
  account,
  everyAccount,
}: {
  accountId: string;
  account: AccountState;
  /** The operator acts on every account (only such an operator suspends, resumes, deletes or sets the rate of one). */
  everyAccount: boolean;
}) {
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
            suspended={account.account?.status === 'suspended'}
            dpopRequired={account.account?.dpopRequired === true}
            certificateRequired={account.account?.certificateRequired === true}
            onChanged={() => changed('A new token for testing was issued; the previous one is revoked.')}
          />
          <CredentialsSection
            accountId={accountId}
            data={data}
            passwordRefused={account.account?.signedAssertionsOnly === true}
            onChanged={changed}
          />
          <ClientKeysSection
            accountId={accountId}
            account={account}
            tokenUrl={data.tokenUrl}
            mayChange
            everyAccount={everyAccount}
          />
          <DpopSection accountId={accountId} account={account} mayChange />
          <CertificateSection
            accountId={accountId}
            account={account}
            mayChange
            mtlsBaseUrl={data.mtlsBaseUrl}
          />
          <ApiKeySection accountId={accountId} data={data} onChanged={changed} />
        </>
      ) : null}
      <AccountSection
        accountId={accountId}
        state={account}
        everyAccount={everyAccount}
        onDeleted={() =>
          goToAccounts(
            `Account ${accountId} was deleted; its audit events are kept. Its id is free again in 25 hours.`,
          )
        }
      />
      <RequestRateSection accountId={accountId} state={account} everyAccount={everyAccount} />
      <AllowedNetworksSection accountId={accountId} state={account} />
    </>
  );
}

/**
 * At this page's address, a viewer learns that the secrets are for admins, and where to go instead; the account's
 * keys for signed client assertions are public keys, no secret, so they read those here (without a change),
 * whether its password is still accepted beside them, and whether its tokens must be bound to a key or to a
 * certificate.
 */
export function ApiAuthorizationNeedsAdmin({
  accountId,
  account,
  everyAccount,
}: {
  accountId: string;
  account: AccountState;
  /** The viewer acts on every account: they read the CAs the server trusts too. */
  everyAccount: boolean;
}) {
  return (
    <>
      <ClosedPage title={`API Authorization · ${accountId}`} heading="API Authorization">
        This page needs an admin operator: it shows the secrets of account <strong>{accountId}</strong>, and
        you are signed in as a viewer. Its public keys for signed client assertions, no secret, are below, and
        whether its tokens must be bound to a key or to a client certificate. The account's{' '}
        <Link href={accountHref(accountId, 'policies')}>policies</Link>, context and logs are open to you.
      </ClosedPage>
      <ClientKeysSection
        accountId={accountId}
        account={account}
        mayChange={false}
        everyAccount={everyAccount}
      />
      <DpopSection accountId={accountId} account={account} mayChange={false} />
      <CertificateSection accountId={accountId} account={account} mayChange={false} />
    </>
  );
}
