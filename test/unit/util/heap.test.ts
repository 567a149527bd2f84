// The heap flags `run` re-executes itself with (src/heap.ts): from the cgroup memory limit text to flags. Pure.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_HEAP_GROWING_PERCENT,
  DEFAULT_SEMI_SPACE_MIB,
  DEFAULT_V8_POOL_SIZE,
  decideHeapFlags,
  hasFlag,
  parseMemoryLimit,
} from '../../../src/heap.ts';

const MiB = 1024 * 1024;
const semi = `--max-semi-space-size=${DEFAULT_SEMI_SPACE_MIB}`;
const hostHeap = 4096 * MiB;
const growing = `--heap-growing-percent=${DEFAULT_HEAP_GROWING_PERCENT}`;
const pool = `--v8-pool-size=${DEFAULT_V8_POOL_SIZE}`;

describe('parseMemoryLimit', () => {
  it('reads cgroup v2 and v1 texts; "max", v1 unlimited, empty and junk mean no limit', () => {
    expect(parseMemoryLimit('536870912\n')).toBe(512 * MiB);
    expect(parseMemoryLimit('max\n')).toBeUndefined();
    expect(parseMemoryLimit('9223372036854771712\n')).toBeUndefined();
    expect(parseMemoryLimit('')).toBeUndefined();
    expect(parseMemoryLimit(undefined)).toBeUndefined();
    expect(parseMemoryLimit('0')).toBeUndefined();
    expect(parseMemoryLimit('12.5G')).toBeUndefined();
  });
});

describe('hasFlag', () => {
  it('finds a flag on the command line or in NODE_OPTIONS, with = or a space, dashes or underscores', () => {
    expect(hasFlag('--max-old-space-size', ['--max-old-space-size=100'], undefined)).toBe(true);
    expect(hasFlag('--max-old-space-size', [], '--enable-source-maps --max_old_space_size=384')).toBe(true);
    expect(hasFlag('--max-old-space-size', [], '--max-old-space-size 384')).toBe(true);
    expect(hasFlag('--max-old-space-size', ['--max-semi-space-size=2'], '--max-old-space-sizes=1')).toBe(false);
    expect(hasFlag('--max-old-space-size', [], undefined)).toBe(false);
  });
});

describe('decideHeapFlags: --optimize-for-size', () => {
  it('only when asked for; then on the command line (NODE_OPTIONS refuses it) unless it or its negation is given', () => {
    const base = { heapSizeLimit: hostHeap, limitText: 'max', nodeOptions: undefined, optimizeForSize: true };
    expect(decideHeapFlags({ ...base, optimizeForSize: false, execArgv: [] }).args).toEqual([growing]);
    expect(decideHeapFlags({ ...base, execArgv: [] }).args).toEqual(['--optimize-for-size', growing]);
    expect(decideHeapFlags({ ...base, execArgv: ['--optimize-for-size'] }).args).toEqual([growing]);
    expect(decideHeapFlags({ ...base, execArgv: ['--no-optimize-for-size'] }).args).toEqual([growing]);
    expect(decideHeapFlags({ ...base, execArgv: ['--optimize_for_size'] }).args).toEqual([growing]);
  });
});

describe('decideHeapFlags: the heap growing factor', () => {
  const base = { heapSizeLimit: hostHeap, limitText: 'max', nodeOptions: undefined };
  it('on the command line (NODE_OPTIONS refuses it) with or without a memory limit, unless one is given', () => {
    expect(decideHeapFlags({ ...base, execArgv: [] }).args).toEqual([growing]);
    expect(decideHeapFlags({ ...base, limitText: String(512 * MiB), execArgv: [] }).args).toEqual([growing]);
    expect(decideHeapFlags({ ...base, execArgv: ['--heap-growing-percent=50'] }).args).toEqual([]);
    expect(decideHeapFlags({ ...base, execArgv: ['--heap_growing_percent', '50'] }).args).toEqual([]);
    expect(decideHeapFlags({ ...base, execArgv: [] }).why).toContain(`grows ${DEFAULT_HEAP_GROWING_PERCENT} %`);
  });
});

