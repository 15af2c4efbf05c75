import { type Requirement, RequirementCard, type RequirementSectionProps } from './account-requirement.js';

/**
 * Requiring DPoP (RFC 9449): every token not bound to a key stops working at once — those issued already too, since
 * the server checks the requirement at each call — so the confirmation names them.
 */
const DPOP_REQUIRED: Requirement = {
  path: 'dpop-required',
  isOn: (account) => account.dpopRequired,
  inWords: (required) =>
    required
      ? 'Required: only tokens bound to a key are accepted; bearer tokens are refused.'
      : 'Not required: bearer tokens are accepted too.',
  turnOn: {
    label: 'Require DPoP',
    title: 'Require DPoP?',
    warning: (
      <>
        <p>
          <strong>At once, on every server node, these stop working:</strong>
        </p>
        <ul>
          <li>the bearer tokens the account was issued already, though they have not expired;</li>
          <li>the token for testing on this page;</li>
          <li>every system that asks for tokens without a DPoP proof: its token requests are refused.</li>
        </ul>
        <p>
          Require it once the account's systems send proofs. Stop requiring it to undo it: the bearer tokens
          that have not expired are accepted again.
        </p>
      </>
    ),
    done: "DPoP is required: from the account's next request, on every node, only tokens bound to a key are accepted.",
  },
  turnOff: {
    label: 'Stop requiring DPoP',
    busy: 'Stopping…',
    done: "DPoP is no longer required: bearer tokens are accepted again, from the account's next request on every node.",
  },
};

/**
 * *Tokens bound to a key (DPoP)*: what binding a token to the client's key does, whether the account requires it
 * (from the account the page loaded, so that the token for testing says it too) and, for an admin of the account,
 * the button that requires it behind a confirmation or stops requiring it. A viewer reads it without the button.
 */
export function DpopSection({ accountId, account, mayChange }: RequirementSectionProps) {
  return (
    <RequirementCard
      id="dpop-required"
      title="Tokens bound to a key (DPoP)"
      intro={
        <p>
          A bearer token works for whoever holds it: one copied from a log or a proxy is as good as the
          client's own until it expires. With DPoP (RFC 9449) the token is bound to a key pair the client
          makes and keeps: the client sends a <em>proof</em>, a short JWT signed with its private key, with
          its token request and again with each call.{' '}
          <strong>A stolen token is worth nothing without the client's key.</strong> Libraries do it for you:
          oauth4webapi, openid-client, Spring Security, Authlib, Nimbus. A client that sends a proof gets a
          bound token whether or not it is required.
        </p>
      }
      accountId={accountId}
      account={account}
      requirement={DPOP_REQUIRED}
      mayChange={mayChange}
    >
      <p>
        When it is required, a token request without a DPoP proof is refused (<code>400 invalid_request</code>
        , at the login endpoint too), and every token of the account that is not bound to a key — those issued
        before, and the token for testing — is refused at the v2 APIs (<code>401</code>) and reported inactive
        by introspection. The v1 API key is not affected.
      </p>
    </RequirementCard>
  );
}
