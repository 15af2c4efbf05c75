import { PasskeysSection, usePasskeyList } from '../components/passkeys-section.js';
import { TotpSection } from '../components/totp-section.js';
import { PageHeading } from '../components/ui.js';

/**
 * With OPERATOR_TOTP=required, what an operator without a second factor sees after signing in: setting up
 * one-time codes, or adding a passkey where the server can hold them.
 */
export function TotpRequiredPage({ onDone }: { onDone: () => void }) {
  const passkeys = usePasskeyList();
  const withPasskeys = passkeys.data?.available === true;
  return (
    <>
      <PageHeading title="Set up sign-in codes">Set up sign-in codes</PageHeading>
      {withPasskeys ? (
        <p>
          This server asks every operator for a second factor when they sign in: a one-time code from an
          authenticator app, or a passkey. Set up one of them to go on: scan the QR code with the app, enter
          the code it shows and keep the recovery codes you are given, or add a passkey below.
        </p>
      ) : (
        <p>
          This server asks every operator for a one-time code from an authenticator app when they sign in. Set
          yours up to go on: scan the QR code with the app, enter the code it shows, then keep the recovery
          codes you are given.
        </p>
      )}
      <TotpSection onChanged={onDone} />
      {withPasskeys ? <PasskeysSection list={passkeys} onChanged={onDone} /> : null}
    </>
  );
}
