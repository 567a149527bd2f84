// The V8 heap sized from the container's memory limit. The chart passes NODE_OPTIONS=--max-old-space-size (75 % of
// resources.limits.memory); plain manifests, the OLM bundle or `docker run -m` may not. Without a cap V8 sizes its
// heap from the host's memory, so the garbage collector may let the heap grow until the kernel OOM-kills the pod.
// V8 reads its heap flags once, when the heap is set up: v8.setFlagsFromString('--max-old-space-size=...') later
// changes nothing (heap_size_limit stays as it was; verified on Node 22), and neither does --max-semi-space-size. So
// `run` re-executes itself with the flags, through execve(2): same PID (Node stays PID 1 in the image), nothing
// left resident, and the cost is one Node start-up before any module of the operator is loaded (docs/benchmarks.md,
// "Footprint"). Pure decision here, unit-tested; the effect is in applyHeapFlags.
import { readFileSync } from 'node:fs';
import { getHeapStatistics } from 'node:v8';

const MiB = 1024 * 1024;
/** Share of the memory limit given to the heap, as the chart's nodeHeapPercent default. */
export const HEAP_SHARE = 0.75;
/**
 * The young generation's semi-space cap (MiB) unless given: V8's default on 64-bit is 16 MiB per semi-space (the
 * young generation reserves three of them); measured in docs/benchmarks.md, "Footprint".
 */
export const DEFAULT_SEMI_SPACE_MIB = 2;
/**
 * How much the old generation may grow past what the last full collection kept before the next one, in percent,
 * unless given. V8 otherwise picks a factor of up to 4 from its own speed figures, and an operator that decoded a large
 * first list keeps that garbage resident for long: 1,000 idle resources settled at 134 MiB with V8's choice and
 * 116 MiB with 20 %, 10,000 at 216 and 188 MiB, with no measurable CPU cost (500 add-ons: 4.7 and 4.5 CPU seconds
 * to all Secrets); docs/benchmarks.md, "CPU and memory, second round".
 */
export const DEFAULT_HEAP_GROWING_PERCENT = 20;
/**
 * V8's background threads (concurrent marking, compilation) unless given: Node starts 4, each with its own allocator
 * arena. With 2 the operator settled at a median of 86.6 MiB after start instead of 90.8 (three runs each), with the
 * same CPU for 500 add-ons (5.15 CPU seconds to all Secrets, within the 4.5-5.2 of runs with 4);
 * docs/benchmarks.md, "CPU and memory, second round".
 */
export const DEFAULT_V8_POOL_SIZE = 2;
/** Never cap the old space below this: a tiny limit would make the operator spend its time collecting. */
const MIN_OLD_SPACE_MIB = 64;
/** cgroup v1 reports "no limit" as a huge number (PAGE_COUNTER_MAX pages); anything above 2^60 means no limit. */
const UNLIMITED = 2 ** 60;
/** Set in the re-executed process: never re-execute twice. */
export const REEXEC_MARKER = 'CLEVER_OPERATOR_HEAP_FLAGS_APPLIED';

/** The memory limit in bytes from the text of cgroup v2 memory.max or v1 memory.limit_in_bytes; undefined: none. */
export function parseMemoryLimit(text: string | undefined): number | undefined {
  const t = text?.trim();
  if (!t || t === 'max') return undefined;
  if (!/^\d+$/.test(t)) return undefined;
  const n = Number(t);
  return n > 0 && n < UNLIMITED ? n : undefined;
}

/** Whether a flag is given on the command line or in NODE_OPTIONS (`--flag=N`, `--flag N`, `_` or `-` spelt). */
export function hasFlag(flag: string, execArgv: readonly string[], nodeOptions: string | undefined): boolean {
  const variants = [flag, flag.replace(/-/g, '_').replace(/^__/, '--')];
  const words = [...execArgv, ...(nodeOptions ?? '').split(/\s+/)];
  return words.some((w) => variants.some((v) => w === v || w.startsWith(`${v}=`)));
}

export interface HeapInput {
  /** The text of memory.max (v2) or memory.limit_in_bytes (v1); undefined when neither exists. */
  limitText: string | undefined;
  /** v8.getHeapStatistics().heap_size_limit of this process. */
  heapSizeLimit: number;
  execArgv: readonly string[];
  nodeOptions: string | undefined;
  /** CLEVER_OPERATOR_OPTIMIZE_FOR_SIZE=true: trade CPU for memory (see decideHeapFlags). */
  optimizeForSize?: boolean;
}

export interface HeapDecision {
  /** Flags to start Node with (all accepted in NODE_OPTIONS); with `args`, both empty: run as is. */
  flags: string[];
  /** V8 flags NODE_OPTIONS refuses: given on the command line. */
  args: string[];
  why: string;
}

