import { isIP, SocketAddress } from 'node:net';

/** One attribute of a distinguished name: its type (an object identifier) and its value as text. */
export interface NameAttribute {
  type: string;
  value: string;
}

/**
 * The names a certificate gives its holder, as RFC 8705 §2.1.2 compares them: the subject's relative distinguished
 * names in the certificate's order (each a set of attributes), and the subjectAltName entries of four kinds.
 */
export interface CertificateNames {
  subject: NameAttribute[][];
  dns: string[];
  uris: string[];
  /** IP addresses in one writing (`canonicalIp`: IPv6 compressed, lower case). */
  ips: string[];
  emails: string[];
}

/**
 * RFC 8705 §2.1.2: the client metadata that says which certificate, issued by a trusted CA, is the client's — its
 * subject distinguished name, or one of its subjectAltName entries. One member per subject.
 */
export const TLS_SUBJECT_MEMBERS = [
  'tls_client_auth_subject_dn',
  'tls_client_auth_san_dns',
  'tls_client_auth_san_uri',
  'tls_client_auth_san_ip',
  'tls_client_auth_san_email',
] as const;
export type TlsSubjectMember = (typeof TLS_SUBJECT_MEMBERS)[number];

/** A certificate subject an account's client authenticates with (`tls_client_auth`, RFC 8705 §2.1). */
export interface TlsSubject {
  member: TlsSubjectMember;
  /** As given (an IP address in one writing); a distinguished name in RFC 4514's string form. */
  value: string;
}

/** A subject as a node compares it: a distinguished name read once into its attributes. */
export interface CheckedTlsSubject extends TlsSubject {
  dn: NameAttribute[][] | null;
}

const MAX_VALUE = 1024;

/**
 * RFC 4514 §3 and RFC 4519's attribute types by the names certificates use, as object identifiers. Other types are
 * written as their object identifier (`2.5.4.97=…`).
 */
const ATTRIBUTE_TYPES: Record<string, string> = {
  CN: '2.5.4.3',
  SN: '2.5.4.4',
  SERIALNUMBER: '2.5.4.5',
  C: '2.5.4.6',
  L: '2.5.4.7',
  ST: '2.5.4.8',
  STREET: '2.5.4.9',
  O: '2.5.4.10',
  OU: '2.5.4.11',
  TITLE: '2.5.4.12',
  POSTALCODE: '2.5.4.17',
  GN: '2.5.4.42',
  GIVENNAME: '2.5.4.42',
  DC: '0.9.2342.19200300.100.1.25',
  UID: '0.9.2342.19200300.100.1.1',
  EMAILADDRESS: '1.2.840.113549.1.9.1',
  E: '1.2.840.113549.1.9.1',
};

const OID = /^[0-2](\.(0|[1-9][0-9]*))+$/;
const HOSTNAME =
  /^(\*\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.?$/;

/**
 * RFC 4514 §3: a distinguished name's string — relative distinguished names separated by commas, most specific
 * first (the reverse of the certificate's order), attributes of one joined by `+`, values with `\` escapes (`\,`,
 * `\2C`). Returned in the certificate's order. Values written as `#` and hex digits are refused (write the text);
 * spaces around the separators are allowed. A message when it does not read.
 */
export function parseDistinguishedName(text: string): NameAttribute[][] | string {
  const rdns: NameAttribute[][] = [];
  let rdn: NameAttribute[] = [];
  let i = 0;
  const at = () => text.charAt(i);
  while (i <= text.length) {
    while (at() === ' ') i++;
    const typeStart = i;
    while (i < text.length && at() !== '=' && at() !== ',' && at() !== '+') i++;
    if (at() !== '=') return `expected TYPE=value at character ${typeStart + 1}`;
    const written = text.slice(typeStart, i).trim();
    const type = OID.test(written) ? written : ATTRIBUTE_TYPES[written.toUpperCase()];
    if (type === undefined)
      return `unknown attribute type ${JSON.stringify(written)}: write its object identifier (such as 2.5.4.3=…)`;
    i++;
    if (at() === '#') return `the value of ${written} is written in hex: write it as text`;
    let value = '';
    let trailing = 0; // unescaped spaces at the value's end, dropped
    for (; i < text.length && at() !== ',' && at() !== '+' && at() !== ';'; i++) {
      const c = at();
      if (c === '\\') {
        const next = text.slice(i + 1, i + 3);
        if (/^[0-9A-Fa-f]{2}$/.test(next)) {
          // A run of hex pairs is UTF-8 bytes.
          const bytes: number[] = [];
          while (text.charAt(i) === '\\' && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 1, i + 3))) {
            bytes.push(Number.parseInt(text.slice(i + 1, i + 3), 16));
            i += 3;
          }
          i--;
          const decoded = Buffer.from(bytes).toString('utf8');
          if (decoded.includes('\uFFFD')) return `the escaped bytes in the value of ${written} are not UTF-8`;
          value += decoded;
        } else if (/^[ "#+,;<=>\\]/.test(next)) {
          value += next.charAt(0);
          i++;
        } else
          return `a "\\" in the value of ${written} escapes nothing it may (\\, \\+ \\" or two hex digits)`;
        trailing = 0;
      } else if (c === '"' || c === '<' || c === '>' || c === '\u0000')
        return `the character ${JSON.stringify(c)} in the value of ${written} must be escaped with "\\"`;
      else {
        if (c === ' ' && value === '') continue;
        value += c;
        trailing = c === ' ' ? trailing + 1 : 0;
      }
    }
    value = value.slice(0, value.length - trailing);
    if (value === '') return `the value of ${written} is empty`;
    rdn.push({ type, value });
    if (at() === '+') {
      i++;
      continue;
    }
    rdns.push(rdn);
    rdn = [];
    if (i >= text.length) break;
    i++; // , or ;
  }
  return rdns.reverse();
}

