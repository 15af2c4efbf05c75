import { useEffect, useId, useRef, useState } from 'preact/hooks';
import type { AccountState } from '../account.js';
import { ApiError, accountPath, api, useChange, useLoaded } from '../api.js';
import { formatDate, formatTime } from '../format.js';
import {
  describeTlsSubject,
  TLS_SUBJECT_KINDS,
  type TlsSubject,
  type TlsSubjectMember,
  tlsSubjectWords,
} from '../tls-subject.js';
import { ConfirmDialog } from './confirm-dialog.js';
import { LastUse } from './last-use.js';
import { SignedAssertionsOnly } from './signed-assertions-only.js';
import { TrustedCasList } from './trusted-cas.js';
import { Loading, Notice, outcomeHandlers, SelectField, TableHead, TextAreaField, TextField } from './ui.js';

/** As the server allows (MAX_CLIENT_KEYS): two during a rotation, with room for one per system that calls. */
const MAX_KEYS = 5;

/** RFC 7523 §2.2: what the client says its `client_assertion` is. */
const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** The X.509 certificate a key came with (its `x5c`), with which the client may authenticate in TLS (RFC 8705). */
interface ClientKeyCertificate {
  /** RFC 8705 §3.1 `x5t#S256`: the base64url SHA-256 of the DER certificate. */
  thumbprint: string;
  /** `CN=client-ec`. */
  subject: string;
  notBefore: string;
  notAfter: string;
}

/**
 * One of the account's keys, as `GET /api/admin/accounts/{acct}/client-keys` lists them: a public key (its `jwk`), or
 * a certificate subject (`alg` `tls_client_auth`, RFC 8705 §2.1: its `tlsClientAuth`, no `jwk`).
 */
interface ClientKey {
  kid: string;
  alg: string;
  /** `RSA 2048 bits`, `EC P-256` or `OKP Ed25519`; `certificate subject` for a subject. */
  type: string;
  /** The public key; absent for a certificate subject. */
  jwk?: Record<string, unknown>;
  /** Only for a certificate subject: the RFC 8705 §2.1.2 member and its value. */
  tlsClientAuth?: TlsSubject;
  /** Only for a key added with its certificate. */
  certificate?: ClientKeyCertificate;
  createdAt: string;
  /** When it last authenticated the client (an assertion, its certificate, a certificate of the subject), to the minute; null: never. */
  lastUsedAt: string | null;
}

/** The metadata member that says the server trusts CAs for client certificates (CLIENT_CA_FILE). */
const TLS_CLIENT_AUTH = 'tls_client_auth';

/** What a key's Remove button says after "Remove", for screen readers: the key's kid, or the subject's value. */
const removalName = (key: ClientKey) =>
  key.tlsClientAuth ? `the certificate subject ${key.tlsClientAuth.value}` : `the key ${key.kid}`;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A PEM block's first line (RFC 7468): `-----BEGIN CERTIFICATE-----`, and what follows up to its last line. */
const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)(-----END \1-----|$)/;

/**
 * A PEM certificate pasted (RFC 7468, as openssl writes it; the first if there are several), as the JWK the API takes
 * for it: `{"x5c": ["<base64 DER>"]}`, the key read from it by the server. A string says why it is not one: another
 * PEM block (a private key is never sent), or one cut short.
 */
function certificateJwkOf(label: string, body: string, end: string): Record<string, unknown> | string {
  if (label.includes('PRIVATE'))
    return 'This is a private key: paste the certificate or the public key. The private key stays with the system.';
  if (label !== 'CERTIFICATE')
    return `This is a PEM ${label.toLowerCase()}: paste a certificate (-----BEGIN CERTIFICATE-----) or the public key as a JWK (JSON).`;
  const der = body.replace(/\s+/g, '');
  if (end === '' || der === '')
    return 'This certificate is cut short: paste it whole, from -----BEGIN CERTIFICATE----- to -----END CERTIFICATE-----.';
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(der))
    return 'This certificate is not valid PEM: between its BEGIN and END lines there should be base64 alone.';
  return { x5c: [der] };
}

/**
 * The key pasted: a JWK — the key itself, or `{"jwk": {…}}` as the API takes it (and as the docs' command prints
 * it) — or a PEM certificate; a string says why it is none of these, so that the field says it before anything is
 * sent.
 */
