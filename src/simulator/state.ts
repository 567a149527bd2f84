// In-memory state with optional JSON persistence. Writes are debounced and atomic (tmp file + rename) so a crash
// or a kill never leaves a truncated state file; the RNG state is saved too so a restarted simulator does not hand
// out ids it already used.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Rng, type RngState } from './rng.ts';
import type { SimulatedAddon } from './types.ts';

export interface IssuedApiToken {
  apiTokenId: string;
  userId: string;
  token: string;
  name: string;
  description?: string;
  creationDate: string;
  expirationDate: string;
  ip: string;
  revoked: boolean;
}

interface PersistedState {
  format: 1;
  rng: RngState;
  addons: SimulatedAddon[];
  apiTokens: IssuedApiToken[];
}

const SAVE_DEBOUNCE_MS = 20;

export class Store {
  readonly addons = new Map<string, SimulatedAddon>();
  readonly apiTokens: IssuedApiToken[] = [];
  rng: Rng;
  private readonly file: string | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(file: string | undefined, seed: number | undefined) {
    this.file = file;
    this.rng = new Rng(seed);
    if (file && existsSync(file)) this.load(file);
  }

  private load(file: string): void {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<PersistedState>;
    if (parsed.format !== 1)
      throw new Error(`simulator state file ${file}: unsupported format ${String(parsed.format)}`);
    if (parsed.rng) this.rng = new Rng(parsed.rng);
    for (const addon of parsed.addons ?? []) this.addons.set(addon.id, addon);
    this.apiTokens.push(...(parsed.apiTokens ?? []));
  }

  /** Add-on by `addon_…` id or realId, restricted to one owner. */
  find(ownerId: string, ref: string): SimulatedAddon | undefined {
    const byId = this.addons.get(ref);
    if (byId) return byId.ownerId === ownerId ? byId : undefined;
    for (const a of this.addons.values()) if (a.realId === ref && a.ownerId === ownerId) return a;
    return undefined;
  }

  /** Add-on by `addon_…` id or realId, any owner. */
  findAny(ref: string): SimulatedAddon | undefined {
    const byId = this.addons.get(ref);
    if (byId) return byId;
    for (const a of this.addons.values()) if (a.realId === ref) return a;
    return undefined;
  }

  /** Marks the state dirty; the file is written shortly after (coalescing bursts of changes). */
  changed(): void {
    if (!this.file || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      try {
        this.save();
      } catch (err) {
        // A failed write must not crash the server; the next change retries.
        console.error(`simulator: cannot write state file: ${err instanceof Error ? err.message : String(err)}`);
      }
    }, SAVE_DEBOUNCE_MS);
    this.timer.unref();
  }

  /** Writes pending changes now (used on stop). */
  flush(): void {
    if (!this.timer) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.save();
  }

  private save(): void {
    if (!this.file) return;
    const data: PersistedState = {
      format: 1,
      rng: this.rng.state(),
      addons: [...this.addons.values()],
      apiTokens: this.apiTokens,
    };
    mkdirSync(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(data, null, 2));
    renameSync(tmp, this.file);
  }
}
