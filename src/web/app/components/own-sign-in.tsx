import { useState } from 'preact/hooks';
import { ChangePassword } from './change-password.js';
import { PasskeysSection, usePasskeyList } from './passkeys-section.js';
import { TotpSection } from './totp-section.js';
import { YourSessions } from './your-sessions.js';

/**
 * What every operator manages of their own sign-in: their password, their sessions and their second factors
 * (one-time codes, passkeys). A new password ends the other sessions, so the list is read again after one.
 */
export function OwnSignIn({ onSecondFactorChanged }: { onSecondFactorChanged?: () => void }) {
  const [passwordChanges, setPasswordChanges] = useState(0);
  const passkeys = usePasskeyList();
  return (
    <>
      <ChangePassword onChanged={() => setPasswordChanges((n) => n + 1)} />
      <YourSessions key={passwordChanges} />
      <TotpSection onChanged={onSecondFactorChanged} />
      <PasskeysSection list={passkeys} onChanged={onSecondFactorChanged} />
    </>
  );
}