function jwkOf(typed: string): Record<string, unknown> | string {
  if (typed.trim() === '') return 'Paste the public key as a JWK (JSON), or its certificate (PEM).';
  const pem = PEM_BLOCK.exec(typed);
  if (pem && !typed.trimStart().startsWith('{'))
    return certificateJwkOf(pem[1] ?? '', pem[2] ?? '', pem[3] ?? '');
  let parsed: unknown;
  try {
    parsed = JSON.parse(typed);
  } catch {
    return 'This is not valid JSON: paste the whole JWK, from { to }, or a certificate from -----BEGIN CERTIFICATE-----.';
  }
  if (!isObject(parsed)) return 'Paste a JSON object: the JWK, or {"jwk": {…}}.';
  return isObject(parsed.jwk) ? parsed.jwk : parsed;
}

const DAY_MS = 24 * 60 * 60_000;

/** A certificate is said to expire soon this long before its `notAfter`: time to register its successor. */
const EXPIRY_WARNING_DAYS = 30;

/**
 * What stands out under a certificate's last day, in the browser's clock: nothing while it has more than 30 days
 * left; then the days left, rounded up ("today" under one), and that its successor is due; once past, that the
 * client can no longer authenticate with it.
 */
function certificateExpiry(notAfter: string, now = Date.now()): { status: string; advice: string } | null {
  const left = Date.parse(notAfter) - now;
  if (Number.isNaN(left) || left > EXPIRY_WARNING_DAYS * DAY_MS) return null;
  if (left <= 0) return { status: 'Expired', advice: 'the client cannot authenticate with it' };
  const days = Math.ceil(left / DAY_MS);
  return {
    status: left < DAY_MS ? 'Expires today' : `Expires in ${days} day${days === 1 ? '' : 's'}`,
    advice: 'add its successor before then',
  };
}

/** A key's certificate in its row: whose it is, until when (and a warning near or past then), and the thumbprint its tokens are bound to. */
function CertificateFacts({ certificate }: { certificate: ClientKeyCertificate }) {
  const expiry = certificateExpiry(certificate.notAfter);
  return (
    <ul class="plain-list">
      <li>{certificate.subject}</li>
      <li>
        Valid until <time dateTime={certificate.notAfter}>{formatDate(certificate.notAfter)}</time>
      </li>
      {expiry ? (
        <li>
          <strong class="badge badge-warning">{expiry.status}</strong>: {expiry.advice}
        </li>
      ) : null}
      <li>
        x5t#S256: <code class="key-id">{certificate.thumbprint}</code>
      </li>
    </ul>
  );
}

/**
 * The keys; the Certificate column only when one of them came with a certificate or is a certificate subject
 * (mutual TLS). A subject's type says which name of the certificate it is and its value. Last used: when the key
 * last authenticated the client, to the minute, as the server last read the list (it is read again at each change).
 */
