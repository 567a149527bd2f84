// CPU profiles of the operator process for `npm run bench` (BENCH_CPU_PROFILE=<dir>): the bench starts the operator
// with its inspector on a loopback port and records a profile over one window (apply -> all Secrets) through the
// DevTools protocol, so the profile holds that window only, whatever happens to the process afterwards.
// Run as a script it summarises a .cpuprofile: self time by function and by module.
import { readFileSync, writeFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

/** A profiler attached to the inspector listening on `port`. */
export async function attachProfiler(
  port: number,
): Promise<{ start(): Promise<void>; stop(file: string): Promise<void>; close(): void }> {
  const targets = (await fetch(`http://127.0.0.1:${port}/json/list`).then((r) => r.json())) as {
    webSocketDebuggerUrl: string;
  }[];
  const ws = new WebSocket(targets[0]!.webSocketDebuggerUrl);
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener('open', () => resolve(), { once: true });
    ws.addEventListener('error', () => reject(new Error('inspector connection failed')), { once: true });
  });
  let next = 1;
  const waiting = new Map<number, (result: unknown) => void>();
  ws.addEventListener('message', (e) => {
    const msg = JSON.parse(String(e.data)) as { id?: number; result?: unknown };
    if (msg.id !== undefined) waiting.get(msg.id)?.(msg.result);
  });
  const send = (method: string, params: Record<string, unknown> = {}) =>
    new Promise<unknown>((resolve) => {
      const id = next++;
      waiting.set(id, resolve);
      ws.send(JSON.stringify({ id, method, params }));
    });
  await send('Profiler.enable');
  await send('Profiler.setSamplingInterval', { interval: 1000 });
  return {
    start: async () => void (await send('Profiler.start')),
    stop: async (file) => {
      const { profile } = (await send('Profiler.stop')) as { profile: Profile };
      writeFileSync(file, JSON.stringify(profile));
    },
    close: () => ws.close(),
  };
}

/** Self time (ms) by function and by module of a profile. */
export function summarise(profile: Profile): {
  totalMs: number;
  byFunction: [string, number][];
  byModule: [string, number][];
} {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++)
    self.set(samples[i]!, (self.get(samples[i]!) ?? 0) + (deltas[i] ?? 0) / 1000);
  const fn = new Map<string, number>();
  const mod = new Map<string, number>();
  for (const [id, ms] of self) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    const file = url
      .replace(/^file:\/\//, '')
      .replace(/^.*node_modules\//, 'node_modules/')
      .replace(/^.*\/(src|dist)\//, '$1/');
    const f = `${functionName || '(anonymous)'} ${file}:${lineNumber + 1}`;
    fn.set(f, (fn.get(f) ?? 0) + ms);
    const m =
      url === ''
        ? functionName
        : file.startsWith('node_modules/')
          ? file
              .split('/')
              .slice(0, file.includes('@') ? 3 : 2)
              .join('/')
          : file;
    mod.set(m, (mod.get(m) ?? 0) + ms);
  }
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]);
  return { totalMs: (profile.endTime - profile.startTime) / 1000, byFunction: sorted(fn), byModule: sorted(mod) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv[2];
  if (!file) throw new Error('usage: node test/bench/profile.ts <file.cpuprofile> [rows]');
  const rows = Number(process.argv[3] ?? 30);
  const s = summarise(JSON.parse(readFileSync(file, 'utf8')) as Profile);
  const busy = s.byModule.filter(([m]) => m !== '(idle)' && m !== '(program)').reduce((a, [, ms]) => a + ms, 0);
  console.log(`window ${Math.round(s.totalMs)} ms, busy in JavaScript and the runtime ${Math.round(busy)} ms`);
  console.log('\nself time by module (ms)');
  for (const [m, ms] of s.byModule.slice(0, rows)) console.log(`${Math.round(ms).toString().padStart(7)}  ${m}`);
  console.log('\nself time by function (ms)');
  for (const [f, ms] of s.byFunction.slice(0, rows)) console.log(`${Math.round(ms).toString().padStart(7)}  ${f}`);
}
