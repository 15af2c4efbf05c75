import { useLoaded } from '../api.js';
import { formatDate } from '../format.js';
import { Notice, TableHead } from './ui.js';

/** A CA's CRL as the node read it (CLIENT_CRL_FILE, RFC 5280 §5). */
interface TrustedCaCrl {
  thisUpdate: string;
  /** Past it, the CRL vouches for nothing: the CA's certificates are refused until a later one is read. */
  nextUpdate: string;
  /** How many certificates it revokes. */
  revoked: number;
  current: boolean;
}

/** A CA whose client certificates authenticate by their subject (CLIENT_CA_FILE), as `GET /api/admin/client-cas` lists it. */
interface TrustedCa {
  /** `C=US, O=Acme, CN=Acme Client CA`. */
  subject: string;
  /** x5t#S256 of the CA certificate. */
  thumbprint: string;
  notBefore: string;
  notAfter: string;
  /** Within its dates: out of them, the certificates it issued are refused. */
  current: boolean;
  /** Null when no CRL is read (CLIENT_CRL_FILE not set). */
  crl: TrustedCaCrl | null;
}

/** What `GET /api/admin/client-cas` answers: the node's trusted CAs (none without CLIENT_CA_FILE). */
interface TrustedCas {
  /** Whether CRLs are read (CLIENT_CRL_FILE). */
  crlFile: boolean;
  cas: TrustedCa[];
}

const Day = ({ iso }: { iso: string }) => <time dateTime={iso}>{formatDate(iso)}</time>;

/** A warning in a cell: its badge, then what follows from it. */
function Warning({ status, advice }: { status: string; advice: string }) {
  return (
    <li>
      <strong class="badge badge-warning">{status}</strong>: {advice}
    </li>
  );
}

/** A CA's dates: until when it is valid; out of them, both dates and that its certificates are refused. */
function CaValidity({ ca }: { ca: TrustedCa }) {
  return (
    <ul class="plain-list">
      <li>
        {ca.current ? (
          <>
            Valid until <Day iso={ca.notAfter} />
          </>
        ) : (
          <>
            Valid from <Day iso={ca.notBefore} /> to <Day iso={ca.notAfter} />
          </>
        )}
      </li>
      {ca.current ? null : (
        <Warning
          status="Out of its dates"
          advice="certificates this CA issued are refused; replace it in CLIENT_CA_FILE, then SIGHUP"
        />
      )}
    </ul>
  );
}

/** A CA's CRL in words; past its next update, that the CA's certificates are refused until a later one is read. */
function CaCrl({ crl }: { crl: TrustedCaCrl | null }) {
  if (crl === null) return <span class="muted">None read</span>;
  const revoked =
    crl.revoked === 0
      ? 'no revoked certificate'
      : `${crl.revoked} revoked certificate${crl.revoked === 1 ? '' : 's'}`;
  return (
    <ul class="plain-list">
      <li>
        CRL of <Day iso={crl.thisUpdate} />, next update due <Day iso={crl.nextUpdate} />, {revoked}
      </li>
      {crl.current ? null : (
        <Warning
          status="CRL out of date"
          advice="certificates of this CA are refused until a later CRL is read (CLIENT_CRL_FILE, then SIGHUP)"
        />
      )}
    </ul>
  );
}

/**
 * The CAs this node trusts for client certificates (`GET /api/admin/client-cas`), for the certificate subjects:
 * each CA's subject and until when it is valid and, when CRLs are read, its CRL in words; a CA out of its dates, or
 * whose CRL is past its next update, says in words that its certificates are refused (the server fails closed).
 * Without CLIENT_CRL_FILE, a line says that no CRL is read. Nothing while it loads, nor when no CA is trusted (the
 * section says that itself); a failure to read them is said.
 */
export function TrustedCasList() {
  const { data, error } = useLoaded<TrustedCas>('/api/admin/client-cas');
  if (error) return <Notice kind="error">The CAs this server trusts could not be read: {error}</Notice>;
  if (data === null || data.cas.length === 0) return null;
  const many = data.cas.length > 1;
  return (
    <>
      <h3>Trusted CAs</h3>
      <p>
        Certificate subjects match the certificates {many ? 'these CAs' : 'this CA'} issued, as this node read{' '}
        {many ? 'them' : 'it'} (<code>CLIENT_CA_FILE</code>, at its start or its last <code>SIGHUP</code>).
      </p>
      <table>
        <TableHead
          caption="CAs this server trusts for client certificates"
          columns={['CA', 'Validity', data.crlFile ? 'Revocation list (CRL)' : null]}
        />
        <tbody>
          {data.cas.map((ca) => (
            <tr key={ca.thumbprint}>
              <th scope="row">{ca.subject}</th>
              <td>
                <CaValidity ca={ca} />
              </td>
              {data.crlFile ? (
                <td>
                  <CaCrl crl={ca.crl} />
                </td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
      {data.crlFile ? null : (
        <p>
          No certificate revocation list is read (<code>CLIENT_CRL_FILE</code> is not set): a certificate{' '}
          {many ? 'these CAs' : 'this CA'} issued is taken until it expires, even one its CA revoked.
        </p>
      )}
    </>
  );
}
