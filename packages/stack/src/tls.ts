import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './proc.js';

/**
 * A throw-away certificate authority and one server certificate for
 * 127.0.0.1 / localhost, made with the openssl CLI. The TLS tests start
 * scratch Redis, Kafka and PostgreSQL instances with it and check that the
 * clients verify the chain and the host name, as managed services require.
 */
export interface TestCertificates {
  dir: string;
  caFile: string;
  certFile: string;
  keyFile: string;
  ca: string;
}

export function makeTestCertificates(dir: string): TestCertificates {
  mkdirSync(dir, { recursive: true });
  const caKey = join(dir, 'ca.key');
  const caFile = join(dir, 'ca.pem');
  const keyFile = join(dir, 'server.key');
  const csr = join(dir, 'server.csr');
  const certFile = join(dir, 'server.pem');
  const ext = join(dir, 'server.ext');

  run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=Parley test CA',
    '-keyout',
    caKey,
    '-out',
    caFile,
  ]);
  run('openssl', [
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=localhost',
    '-keyout',
    keyFile,
    '-out',
    csr,
  ]);
  run('sh', [
    '-c',
    `printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\nextendedKeyUsage=serverAuth,clientAuth\\n' > '${ext}'`,
  ]);
  run('openssl', [
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    caFile,
    '-CAkey',
    caKey,
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    ext,
    '-out',
    certFile,
  ]);

  return { dir, caFile, certFile, keyFile, ca: readFileSync(caFile, 'utf8') };
}
