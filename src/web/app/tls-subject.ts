/**
 * RFC 8705 §2.1.2: the member that names which certificate, issued by a CA the server trusts (CLIENT_CA_FILE), is
 * an account's client (`tls_client_auth`) — its whole subject DN, or one entry of its subjectAltName.
 */
export type TlsSubjectMember =
  | 'tls_client_auth_subject_dn'
  | 'tls_client_auth_san_dns'
  | 'tls_client_auth_san_uri'
  | 'tls_client_auth_san_ip'
  | 'tls_client_auth_san_email';

/** A certificate subject among an account's keys, as the admin API shows it. */
export interface TlsSubject {
  member: TlsSubjectMember;
  value: string;
}

/** Each member in plain words: `label` for a choice, `words` for a sentence, `hint` for its value. */
export const TLS_SUBJECT_KINDS: {
  value: TlsSubjectMember;
  label: string;
  words: string;
  hint: string;
}[] = [
  {
    value: 'tls_client_auth_subject_dn',
    label: 'Subject DN (the whole subject)',
    words: 'Subject DN',
    hint: "The certificate's whole subject as RFC 4514 writes it, most specific first, such as CN=billing-bot,OU=Contact Centre,O=Acme,C=US.",
  },
  {
    value: 'tls_client_auth_san_dns',
    label: 'DNS name',
    words: 'subjectAltName DNS name',
    hint: "A host name in the certificate's subjectAltName, such as billing.acme.example.",
  },
  {
    value: 'tls_client_auth_san_uri',
    label: 'URI',
    words: 'subjectAltName URI',
    hint: "An absolute URI in the certificate's subjectAltName, such as spiffe://acme.example/billing.",
  },
  {
    value: 'tls_client_auth_san_ip',
    label: 'IP address',
    words: 'subjectAltName IP address',
    hint: "An IPv4 or IPv6 address in the certificate's subjectAltName, such as 10.1.2.3.",
  },
  {
    value: 'tls_client_auth_san_email',
    label: 'Email address',
    words: 'subjectAltName email address',
    hint: "An email address in the certificate's subjectAltName, such as billing@acme.example.",
  },
];

/** `subjectAltName DNS name`, `Subject DN`…; an unknown member as recorded. */
export function tlsSubjectWords(member: string): string {
  return TLS_SUBJECT_KINDS.find((k) => k.value === member)?.words ?? member;
}

/** `subjectAltName DNS name: billing.acme.example`. */
export function describeTlsSubject(subject: TlsSubject): string {
  return `${tlsSubjectWords(subject.member)}: ${subject.value}`;
}
