import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main, parseCliOptions } from '../../../src/simulator/cli.ts';

const dirs: string[] = [];
afterEach(() => {
  vi.restoreAllMocks();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tmp(name: string, content: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'sim-cli-'));
  dirs.push(dir);
  const file = join(dir, name);
  writeFileSync(file, content);
  return file;
}

describe('simulator CLI options', () => {
  it('has the documented defaults', () => {
    expect(parseCliOptions([])).toEqual({
      host: '127.0.0.1',
      port: 8085,
      bridgePort: 8086,
      stateFile: undefined,
      provisioningDelayMs: 0,
      listConsistencyDelayMs: 0,
      migrationStepMs: 0,
    });
  });

  it('parses every option', () => {
    const faults = tmp('faults.json', JSON.stringify([{ kind: 'latency', ms: 10 }]));
    const opts = parseCliOptions([
      '--port=0',
      '--bridge-port',
      '9',
      '--host',
      '0.0.0.0',
      '--state-file',
      '/tmp/s.json',
      '--provisioning-delay',
      '1500',
      '--list-delay',
      '200',
      '--seed',
      '42',
      '--faults',
      faults,
      '--cellar-host',
      'localhost:9000',
    ]);
    expect(opts).toMatchObject({
      port: 0,
      bridgePort: 9,
      host: '0.0.0.0',
      stateFile: '/tmp/s.json',
      provisioningDelayMs: 1500,
      listConsistencyDelayMs: 200,
      seed: 42,
      faults: [{ kind: 'latency', ms: 10 }],
      cellarHost: 'localhost:9000',
    });
    expect(parseCliOptions(['-h'])).toBe('help');
  });

  it('rejects bad values with the option named', () => {
    expect(() => parseCliOptions(['--port', 'abc'])).toThrow(/--port/);
    expect(() => parseCliOptions(['--faults', tmp('f.json', '[{"kind":"nope"}]')])).toThrow(/--faults .*kind/);
    expect(() => parseCliOptions(['--bogus'])).toThrow();
  });
});

describe('simulator main', () => {
  it('prints help, reports usage errors, and runs until SIGINT', async () => {
    const out: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void out.push(args.join(' ')));
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    expect(await main(['--help'])).toBe(0);
    expect(out.join('\n')).toContain('--state-file');
    expect(await main(['--port', 'x'])).toBe(2);

    out.length = 0;
    const running = main(['--port', '0', '--bridge-port', '0']);
    await vi.waitFor(() => expect(out.join('\n')).toContain('CLEVER_TOKEN=sim-dev-token'));
    const url = /API:\s+(http:\/\/\S+)/.exec(out.join('\n'))?.[1];
    expect((await fetch(`${url}/__simulator/health`)).status).toBe(200);
    process.emit('SIGINT');
    expect(await running).toBe(0);
    await expect(fetch(`${url}/__simulator/health`)).rejects.toThrow();
  });
});
