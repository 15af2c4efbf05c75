import { TotpSection } from '../components/totp-section.js';
import { PageHeading } from '../components/ui.js';

/** With OPERATOR_TOTP=required, what an operator without one-time codes sees after signing in: their setup. */
export function TotpRequiredPage({ onDone }: { onDone: () => void }) {
  return (
    <>
      <PageHeading title="Set up sign-in codes">Set up sign-in codes</PageHeading>
      <p>
        This server asks every operator for a one-time code from an authenticator app when they sign in. Set
        yours up to go on: scan the QR code with the app, enter the code it shows, then keep the recovery
        codes you are given.
      </p>
      <TotpSection onChanged={onDone} />
    </>
  );
}
