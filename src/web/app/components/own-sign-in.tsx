import { useState } from 'preact/hooks';
import { ChangePassword } from './change-password.js';
import { TotpSection } from './totp-section.js';
import { YourSessions } from './your-sessions.js';

/**
 * What every operator manages of their own sign-in: their password, their sessions and their one-time codes.
 * A new password ends the other sessions, so the list is read again after one.
 */
export function OwnSignIn({ onTotpChanged }: { onTotpChanged?: () => void }) {
  const [passwordChanges, setPasswordChanges] = useState(0);
  return (
    <>
      <ChangePassword onChanged={() => setPasswordChanges((n) => n + 1)} />
      <YourSessions key={passwordChanges} />
      <TotpSection onChanged={onTotpChanged} />
    </>
  );
}
