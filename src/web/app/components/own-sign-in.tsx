import { useState } from 'preact/hooks';
import { useLoaded } from '../api.js';
import type { SsoSetup } from '../sso.js';
import { ChangePassword } from './change-password.js';
import { PasskeysSection, usePasskeyList } from './passkeys-section.js';
import { TotpSection } from './totp-section.js';
import { YourSessions } from './your-sessions.js';

/**
 * What every operator manages of their own sign-in: their password, their sessions and their second factors
 * (one-time codes, passkeys). A new password ends the other sessions, so the list is read again after one. Where
 * operators sign in through single sign-on alone (OPERATOR_PASSWORD_SIGN_IN=false), the password and the second
 * factors here serve no sign-in: the provider has them, and the page says so in their place.
 */
export function OwnSignIn({ onSecondFactorChanged }: { onSecondFactorChanged?: () => void }) {
  const [passwordChanges, setPasswordChanges] = useState(0);
  const passkeys = usePasskeyList();
  const { data: sso } = useLoaded<SsoSetup>('/api/admin/sso');
  if (sso?.passwordSignIn === false) {
    return (
      <>
        <section aria-labelledby="sso-only" class="card">
          <h2 id="sso-only">Your sign-in</h2>
          <p>
            You sign in with {sso.name ?? 'single sign-on'}: your password and second factors are kept by your
            organisation's sign-in provider, not here.
          </p>
        </section>
        <YourSessions />
      </>
    );
  }
  return (
    <>
      <ChangePassword onChanged={() => setPasswordChanges((n) => n + 1)} />
      <YourSessions key={passwordChanges} />
      <TotpSection onChanged={onSecondFactorChanged} />
      <PasskeysSection list={passkeys} onChanged={onSecondFactorChanged} />
    </>
  );
}
