import { type Requirement, RequirementCard, type RequirementSectionProps } from './account-requirement.js';

/**
 * Requiring a client certificate (mutual TLS, RFC 8705): every token not bound to one of the account's certificates
 * stops working at once — those issued already too, since the server checks the requirement at each call — so the
 * confirmation names them. The server's refusal (409: no key of the account has a certificate) stays in the dialog.
 */
const CERTIFICATE_REQUIRED: Requirement = {
  path: 'certificate-required',
  isOn: (account) => account.certificateRequired,
  inWords: (required) =>
    required
      ? "Required: tokens are issued only over mutual TLS with one of the account's certificates; tokens not bound to one are refused."
      : 'Not required: tokens not bound to a certificate are accepted too.',
  turnOn: {
    label: 'Require a client certificate',
    title: 'Require a client certificate?',
    warning: (
      <>
        <p>
          <strong>At once, on every server node, these stop working:</strong>
        </p>
        <ul>
          <li>
            the tokens the account was issued already without a certificate, though they have not expired;
          </li>
          <li>the token for testing on this page;</li>
          <li>
            every system that asks for tokens without one of the account's certificates over mutual TLS: its
            token requests are refused.
          </li>
        </ul>
        <p>
          Require it once the account's systems connect with their certificates. Stop requiring it to undo it:
          the tokens not bound to a certificate that have not expired are accepted again.
        </p>
      </>
    ),
    done: "A client certificate is required: from the account's next request, on every node, only tokens bound to one of its certificates are accepted.",
  },
  turnOff: {
    label: 'Stop requiring a client certificate',
    busy: 'Stopping…',
    done: "A client certificate is no longer required: tokens not bound to one are accepted again, from the account's next request on every node.",
  },
};

/**
 * *Client certificate required (mutual TLS)*: what requiring one of the account's certificates does, whether the
 * account requires it (from the account the page loaded, so that the token for testing says it too) and, for an
 * admin of the account, the button that requires it behind a confirmation or stops requiring it. A viewer reads it
 * without the button.
 */
export function CertificateSection({
  accountId,
  account,
  mayChange,
  mtlsBaseUrl = null,
}: RequirementSectionProps & {
  /** MTLS_BASE_URL, when the page knows it: the host where clients present their certificates. */
  mtlsBaseUrl?: string | null;
}) {
  return (
    <RequirementCard
      id="certificate-required"
      title="Client certificate required (mutual TLS)"
      intro={
        <p>
          A client that connects with a certificate registered as one of the account's keys, or with one a
          trusted CA issued to one of its certificate subjects (in <em>Keys for signed client assertions</em>,
          above), gets tokens bound to that certificate: they work only over a connection made with it (RFC
          8705).{' '}
          <strong>
            A stolen token is worth nothing without the client's certificate and its private key.
          </strong>{' '}
          Requiring it makes every token of the account such a token.
          {mtlsBaseUrl ? (
            <>
              {' '}
              Such clients connect to the server's host for certificates: they get their tokens at{' '}
              <code id="mtls-token-url">{mtlsBaseUrl}/oauth/token</code> and call the v2 APIs under{' '}
              <code>{mtlsBaseUrl}</code> (the metadata names it in <code>mtls_endpoint_aliases</code>).
            </>
          ) : null}
        </p>
      }
      accountId={accountId}
      account={account}
      requirement={CERTIFICATE_REQUIRED}
      mayChange={mayChange}
    >
      <p>
        When it is required, tokens are issued only over mutual TLS with one of the account's registered
        certificates: a token request without one is refused (<code>400 invalid_request</code>), and every
        token of the account that is not bound to one — those issued before, and the token for testing — is
        refused at the v2 APIs (<code>401</code>) and reported inactive by introspection. The account's last
        key with a certificate (or certificate subject) cannot be removed meanwhile: register its successor
        first. It can be required only once one of the account's keys has a certificate or is a certificate
        subject. The v1 API key is not affected.
      </p>
    </RequirementCard>
  );
}