function KeyTable({ keys, onRemove }: { keys: ClientKey[]; onRemove: ((key: ClientKey) => void) | null }) {
  const certified = keys.some((k) => k.certificate || k.tlsClientAuth);
  return (
    <table>
      <TableHead
        caption="Keys for signed client assertions, oldest first"
        columns={[
          'Key ID (kid)',
          'Type',
          'Algorithm',
          certified ? 'Certificate' : null,
          'Added',
          'Last used',
        ]}
        actions={onRemove !== null}
      />
      <tbody>
        {keys.map((k) => (
          <tr key={k.kid}>
            <th scope="row">
              <code class="key-id">{k.kid}</code>
            </th>
            <td>
              {k.tlsClientAuth ? (
                <>
                  Certificate subject — {tlsSubjectWords(k.tlsClientAuth.member)}:{' '}
                  <span class="key-id">{k.tlsClientAuth.value}</span>
                </>
              ) : (
                k.type
              )}
            </td>
            <td>{k.alg}</td>
            {certified ? (
              <td>
                {k.certificate ? (
                  <CertificateFacts certificate={k.certificate} />
                ) : k.tlsClientAuth ? (
                  'Any one with this subject that a trusted CA issued'
                ) : (
                  <span class="muted">None</span>
                )}
              </td>
            ) : null}
            <td>
              <time dateTime={k.createdAt}>{formatTime(k.createdAt)}</time>
            </td>
            <td>
              {k.lastUsedAt ? <time dateTime={k.lastUsedAt}>{formatTime(k.lastUsedAt)}</time> : 'never used'}
            </td>
            {onRemove ? (
              <td>
                <button type="button" class="button-danger" onClick={() => onRemove(k)}>
                  Remove<span class="visually-hidden"> {removalName(k)}</span>
                </button>
              </td>
            ) : null}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** A form's one field and what is wrong with it: `refuse` says it on the field, which takes the focus. */
function useFieldError() {
  const fieldId = useId();
  const [fieldError, setFieldError] = useState<string | null>(null);
  const refuse = (why: string) => {
    setFieldError(why);
    document.getElementById(fieldId)?.focus();
  };
  return { fieldId, fieldError, setFieldError, refuse };
}

/**
 * A public key pasted as JSON, or a certificate as PEM, and added. What is neither is said on the field before
 * anything is sent; the server's refusal (a private key, a weak RSA key, another curve, an expired certificate, a kid
 * the account has, the fifth key) is said on the field too, which takes the focus; any other failure, above it.
 */
function AddClientKey({ accountId, onAdded }: { accountId: string; onAdded: (key: ClientKey) => void }) {
  const [typed, setTyped] = useState('');
  const { fieldId, fieldError, setFieldError, refuse } = useFieldError();
  const { busy, error, setError, run } = useChange();
  const headingId = useId();

  async function submit(event: Event) {
    event.preventDefault();
    setError(null);
    setFieldError(null);
    const jwk = jwkOf(typed);
    if (typeof jwk === 'string') {
      refuse(jwk);
      return;
    }
    await run(async () => {
      try {
        const added = await api.post<ClientKey>(accountPath(accountId, 'client-keys'), { jwk });
        setTyped('');
        onAdded(added);
      } catch (failure) {
        if (failure instanceof ApiError && (failure.status === 400 || failure.status === 409)) {
          refuse(failure.detail);
        } else throw failure;
      }
    });
  }

  return (
    <form onSubmit={submit} aria-labelledby={headingId} noValidate>
      <h3 id={headingId}>Add a key</h3>
      {error ? <Notice kind="error">{error}</Notice> : null}
      <TextAreaField
        id={fieldId}
        label="Public key (JWK) or certificate (PEM)"
        value={typed}
        onValue={setTyped}
        rows={8}
        hint={
          <>
            The public key as JSON, alone or as <code>{'{"jwk": {…}}'}</code>: EC P-256 (ES256), Ed25519
            (EdDSA) or RSA of 2,048 bits or more (RS256; PS256 with <code>"alg": "PS256"</code>). Its{' '}
            <code>kid</code> names it, or else its thumbprint. Or, for mutual TLS, the client's certificate as
            PEM, from <code>-----BEGIN CERTIFICATE-----</code> to <code>-----END CERTIFICATE-----</code>: its
            key is read from it, and the client may then also authenticate with it in TLS (RFC 8705), its
            tokens bound to it (certificate-bound tokens); an expired one is refused. Never the private key:
            it stays with the system.
          </>
        }
        error={fieldError ?? undefined}
      />
      <button type="submit" disabled={busy}>
        {busy ? 'Adding…' : 'Add key'}
      </button>
    </form>
  );
}

/**
 * A certificate subject typed and added (RFC 8705 §2.1, `tls_client_auth`): which name of the certificate (its subject
 * DN, or a subjectAltName entry), and its value. An empty value is said on the field before anything is sent; the
 * server's refusal (a value the kind cannot be, the fifth key; a subject the account has, in words of the page) on
 * the field too, which takes the focus; any other failure, above it.
 */
function AddCertificateSubject({
  accountId,
  onAdded,
}: {
  accountId: string;
  onAdded: (key: ClientKey) => void;
}) {
  const [member, setMember] = useState<TlsSubjectMember>('tls_client_auth_san_dns');
  const [value, setValue] = useState('');
  const { fieldId, fieldError, setFieldError, refuse } = useFieldError();
  const { busy, error, setError, run } = useChange();
  const headingId = useId();
  const kind = TLS_SUBJECT_KINDS.find((k) => k.value === member);

  async function submit(event: Event) {
    event.preventDefault();
    setError(null);
    setFieldError(null);
    if (value.trim() === '') {
      refuse('Type the value to match.');
      return;
    }
    await run(async () => {
      try {
        const added = await api.post<ClientKey>(accountPath(accountId, 'client-keys'), {
          tlsClientAuth: { [member]: value.trim() },
        });
        setValue('');
        onAdded(added);
      } catch (failure) {
        // 409: its kid, made of the kind and the value, is taken: the account has this very subject.
        if (failure instanceof ApiError && failure.status === 409)
          refuse('The account has this certificate subject already.');
        else if (failure instanceof ApiError && failure.status === 400) refuse(failure.detail);
        else throw failure;
      }
    });
  }

  return (
    <form onSubmit={submit} aria-labelledby={headingId} noValidate>
      <h3 id={headingId}>Add a certificate subject</h3>
      <p>
        For mutual TLS with certificates from a CA this server trusts (RFC 8705 <code>tls_client_auth</code>):
        a certificate it issued with this name authenticates the account's client, which sends its user ID
        alone as <code>client_id</code>, and its tokens are bound to that certificate. Renewed certificates
        need no change here.
      </p>
      {error ? <Notice kind="error">{error}</Notice> : null}
      <SelectField
        label="Kind of subject"
        value={member}
        options={TLS_SUBJECT_KINDS.map(({ value: v, label }) => ({ value: v, label }))}
        onValue={(next) => {
          setMember(next);
          setFieldError(null);
        }}
      />
      <TextField
        id={fieldId}
        label="Value"
        value={value}
        onValue={setValue}
        hint={kind?.hint}
        error={fieldError ?? undefined}
        maxLength={1024}
        autoComplete="off"
        spellcheck={false}
      />
      <button type="submit" disabled={busy}>
        {busy ? 'Adding…' : 'Add subject'}
      </button>
    </form>
  );
}

/** What `POST …/client-keys/check` says a client certificate would do for the account's client over mutual TLS. */
interface CertificateCheck {
  /** RFC 8705 §3.1 `x5t#S256`. */
  thumbprint: string;
  subject: string;
  /** As the server writes it (`DNS:billing.acme.example, URI:…`); null without the extension. */
  subjectAltName: string | null;
  notBefore: string;
  notAfter: string;
  /** Whether `client_id` alone with it over mutual TLS gets a token now. */
  authenticates: boolean;
  method: 'self_signed_tls_client_auth' | 'tls_client_auth' | null;
  /** The key, or the certificate subject, it is the client's by. */
  kid: string | null;
  /** The subject of the trusted CA that issued it (tls_client_auth). */
  ca: string | null;
  /** Why it does not authenticate. */
  reason: string | null;
}

/** As the server takes it: a certificate is a few kilobytes. */
const MAX_CERTIFICATE_LENGTH = 16_384;

/**
 * Why the text pasted is not sent, or null to send it: nothing typed, something too long to be a certificate, or a
 * PEM private key (which never leaves the system). Anything else is the server's to read.
 */
function certificateRefusal(typed: string): string | null {
  if (typed.trim() === '') return 'Paste the certificate (PEM).';
  if (typed.length > MAX_CERTIFICATE_LENGTH)
    return `This is too long for a certificate: ${MAX_CERTIFICATE_LENGTH.toLocaleString('en-US')} characters at most.`;
  if (PEM_BLOCK.exec(typed)?.[1]?.includes('PRIVATE'))
    return 'This is a private key: paste the certificate. The private key stays with the system.';
  return null;
}

/** A sentence of the server's that may lack its full stop. */
const sentence = (text: string) => (/[.!?]$/.test(text) ? text : `${text}.`);

/**
 * What the check says, in words of the page: by which key, or which certificate subject (in words, when the account
 * lists it) under which CA, the certificate authenticates the client; or why it does not.
 */
function checkWords(check: CertificateCheck, keys: ClientKey[] | null): string {
  if (!check.authenticates)
    return `This certificate does not authenticate the client: ${sentence(check.reason ?? 'the server gave no reason')}`;
  if (check.method === 'self_signed_tls_client_auth')
    return `This certificate authenticates the client as the registered key “${check.kid ?? ''}”.`;
  const subject = keys?.find((k) => k.kid === check.kid)?.tlsClientAuth;
  const parts = [
    check.ca ? `issued by ${check.ca}` : null,
    `certificate subject “${subject ? describeTlsSubject(subject) : (check.kid ?? '')}”`,
  ].filter(Boolean);
  return `This certificate authenticates the client by its subject (${parts.join('; ')}).`;
}

/** The certificate checked: whose it is, its other names, its dates and its thumbprint. */
function CheckedCertificate({ check }: { check: CertificateCheck }) {
  return (
    <dl class="facts">
      <dt>Subject</dt>
      <dd>{check.subject}</dd>
      {check.subjectAltName ? (
        <>
          <dt>subjectAltName</dt>
          <dd class="key-id">{check.subjectAltName}</dd>
        </>
      ) : null}
      <dt>Valid</dt>
      <dd>
        <span>
          From <time dateTime={check.notBefore}>{formatDate(check.notBefore)}</time> to{' '}
          <time dateTime={check.notAfter}>{formatDate(check.notAfter)}</time>
        </span>
      </dd>
      <dt>x5t#S256</dt>
      <dd>
        <code class="key-id">{check.thumbprint}</code>
      </dd>
    </dl>
  );
}

/**
 * A client certificate pasted and checked (`POST …/client-keys/check`), for every operator of the account (a
 * certificate is public): whether it authenticates the account's client over mutual TLS now, how, or why not. It
 * changes nothing. Nothing typed, or a private key, is said on the field before anything is sent; the server's
 * refusal (not a certificate) on the field too, which takes the focus; any other failure, above it. The answer is
 * said in a live region under the form, and goes when the text changes.
 */
function CheckClientCertificate({ accountId, keys }: { accountId: string; keys: ClientKey[] | null }) {
  const [typed, setTyped] = useState('');
  const { fieldId, fieldError, setFieldError, refuse } = useFieldError();
  const [check, setCheck] = useState<CertificateCheck | null>(null);
  const { busy, error, setError, run } = useChange();
  const headingId = useId();

  // The account's keys changed: an answer given before may no longer hold.
  useEffect(() => setCheck(null), [keys]);

  async function submit(event: Event) {
    event.preventDefault();
    setError(null);
    setFieldError(null);
    setCheck(null);
    const refused = certificateRefusal(typed);
    if (refused !== null) {
      refuse(refused);
      return;
    }
    await run(async () => {
      try {
        setCheck(
          await api.post<CertificateCheck>(accountPath(accountId, 'client-keys', 'check'), {
            certificate: typed.trim(),
          }),
        );
      } catch (failure) {
        if (failure instanceof ApiError && failure.status === 400) refuse(failure.detail);
        else throw failure;
      }
    });
  }

  return (
    <form onSubmit={submit} aria-labelledby={headingId} noValidate>
      <h3 id={headingId}>Check a client certificate</h3>
      <p>
        Whether a certificate authenticates the account's client over mutual TLS (RFC 8705), with its user ID
        alone as <code>client_id</code>: as one of its keys, or by one of its certificate subjects under a CA
        this server trusts; if not, why. Nothing is changed.
      </p>
      {error ? <Notice kind="error">{error}</Notice> : null}
      <TextAreaField
        id={fieldId}
        label="Client certificate (PEM)"
        value={typed}
        onValue={(next) => {
          setTyped(next);
          setCheck(null);
        }}
        rows={8}
        hint={
          <>
            From <code>-----BEGIN CERTIFICATE-----</code> to <code>-----END CERTIFICATE-----</code>. Never the
            private key: it stays with the system.
          </>
        }
        error={fieldError ?? undefined}
      />
      <button type="submit" disabled={busy}>
        {busy ? 'Checking…' : 'Check'}
      </button>
      <div class="certificate-check" aria-live="polite">
        {check ? (
          <>
            <p class={`notice notice-${check.authenticates ? 'success' : 'warning'}`}>
              {checkWords(check, keys)}
            </p>
            <CheckedCertificate check={check} />
          </>
        ) : null}
      </div>
    </form>
  );
}

/**
 * Whether this server trusts CAs for client certificates: its metadata lists `tls_client_auth` only then. Null
 * while it loads, or when not `wanted`; a metadata that cannot be read counts as yes (the server says why, should
 * a subject be refused).
 */
function useTrustsCas(wanted: boolean): boolean | null {
  const [trusts, setTrusts] = useState<boolean | null>(null);
  useEffect(() => {
    if (!wanted) return;
    let current = true;
    api
      .get<{ token_endpoint_auth_methods_supported?: unknown }>('/.well-known/oauth-authorization-server')
      .then((metadata) => {
        const methods = metadata.token_endpoint_auth_methods_supported;
        if (current) setTrusts(Array.isArray(methods) && methods.includes(TLS_CLIENT_AUTH));
      })
      .catch(() => {
        if (current) setTrusts(true);
      });
    return () => {
      current = false;
    };
  }, [wanted]);
  return trusts;
}

/**
 * Removing a key, behind a confirmation that says its assertions (or a subject's certificates) are refused from then
 * on, and when it last authenticated the client, as the list was read: if recently, that a client still using it is
 * refused.
 */
function RemoveClientKey({
  accountId,
  clientKey,
  onRemoved,
  onCancel,
}: {
  accountId: string;
  /** The key to remove; null keeps the dialog closed. */
  clientKey: ClientKey | null;
  onRemoved: (key: ClientKey) => void;
  onCancel: () => void;
}) {
  const { busy, error, setError, run } = useChange();
  // Drawn anew as the dialog opens (with the key to remove): its last use is said as of then.
  const now = Date.now();

  async function remove() {
    if (clientKey === null) return;
    const removed = clientKey;
    await run(async () => {
      await api.delete(accountPath(accountId, 'client-keys', removed.kid));
      onRemoved(removed);
    });
  }

  return (
    <ConfirmDialog
      open={clientKey !== null}
      title={clientKey?.tlsClientAuth ? 'Remove this certificate subject?' : 'Remove this key?'}
      confirmLabel={clientKey?.tlsClientAuth ? 'Remove subject' : 'Remove key'}
      busy={busy}
      error={error}
      onConfirm={remove}
      onCancel={() => {
        setError(null);
        onCancel();
      }}
    >
      {clientKey?.tlsClientAuth ? (
        <p>
          <strong>
            Certificates with the {tlsSubjectWords(clientKey.tlsClientAuth.member)}{' '}
            {clientKey.tlsClientAuth.value} no longer authenticate the account's client
          </strong>
          , at once, on every server node, and the tokens issued through them are refused at once too.
        </p>
      ) : clientKey ? (
        <p>
          <strong>Assertions signed with the key “{clientKey.kid}” are refused at once</strong>, on every
          server node: a system that still signs with it gets no more tokens. The access tokens it got already
          go on working until they expire; regenerating the credentials revokes them too.
        </p>
      ) : null}
      {clientKey?.tlsClientAuth ? (
        <LastUse
          at={clientKey.lastUsedAt}
          now={now}
          recent={(ago) =>
            `A certificate with this subject authenticated the client ${ago}: a client still using it will be refused as soon as the subject is removed.`
          }
          never="This certificate subject has never been used."
        />
      ) : clientKey ? (
        <LastUse
          at={clientKey.lastUsedAt}
          now={now}
          recent={(ago) =>
            `This key authenticated the client ${ago}: a client still using it will be refused as soon as it is removed.`
          }
          never="This key has never been used."
        />
      ) : null}
    </ConfirmDialog>
  );
}

/**
 * *Keys for signed client assertions* (private_key_jwt, RFC 7523): the account's public keys, which its client
 * signs a short-lived JWT with in place of sending the password, and whether the password is still accepted beside
 * them. Everyone who sees the account sees them (a public key is no secret); with `mayChange`, an admin of it adds
 * one (up to five), removes one behind a confirmation, and refuses or allows the password. After each change of the
 * keys the list is read again and the heading takes the focus, the notice under it: the button that had it may be
 * gone (the row's, or the form at five keys). The last key's removal while the password is refused is the server's
 * to refuse (409): its words stay in the removal's dialog. Under the certificate subjects, an operator of every
 * account reads the CAs the server trusts for them and their CRLs, warned of one that no longer vouches.
 */
export function ClientKeysSection({
  accountId,
  account,
  tokenUrl,
  mayChange,
  everyAccount,
}: {
  accountId: string;
  /** The account the page loaded, which says whether its client takes signed assertions alone. */
  account: AccountState;
  /** The token endpoint (`ISSUER/oauth/token`), when the page knows it. */
  tokenUrl?: string;
  mayChange: boolean;
  /**
   * The operator acts on every account: the server shows the CAs it trusts (`GET /api/admin/client-cas`) to such an
   * operator alone, viewers included.
   */
  everyAccount: boolean;
}) {
  const {
    data: keys,
    error,
    setError,
    reload,
  } = useLoaded<ClientKey[]>(accountPath(accountId, 'client-keys'));
  const [notice, setNotice] = useState<string | null>(null);
  const [removing, setRemoving] = useState<ClientKey | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const trustsCas = useTrustsCas(mayChange);

  async function changed(text: string) {
    // The keys first, then the word: what the notice says is on the page when it is announced.
    await reload();
    setError(null);
    setNotice(text);
    heading.current?.focus();
  }

  const count = keys?.length ?? 0;
  return (
    <section aria-labelledby="client-keys" class="card">
      <h2 id="client-keys" ref={heading} tabIndex={-1}>
        Keys for signed client assertions
      </h2>
      <p>
        A system that holds a private key of its own can get access tokens without the password: it signs a
        short-lived JWT (a client assertion, RFC 7523 <code>private_key_jwt</code>) whose <code>iss</code> and{' '}
        <code>sub</code> are the user ID and whose <code>aud</code> is the token endpoint, and sends it there.
        Its public key is registered here; the private key never leaves the system.
        {mayChange ? null : ' An admin of the account adds and removes the keys.'}
      </p>
      <p class="code-label">The form it sends to {tokenUrl ?? 'the token endpoint'}:</p>
      <pre class="code">
        <code>{`grant_type=client_credentials\nclient_assertion_type=${ASSERTION_TYPE}\nclient_assertion=<the signed JWT>`}</code>
      </pre>
      {error ? <Notice kind="error">{error}</Notice> : null}
      {notice ? <Notice kind="success">{notice}</Notice> : null}
      {keys === null && !error ? <Loading what="the keys" /> : null}
      {keys ? (
        <p>
          {count === 0
            ? 'The account has no key for signed client assertions.'
            : `The account has ${count === 1 ? '1 key' : `${count} keys`} (${MAX_KEYS} at most).`}
        </p>
      ) : null}
      {keys && count > 0 ? <KeyTable keys={keys} onRemove={mayChange ? setRemoving : null} /> : null}
      <SignedAssertionsOnly
        accountId={accountId}
        state={account}
        keyCount={keys ? count : null}
        mayChange={mayChange}
        {...outcomeHandlers(setNotice, setError)}
      />
      {keys && mayChange && count >= MAX_KEYS ? (
        <Notice kind="info">
          The account has {MAX_KEYS} keys, the most it may have: remove one before adding another.
        </Notice>
      ) : null}
      {keys && mayChange && count < MAX_KEYS ? (
        <AddClientKey
          accountId={accountId}
          onAdded={(key) =>
            void changed(
              key.certificate
                ? `The key “${key.kid}” (${key.type}, ${key.alg}) was added with the certificate ${key.certificate.subject}: the account's client may now sign its assertions with its private key, or authenticate with the certificate in TLS.`
                : `The key “${key.kid}” (${key.type}, ${key.alg}) was added: the account's client may now sign its assertions with its private key.`,
            )
          }
        />
      ) : null}
      {keys && mayChange && count < MAX_KEYS && trustsCas === true ? (
        <AddCertificateSubject
          accountId={accountId}
          onAdded={(key) =>
            void changed(
              `The certificate subject “${key.tlsClientAuth ? describeTlsSubject(key.tlsClientAuth) : key.kid}” was added: a certificate a trusted CA issued with it now authenticates the account's client over mutual TLS.`,
            )
          }
        />
      ) : null}
      {mayChange && trustsCas === false ? (
        <p>
          This server trusts no CA for client certificates, so no certificate subject can be added: see{' '}
          <code>CLIENT_CA_FILE</code> in docs/authentication.md.
        </p>
      ) : null}
      {everyAccount ? <TrustedCasList /> : null}
      <CheckClientCertificate accountId={accountId} keys={keys} />
      {mayChange ? (
        <RemoveClientKey
          accountId={accountId}
          clientKey={removing}
          onRemoved={(key) => {
            setRemoving(null);
            void changed(
              key.tlsClientAuth
                ? `The certificate subject “${describeTlsSubject(key.tlsClientAuth)}” was removed: certificates with it no longer authenticate the client.`
                : `The key “${key.kid}” was removed: assertions signed with it are refused.`,
            );
          }}
          onCancel={() => setRemoving(null)}
        />
      ) : null}
    </section>
  );
}
