// `run` reads the service account and simple kubeconfigs itself (src/kube/connection.ts) so that client-node's
// generated API never loads; anything it does not understand must go to client-node rather than half-work.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { connectionFromKubeconfig, inClusterConnection, loadConnection } from '../../../src/kube/connection.ts';

const CA = Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n').toString('base64');

function kubeconfig(cluster: Record<string, unknown>, user: Record<string, unknown>): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    'current-context': 'c',
    clusters: [{ name: 'k', cluster }],
    users: [{ name: 'u', user }],
    contexts: [
      { name: 'c', context: { cluster: 'k', user: 'u' } },
      { name: 'other', context: { cluster: 'k', user: 'missing' } },
    ],
  });
}

describe('connectionFromKubeconfig', () => {
  it('a client certificate (the local control plane): server without trailing slash, no Authorization', async () => {
    const conn = connectionFromKubeconfig(
      kubeconfig(
        { server: 'https://127.0.0.1:6443/', 'certificate-authority-data': CA },
        { 'client-certificate-data': CA, 'client-key-data': CA },
      ),
      '/nowhere',
    );
    expect(conn?.server).toBe('https://127.0.0.1:6443');
    const { headers, dispatcher } = await conn!.authenticate();
    expect(headers).toEqual({});
    expect(dispatcher).toBeDefined();
    // One pool for the connection's lifetime.
    expect((await conn!.authenticate()).dispatcher).toBe(dispatcher);
  });

  it('a bearer token, inline or from a file relative to the kubeconfig (re-read, not cached forever)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'conn-'));
    writeFileSync(join(dir, 'token'), 'file-token\n');
    const inline = connectionFromKubeconfig(kubeconfig({ server: 'https://h' }, { token: 'abc' }), dir);
    expect((await inline!.authenticate()).headers.Authorization).toBe('Bearer abc');
    const fromFile = connectionFromKubeconfig(kubeconfig({ server: 'https://h' }, { tokenFile: 'token' }), dir);
    expect((await fromFile!.authenticate()).headers.Authorization).toBe('Bearer file-token');
  });

  it('YAML kubeconfigs and --context are honoured', () => {
    const yaml = [
      'apiVersion: v1',
      'current-context: a',
      'clusters:',
      '- name: one',
      '  cluster: {server: "https://one"}',
      '- name: two',
      '  cluster: {server: "https://two"}',
      'users: [{name: u, user: {token: t}}]',
      'contexts:',
      '- {name: a, context: {cluster: one, user: u}}',
      '- {name: b, context: {cluster: two, user: u}}',
    ].join('\n');
    expect(connectionFromKubeconfig(yaml, '/')?.server).toBe('https://one');
    expect(connectionFromKubeconfig(yaml, '/', 'b')?.server).toBe('https://two');
  });

  it('anything it does not read itself (exec, auth providers, proxies, a missing user) is left to client-node', () => {
    const server = { server: 'https://h' };
    expect(connectionFromKubeconfig(kubeconfig(server, { exec: { command: 'aws' } }), '/')).toBeUndefined();
    expect(connectionFromKubeconfig(kubeconfig(server, { 'auth-provider': { name: 'oidc' } }), '/')).toBeUndefined();
    expect(connectionFromKubeconfig(kubeconfig(server, { as: 'someone' }), '/')).toBeUndefined();
    expect(connectionFromKubeconfig(kubeconfig(server, { username: 'a', password: 'b' }), '/')).toBeUndefined();
    expect(
      connectionFromKubeconfig(kubeconfig({ ...server, 'proxy-url': 'http://proxy:3128' }, { token: 't' }), '/'),
    ).toBeUndefined();
    expect(connectionFromKubeconfig(kubeconfig(server, { token: 't' }), '/', 'other')).toBeUndefined();
    expect(connectionFromKubeconfig(kubeconfig(server, { token: 't' }), '/', 'absent')).toBeUndefined();
  });
});

describe('loadConnection', () => {
  it('falls back to client-node for a kubeconfig it leaves alone, with the same server', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'conn-'));
    const file = join(dir, 'config');
    writeFileSync(file, kubeconfig({ server: 'https://fallback:6443' }, { username: 'a', password: 'b' }));
    const conn = await loadConnection(file, undefined, {});
    expect(conn.server).toBe('https://fallback:6443');
  });

  it('an unreadable --kubeconfig is an error, not a silent default', async () => {
    await expect(loadConnection('/does/not/exist', undefined, {})).rejects.toThrow();
  });
});

describe('inClusterConnection', () => {
  it('the service account: CA and token from the directory, IPv6 hosts bracketed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sa-'));
    writeFileSync(join(dir, 'ca.crt'), Buffer.from(CA, 'base64'));
    writeFileSync(join(dir, 'token'), 'sa-token');
    const conn = inClusterConnection({ KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' }, dir);
    expect(conn.server).toBe('https://[fd00::1]:443');
    expect((await conn.authenticate()).headers.Authorization).toBe('Bearer sa-token');
  });
});
