import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from './server.js';

/**
 * A small PKI made with the openssl command for OCSP tests, and OpenSSL's own OCSP responder serving it: a CA whose
 * client certificates name the responder (Authority Information Access), one of them revoked, and a responder
 * certificate the CA issued for OCSP signing. Made at test time: the certificates must name the responder's port.
 */
export interface OcspPki {
  dir: string;
  /** The responder's URL, as the certificates name it. */
  url: string;
  ca: string;
  /** PEM of a client certificate the responder says is good, revoked, or does not know (another CA's serial). */
  good: string;
  revoked: string;
  /** A certificate of the CA that names no responder. */
  silent: string;
  port: number;
}

const openssl = (dir: string, ...args: string[]) =>
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });

export async function makeOcspPki(dir: string): Promise<OcspPki> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  mkdirSync(join(dir, 'issued'), { recursive: true });
  writeFileSync(join(dir, 'index.txt'), '');
  writeFileSync(join(dir, 'serial'), '1000\n');
  writeFileSync(
    join(dir, 'ca.cnf'),
    `[ca]
default_ca = here
[here]
dir = ${dir}
database = $dir/index.txt
serial = $dir/serial
new_certs_dir = $dir/issued
default_md = sha256
policy = any
unique_subject = no
copy_extensions = none
default_days = 30
[any]
commonName = supplied
[ext_ca]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[ext_client]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectAltName = DNS:billing.acme.example
authorityInfoAccess = OCSP;URI:${url}
[ext_silent]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectAltName = DNS:billing.acme.example
[ext_responder]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = OCSPSigning
`,
  );
  const key = (name: string) =>
    openssl(dir, 'genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${name}.key`);
  /** A self-signed certificate for NAME.key, with these extensions. */
  const selfSigned = (name: string, subject: string, ...extensions: string[]) => {
    key(name);
    const added = extensions.flatMap((e) => ['-addext', e]);
    openssl(
      dir,
      'req',
      '-new',
      '-x509',
      '-key',
      `${name}.key`,
      '-out',
      `${name}.pem`,
      '-days',
      '30',
      '-subj',
      subject,
      ...added,
    );
  };
  selfSigned(
    'ca',
    '/O=Acme/CN=Acme OCSP Test CA',
    'basicConstraints=critical,CA:true',
    'keyUsage=critical,keyCertSign,cRLSign',
  );
  const issue = (name: string, extensions: string) => {
    key(name);
    openssl(dir, 'req', '-new', '-key', `${name}.key`, '-out', `${name}.csr`, '-subj', `/O=Acme/CN=${name}`);
    openssl(
      dir,
      'ca',
      '-batch',
      '-notext',
      '-config',
      'ca.cnf',
      '-cert',
      'ca.pem',
      '-keyfile',
      'ca.key',
      '-in',
      `${name}.csr`,
      '-out',
      `${name}.pem`,
      '-extensions',
      extensions,
    );
  };
  issue('good', 'ext_client');
  issue('revoked', 'ext_client');
  issue('silent', 'ext_silent');
  issue('responder', 'ext_responder');
  openssl(
    dir,
    'ca',
    '-config',
    'ca.cnf',
    '-cert',
    'ca.pem',
    '-keyfile',
    'ca.key',
    '-revoke',
    'revoked.pem',
    '-crl_reason',
    'keyCompromise',
  );
  // A responder certificate of its own making, with the name of the CA's responder: not to be believed.
  selfSigned('rogue', '/O=Acme/CN=responder', 'extendedKeyUsage=OCSPSigning');
  const pem = (name: string) => readFileSync(join(dir, `${name}.pem`), 'utf8');
  return { dir, url, port, ca: pem('ca'), good: pem('good'), revoked: pem('revoked'), silent: pem('silent') };
}

/**
 * OpenSSL's OCSP responder for the PKI, on its port: signing with the CA's own key, or (`delegated`) with the
 * responder certificate; answers valid `minutes` (its nextUpdate). Stop it with `kill()`.
 */
export async function startOcspResponder(
  pki: OcspPki,
  {
    signer = 'ca',
    minutes = 24 * 60,
  }: {
    /** `responder`: the certificate the CA issued for OCSP signing; `rogue`: one it did not issue. */
    signer?: 'ca' | 'responder' | 'rogue';
    minutes?: number;
  } = {},
): Promise<ChildProcess> {
  const signing = ['-rsigner', `${signer}.pem`, '-rkey', `${signer}.key`];
  const child = spawn(
    'openssl',
    [
      'ocsp',
      '-index',
      'index.txt',
      '-port',
      String(pki.port),
      '-CA',
      'ca.pem',
      ...signing,
      '-nmin',
      String(minutes),
      '-ignore_err',
    ],
    { cwd: pki.dir, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  // Ready once it says so (a probe connection would hold it: it serves one connection at a time, unhurried).
  await new Promise<void>((resolve, reject) => {
    let said = '';
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`the OCSP responder did not start: ${said}`));
    }, 10_000);
    child.stderr?.on('data', (chunk: Buffer) => {
      said += chunk.toString();
      if (said.includes('waiting for OCSP client connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', () => {
      clearTimeout(timer);
      reject(new Error(`the OCSP responder stopped: ${said}`));
    });
  });
  return child;
}