describe('decideHeapFlags', () => {
  const base = { heapSizeLimit: hostHeap, execArgv: [], nodeOptions: undefined };

  it('a 512 MiB limit and no flags: old space 75 % of it less the young generation, and the semi-space default', () => {
    const d = decideHeapFlags({ ...base, limitText: '536870912\n' });
    expect(d.flags).toEqual([pool, semi, `--max-old-space-size=${384 - 3 * DEFAULT_SEMI_SPACE_MIB}`]);
    expect(d.why).toContain('512 MiB memory limit');
  });

  it('no limit (cgroup v2 "max", v1 unlimited, no cgroup file): only the semi-space default', () => {
    for (const limitText of ['max', '9223372036854771712', undefined])
      expect(decideHeapFlags({ ...base, limitText }).flags).toEqual([pool, semi]);
  });

  it("the chart's NODE_OPTIONS cap wins: no old-space flag; a given semi-space size is kept too", () => {
    expect(decideHeapFlags({ ...base, limitText: '536870912', nodeOptions: '--max-old-space-size=384' }).flags).toEqual(
      [pool, semi],
    );
    expect(
      decideHeapFlags({
        ...base,
        limitText: 'max',
        execArgv: ['--max-semi-space-size=16'],
        nodeOptions: '--max-old-space-size=384 --v8-pool-size=8',
      }).flags,
    ).toEqual([]);
  });

  it('V8 already within 75 % of the limit: no old-space cap', () => {
    const d = decideHeapFlags({ ...base, heapSizeLimit: 300 * MiB, limitText: String(512 * MiB) });
    expect(d.flags).toEqual([pool, semi]);
    expect(d.why).toContain('already within');
  });

  it('a tiny limit never caps the old space below 64 MiB', () => {
    expect(decideHeapFlags({ ...base, limitText: String(64 * MiB) }).flags).toContain('--max-old-space-size=64');
  });

  it('with a semi-space size given, the old-space cap does not subtract the default young generation', () => {
    const d = decideHeapFlags({ ...base, limitText: String(1024 * MiB), execArgv: ['--max-semi-space-size=1'] });
    expect(d.flags).toEqual([pool, '--max-old-space-size=768']);
  });
});

describe('applyHeapFlags (a child process)', () => {
  it('re-executes once under a memory limit: V8 then has the capped heap', () => {
    const dir = mkdtempSync(join(tmpdir(), 'heap-'));
    const limit = join(dir, 'memory.max');
    writeFileSync(limit, `${512 * MiB}\n`);
    const script = [
      `import { applyHeapFlags } from ${JSON.stringify(new URL('../../../src/heap.ts', import.meta.url).href)};`,
      "import { getHeapStatistics } from 'node:v8';",
      'applyHeapFlags();',
      'console.log(JSON.stringify({ limit: getHeapStatistics().heap_size_limit, marker: process.env.CLEVER_OPERATOR_HEAP_FLAGS_APPLIED, execArgv: process.execArgv, nodeOptions: process.env.NODE_OPTIONS }));',
    ].join('\n');
    const env: NodeJS.ProcessEnv = { ...process.env, CLEVER_OPERATOR_MEMORY_MAX_FILE: limit };
    delete env.NODE_OPTIONS;
    delete env.CLEVER_OPERATOR_HEAP_FLAGS_APPLIED;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { env, encoding: 'utf8' });
    const lines = out.trim().split('\n');
    // One line: the first process never got past execve.
    expect(lines).toHaveLength(1);
    const result = JSON.parse(lines[0]!) as { limit: number; marker: string; execArgv: string[]; nodeOptions: string };
    expect(result.execArgv).toContain(growing);
    expect(result.nodeOptions).toContain(pool);
    expect(result.limit).toBeLessThanOrEqual(384 * MiB);
    expect(result.limit).toBeGreaterThan(300 * MiB);
    expect(result.marker).toContain('512 MiB memory limit');
  });
});
