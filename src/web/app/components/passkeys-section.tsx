import { useRef, useState } from 'preact/hooks';
import { useLoaded } from '../api.js';
import { formatTime } from '../format.js';
import {
  NO_PASSKEYS_HERE,
  type Passkey,
  type PasskeyList,
  passkeysInWords,
  passkeysSupported,
} from '../passkeys.js';
import { AddPasskey, RemovePasskey } from './passkey-forms.js';
import { Loading, Notice, TableHead } from './ui.js';

/** The signed-in operator's passkeys, loaded once for the section and for the page around it. */
export function usePasskeyList() {
  return useLoaded<PasskeyList>('/api/admin/passkeys');
}

export type LoadedPasskeys = ReturnType<typeof usePasskeyList>;

function PasskeyTable({ passkeys, onRemove }: { passkeys: Passkey[]; onRemove: (passkey: Passkey) => void }) {
  return (
    <table>
      <TableHead caption="Your passkeys" columns={['Name', 'Added', 'Last used']} actions />
      <tbody>
        {passkeys.map((p) => (
          <tr key={p.id}>
            <th scope="row">{p.name}</th>
            <td>
              <time dateTime={p.createdAt}>{formatTime(p.createdAt)}</time>
            </td>
            <td>
              {p.lastUsedAt ? (
                <time dateTime={p.lastUsedAt}>{formatTime(p.lastUsedAt)}</time>
              ) : (
                <span class="muted">Not used yet</span>
              )}
            </td>
            <td>
              <button type="button" class="button-danger" onClick={() => onRemove(p)}>
                Remove<span class="visually-hidden"> the passkey {p.name}</span>
              </button>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/**
 * The signed-in operator's passkeys (WebAuthn), a second factor of their sign-in beside one-time codes: the list,
 * adding one (the browser's prompt) and removing one, each with the password. Where the server cannot hold
 * passkeys, its reason in place of the form. `onChanged` follows each change: the setup page OPERATOR_TOTP=required
 * shows goes away on it.
 */
export function PasskeysSection({ list, onChanged }: { list: LoadedPasskeys; onChanged?: () => void }) {
  const { data, error, setError, reload } = list;
  const [notice, setNotice] = useState<string | null>(null);
  const [removing, setRemoving] = useState<Passkey | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);

  /**
   * Once the list is read again, the section's heading takes the focus, the notice under it: the form's button
   * (disabled, its fields emptied) or the row's (gone) had it.
   */
  async function changed(text: string) {
    setError(null);
    setNotice(text);
    await reload();
    heading.current?.focus();
    onChanged?.();
  }

  const count = data?.passkeys.length ?? 0;
  return (
    <section aria-labelledby="passkeys" class="card">
      <h2 id="passkeys" ref={heading} tabIndex={-1}>
        Passkeys
      </h2>
      <p>
        A passkey confirms your sign-in after your password, in place of a one-time code, or signs you in
        alone with <strong>Sign in with a passkey</strong> on the sign-in page, no username or password typed:
        your browser asks for it, and you unlock it with your device's screen lock or fingerprint, or your
        security key's PIN. It only works on this server's address, so a look-alike site cannot use it. Add
        one for each device you sign in from. Your API tokens never ask for one.
      </p>
      {error ? <Notice kind="error">{error}</Notice> : null}
      {notice ? <Notice kind="success">{notice}</Notice> : null}
      {data === null && !error ? <Loading what="your passkeys" /> : null}
      {data ? (
        <p>
          {count === 0 ? (
            'You have no passkey.'
          ) : (
            <>
              You have <strong>{passkeysInWords(count)}</strong>: after your password, signing in asks for{' '}
              {count === 1 ? 'it' : 'one of them'}, or a one-time code if those are on.
            </>
          )}
        </p>
      ) : null}
      {data && count > 0 ? <PasskeyTable passkeys={data.passkeys} onRemove={setRemoving} /> : null}
      {data && !data.available ? (
        <Notice kind="info">{data.reason ?? 'This server cannot hold passkeys.'}</Notice>
      ) : null}
      {data?.available && !passkeysSupported ? <Notice kind="warning">{NO_PASSKEYS_HERE}</Notice> : null}
      {data?.available && passkeysSupported ? (
        <AddPasskey
          onAdded={(passkey) =>
            void changed(`The passkey “${passkey.name}” was added: it now confirms your sign-ins.`)
          }
        />
      ) : null}
      <RemovePasskey
        passkey={removing}
        last={count === 1}
        onRemoved={(passkey) => {
          setRemoving(null);
          void changed(`The passkey “${passkey.name}” was removed: it no longer confirms your sign-ins.`);
        }}
        onCancel={() => setRemoving(null)}
      />
    </section>
  );
}