/**
 * A subject as an operator gives it: the member named, and a value it can be. The member's rules: a distinguished
 * name that reads (RFC 4514), a host name (`*.` allowed, matched as written), an absolute URI, an IP address, an
 * email address. A message when it cannot be.
 */
export function checkTlsSubject(member: string, value: unknown): CheckedTlsSubject | string {
  if (!(TLS_SUBJECT_MEMBERS as readonly string[]).includes(member))
    return `the member must be one of ${TLS_SUBJECT_MEMBERS.join(', ')}`;
  if (typeof value !== 'string' || value.trim() === '') return `${member} must be a non-empty string`;
  const text = value.trim();
  if (text.length > MAX_VALUE) return `${member} is longer than ${MAX_VALUE} characters`;
  if (/\p{Cc}/u.test(text)) return `${member} holds a control character`;
  const subject = (v: string, dn: NameAttribute[][] | null = null): CheckedTlsSubject => ({
    member: member as TlsSubjectMember,
    value: v,
    dn,
  });
  switch (member as TlsSubjectMember) {
    case 'tls_client_auth_subject_dn': {
      const dn = parseDistinguishedName(text);
      return typeof dn === 'string' ? `${member}: ${dn}` : subject(text, dn);
    }
    case 'tls_client_auth_san_dns':
      return HOSTNAME.test(text) ? subject(text) : `${member} must be a host name (such as bot.example.com)`;
    case 'tls_client_auth_san_uri':
      return URL.canParse(text)
        ? subject(text)
        : `${member} must be an absolute URI (such as spiffe://example.com/bot)`;
    case 'tls_client_auth_san_ip': {
      const ip = canonicalIp(text);
      return ip === null ? `${member} must be an IPv4 or IPv6 address` : subject(ip);
    }
    case 'tls_client_auth_san_email':
      return /^[^@\s]+@[^@\s]+$/.test(text)
        ? subject(text)
        : `${member} must be an email address (such as bot@example.com)`;
  }
}

/** The same text once its insignificant differences are gone (RFC 4518's caseIgnoreMatch, roughly). */
function folded(value: string): string {
  return value.normalize('NFKC').trim().replace(/\s+/g, ' ').toLowerCase();
}

function sameRdn(a: NameAttribute[], b: NameAttribute[]): boolean {
  if (a.length !== b.length) return false;
  const key = (x: NameAttribute) => `${x.type}=${folded(x.value)}`;
  const left = a.map(key).sort();
  const right = b.map(key).sort();
  return left.every((k, i) => k === right[i]);
}

/**
 * RFC 8705 §2.1.2: whether a certificate's names hold the subject — the same distinguished name (the same
 * attributes in the same order, values compared without regard to case or runs of spaces), or a subjectAltName entry
 * equal to the value (host names and email addresses without regard to case; URIs exactly; IP addresses as
 * addresses).
 */
export function subjectMatches(subject: CheckedTlsSubject, names: CertificateNames): boolean {
  switch (subject.member) {
    case 'tls_client_auth_subject_dn': {
      const dn = subject.dn;
      return (
        dn !== null &&
        dn.length === names.subject.length &&
        dn.every((rdn, i) => sameRdn(rdn, names.subject[i] ?? []))
      );
    }
    case 'tls_client_auth_san_dns': {
      const wanted = subject.value.toLowerCase().replace(/\.$/, '');
      return names.dns.some((d) => d.toLowerCase().replace(/\.$/, '') === wanted);
    }
    case 'tls_client_auth_san_uri':
      return names.uris.includes(subject.value);
    case 'tls_client_auth_san_ip':
      return names.ips.includes(subject.value);
    case 'tls_client_auth_san_email': {
      const wanted = subject.value.toLowerCase();
      return names.emails.some((e) => e.toLowerCase() === wanted);
    }
  }
}

/** An IP address in one writing (IPv6 compressed, lower case), to compare two; null when it is not one. */
export function canonicalIp(address: string): string | null {
  const family = isIP(address);
  if (family === 0) return null;
  return new SocketAddress({ address, family: family === 4 ? 'ipv4' : 'ipv6' }).address;
}