/**
 * The flags `run` should have. With CLEVER_OPERATOR_OPTIMIZE_FOR_SIZE=true, --optimize-for-size (unless it or
 * --no-optimize-for-size is given): V8 then keeps its heap close to what is live, which costs CPU (docs/benchmarks.md,
 * "Footprint": 10,000 idle resources in 138 MiB instead of 213 MiB, but 500 add-ons to Ready in 25.5 CPU seconds
 * instead of 18.8), so it is a choice, off by default. The heap growing factor, the V8 thread pool and the
 * semi-space default unless given; an old-space cap of 75 % of the memory
 * limit, less the young generation, when there is a limit, no --max-old-space-size is given and V8's own limit is
 * above 75 % of it (V8 already sizes from the cgroup limit on some versions: then nothing is needed).
 */
export function decideHeapFlags(input: HeapInput): HeapDecision {
  const flags: string[] = [];
  const args: string[] = [];
  const why: string[] = [];
  if (
    input.optimizeForSize === true &&
    !hasFlag('--optimize-for-size', input.execArgv, input.nodeOptions) &&
    !hasFlag('--no-optimize-for-size', input.execArgv, input.nodeOptions)
  ) {
    args.push('--optimize-for-size');
    why.push('V8 optimised for size');
  }
  // Not accepted in NODE_OPTIONS: on the command line.
  if (!hasFlag('--heap-growing-percent', input.execArgv, input.nodeOptions)) {
    args.push(`--heap-growing-percent=${DEFAULT_HEAP_GROWING_PERCENT}`);
    why.push(`old generation grows ${DEFAULT_HEAP_GROWING_PERCENT} % between full collections`);
  }
  if (!hasFlag('--v8-pool-size', input.execArgv, input.nodeOptions)) {
    flags.push(`--v8-pool-size=${DEFAULT_V8_POOL_SIZE}`);
    why.push(`${DEFAULT_V8_POOL_SIZE} V8 background threads`);
  }
  const semiGiven = hasFlag('--max-semi-space-size', input.execArgv, input.nodeOptions);
  if (!semiGiven) {
    flags.push(`--max-semi-space-size=${DEFAULT_SEMI_SPACE_MIB}`);
    why.push(`young generation capped at ${DEFAULT_SEMI_SPACE_MIB} MiB per semi-space`);
  }
  const limit = parseMemoryLimit(input.limitText);
  if (hasFlag('--max-old-space-size', input.execArgv, input.nodeOptions)) {
    why.push('--max-old-space-size given');
  } else if (limit === undefined) {
    why.push('no memory limit');
  } else if (input.heapSizeLimit <= HEAP_SHARE * limit) {
    why.push(`V8's heap limit is already within ${HEAP_SHARE * 100} % of the memory limit`);
  } else {
    // heap_size_limit counts the young generation (three semi-spaces) on top of the old space.
    const semi = semiGiven ? 0 : DEFAULT_SEMI_SPACE_MIB;
    const old = Math.max(MIN_OLD_SPACE_MIB, Math.floor((HEAP_SHARE * limit) / MiB) - 3 * semi);
    flags.push(`--max-old-space-size=${old}`);
    why.push(`old space capped at ${old} MiB for a ${Math.round(limit / MiB)} MiB memory limit`);
  }
  return { flags, args, why: why.join('; ') };
}

/** The container's memory limit text: cgroup v2 first, then v1 (CLEVER_OPERATOR_MEMORY_MAX_FILE for tests). */
export function readMemoryLimitText(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const files = env.CLEVER_OPERATOR_MEMORY_MAX_FILE
    ? [env.CLEVER_OPERATOR_MEMORY_MAX_FILE]
    : ['/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes'];
  for (const file of files) {
    try {
      return readFileSync(file, 'utf8');
    } catch {
      // next
    }
  }
  return undefined;
}

/**
 * Re-executes this process with the decided flags (added to NODE_OPTIONS, so they survive into nothing else) when
 * any are needed; returns only when none are, or when execve is unavailable (then the process runs as is).
 */
export function applyHeapFlags(): void {
  if (process.env[REEXEC_MARKER]) return;
  const execve = (process as { execve?: (file: string, args: string[], env: NodeJS.ProcessEnv) => never }).execve;
  if (typeof execve !== 'function') return;
  const decision = decideHeapFlags({
    limitText: readMemoryLimitText(),
    heapSizeLimit: getHeapStatistics().heap_size_limit,
    execArgv: process.execArgv,
    nodeOptions: process.env.NODE_OPTIONS,
    optimizeForSize: process.env.CLEVER_OPERATOR_OPTIMIZE_FOR_SIZE === 'true',
  });
  if (decision.flags.length === 0 && decision.args.length === 0) return;
  const env = {
    ...process.env,
    NODE_OPTIONS: [process.env.NODE_OPTIONS, ...decision.flags].filter(Boolean).join(' '),
    [REEXEC_MARKER]: decision.why,
  };
  const argv = [process.execPath, ...process.execArgv, ...decision.args, ...process.argv.slice(1)];
  execve.call(process, process.execPath, argv, env);
}
