// Certificates for a local control plane: one CA that signs the apiserver's serving certificate and the client
// certificates of the users we create, plus a service-account signing key. Generated with the openssl CLI, which is
// present on every machine we target; the keys never leave the control plane's temporary folder.
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface PlaneCertificates {
  dir: string;
  caCert: string;
  caKey: string;
  servingCert: string;
  servingKey: string;
  serviceAccountKey: string;
}

export interface ClientIdentity {
  cert: string;
  key: string;
}

async function openssl(dir: string, args: string[]): Promise<void> {
  try {
    await run('openssl', args, { cwd: dir });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') {
      throw new Error('openssl is not installed; it is needed to create the local control plane certificates', {
        cause: err,
      });
    }
    throw new Error(`openssl ${args[0] ?? ''} failed: ${e.stderr ?? e.message}`, { cause: err });
  }
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

export async function createPlaneCertificates(dir: string): Promise<PlaneCertificates> {
  await openssl(dir, [
    'req',
    '-x509',
    ...EC,
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '7',
    '-subj',
    '/CN=clever-addon-operator-local-ca',
  ]);
  await openssl(dir, ['req', ...EC, '-keyout', 'apiserver.key', '-out', 'apiserver.csr', '-subj', '/CN=localhost']);
  await writeFile(
    join(dir, 'apiserver.ext'),
    'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n',
  );
  await openssl(dir, [
    'x509',
    '-req',
    '-in',
    'apiserver.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '7',
    '-out',
    'apiserver.crt',
    '-extfile',
    'apiserver.ext',
  ]);
  await openssl(dir, ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'sa.key']);
  return {
    dir,
    caCert: join(dir, 'ca.crt'),
    caKey: join(dir, 'ca.key'),
    servingCert: join(dir, 'apiserver.crt'),
    servingKey: join(dir, 'apiserver.key'),
    serviceAccountKey: join(dir, 'sa.key'),
  };
}

/** Signs a client certificate for `user` in `groups` (a group of system:masters makes it cluster admin). */
export async function createClientIdentity(
  certs: PlaneCertificates,
  user: string,
  groups: string[],
): Promise<ClientIdentity> {
  const base = `client-${user.replace(/[^a-zA-Z0-9_-]/g, '_')}`;
  const subject = [...groups.map((g) => `/O=${g}`), `/CN=${user}`].join('');
  await openssl(certs.dir, ['req', ...EC, '-keyout', `${base}.key`, '-out', `${base}.csr`, '-subj', subject]);
  await writeFile(join(certs.dir, `${base}.ext`), 'extendedKeyUsage=clientAuth\n');
  await openssl(certs.dir, [
    'x509',
    '-req',
    '-in',
    `${base}.csr`,
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '7',
    '-out',
    `${base}.crt`,
    '-extfile',
    `${base}.ext`,
  ]);
  return { cert: join(certs.dir, `${base}.crt`), key: join(certs.dir, `${base}.key`) };
}
