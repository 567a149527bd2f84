// A small seedable PRNG (sfc32) whose state can be saved, so runs with a seed are reproducible and a restarted
// simulator keeps drawing fresh ids instead of repeating the ones it handed out before.
import { createHash, randomBytes } from 'node:crypto';

export const LOWER_ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';
export const UPPER_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
export const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export type RngState = [number, number, number, number];

export class Rng {
  private s: RngState;

  constructor(seedOrState?: number | RngState) {
    if (Array.isArray(seedOrState)) {
      this.s = [...seedOrState];
      return;
    }
    const seed = seedOrState ?? randomBytes(4).readUInt32LE(0);
    this.s = [0x9e3779b9, 0x243f6a88, 0xb7e15162, seed >>> 0];
    // Warm up so that close seeds give unrelated sequences.
    for (let i = 0; i < 16; i++) this.next();
  }

  state(): RngState {
    return [...this.s];
  }

  /** Uniform float in [0, 1). */
  next(): number {
    let [a, b, c, d] = this.s;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    this.s = [a, b, c, d];
    return (t >>> 0) / 4294967296;
  }

  int(min: number, maxInclusive: number): number {
    return min + Math.floor(this.next() * (maxInclusive - min + 1));
  }

  string(length: number, alphabet: string = ALNUM): string {
    let out = '';
    for (let i = 0; i < length; i++) out += alphabet.charAt(Math.floor(this.next() * alphabet.length));
    return out;
  }

  /** A random (version 4 shaped) UUID. */
  uuid(): string {
    const bytes = Buffer.alloc(16);
    for (let i = 0; i < 16; i++) bytes[i] = Math.floor(this.next() * 256);
    return formatUuid(bytes);
  }

  /** A derived generator, so independent consumers (faults vs ids) do not shift each other's sequences. */
  fork(): Rng {
    return new Rng([
      Math.floor(this.next() * 2 ** 32),
      Math.floor(this.next() * 2 ** 32),
      Math.floor(this.next() * 2 ** 32),
      Math.floor(this.next() * 2 ** 32),
    ]);
  }
}

/** A deterministic version-4-shaped UUID derived from a name: stable plan and zone ids across runs. */
export function stableUuid(name: string): string {
  return formatUuid(createHash('sha256').update(name).digest().subarray(0, 16));
}

function formatUuid(bytes: Buffer): string {
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
