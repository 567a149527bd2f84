// The invariants a chaos run must end with, checked against the API server and the simulator's state. Pure over a
// snapshot, so the same code judges the short variant, the long runs and its own unit-style regression cases.
import type { SimulatedAddon } from '../../src/simulator/index.ts';
import type { AddonStatus } from '../../src/model/status.ts';

export interface TrackedResource {
  kind: string;
  name: string;
  uid: string;
  policy: 'Delete' | 'Orphan';
  /** Set once the delete request was accepted by the API server. */
  deleted: boolean;
  /** The plan slug the spec asks for, when it names one. */
  plan?: string;
  secretName: string;
}

export interface LiveResource {
  kind: string;
  name: string;
  uid: string;
  generation?: number;
  deletionTimestamp?: string;
  finalizers?: string[];
  annotations?: Record<string, string>;
  status?: AddonStatus;
}

export interface Snapshot {
  tracked: TrackedResource[];
  /** Every custom resource of the run's namespace, by uid. */
  live: Map<string, LiveResource>;
  /** Decoded Secret data by Secret name, with the uid of its controller owner. */
  secrets: Map<string, { owner?: string; data: Record<string, string> }>;
  addons: SimulatedAddon[];
  /** Text the operator put where people read: its logs, the namespace's Events, every status. */
  published: { logs: string; events: string; statuses: string };
  /**
   * Every credential value Clever ever handed out during the run (collected along the way), plus the operator's own
   * OAuth token and secret in the forms they could leak in (see credentialForms).
   */
  secretValues: Set<string>;
}

export interface InvariantResult {
  name: string;
  count: number;
  details: string[];
}

const NAME = /^kubernetes::([A-Za-z]+)::([0-9a-f-]{36})$/;

/** Env names whose values are credentials (key ids, hosts and ports are not). */
export function isSensitiveEnvName(name: string): boolean {
  return /PASSWORD|SECRET|TOKEN|AUTH/i.test(name) && !/_ID$/.test(name);
}

export function collectSecretValues(addons: SimulatedAddon[], into: Set<string>): void {
  for (const a of addons) {
    for (const { name, value } of a.env) if (isSensitiveEnvName(name) && value.length >= 8) into.add(value);
  }
}

/**
 * A credential as it could appear in published text: as is, percent-encoded (inside an OAuth header or a URL),
 * and base64-encoded (padded, unpadded and URL-safe: Secret data, Basic authorization).
 */
export function credentialForms(value: string): string[] {
  const base64 = Buffer.from(value, 'utf8').toString('base64');
  return [
    ...new Set([
      value,
      encodeURIComponent(value),
      base64,
      base64.replace(/=+$/, ''),
      Buffer.from(value, 'utf8').toString('base64url'),
    ]),
  ];
}

/** Adds the operator's own credentials, in every form, to the values the exposure invariant looks for. */
export function addOperatorCredentials(credentials: readonly string[], into: Set<string>): void {
  for (const c of credentials) for (const form of credentialForms(c)) into.add(form);
}

export function checkInvariants(s: Snapshot): InvariantResult[] {
  const byUid = new Map(s.tracked.map((t) => [t.uid, t]));
  const namesOnClever = new Map<string, SimulatedAddon[]>();
  for (const a of s.addons) {
    if (!NAME.test(a.name)) continue;
    namesOnClever.set(a.name, [...(namesOnClever.get(a.name) ?? []), a]);
  }

  const duplicates: string[] = [];
  for (const [name, list] of namesOnClever)
    if (list.length > 1) duplicates.push(`${name}: ${list.map((a) => a.id).join(', ')}`);

  const leaked: string[] = [];
  for (const [name, list] of namesOnClever) {
    const uid = NAME.exec(name)![2]!;
    const t = byUid.get(uid);
    const live = s.live.get(uid);
    if (live) continue;
    if (!t) leaked.push(`${name}: no resource ever had this uid`);
    else if (t.policy === 'Delete')
      leaked.push(`${name} (${list.map((a) => a.id).join(', ')}): ${t.kind} ${t.name} deleted`);
  }

  const notConverged: string[] = [];
  const staleSecrets: string[] = [];
  for (const t of s.tracked) {
    if (t.deleted) continue;
    const r = s.live.get(t.uid);
    const who = `${t.kind} ${t.name}`;
    if (!r) {
      notConverged.push(`${who}: missing from the API server`);
      continue;
    }
    const cond = (type: string) => r.status?.conditions?.find((c) => c.type === type);
    const problems: string[] = [];
    if (cond('Ready')?.status !== 'True') problems.push(`Ready=${cond('Ready')?.status}/${cond('Ready')?.reason}`);
    if (cond('Synced')?.status !== 'True')
      problems.push(`Synced=${cond('Synced')?.status}/${cond('Synced')?.reason}: ${cond('Synced')?.message}`);
    if (r.status?.observedGeneration !== r.generation)
      problems.push(`observedGeneration ${r.status?.observedGeneration} != ${r.generation}`);
    const addon = s.addons.find((a) => a.id === r.status?.addonId);
    if (!addon) problems.push(`status.addonId ${r.status?.addonId} not on Clever`);
    else if (addon.name !== `kubernetes::${t.kind}::${t.uid}`)
      problems.push(`add-on ${addon.id} has name ${addon.name}`);
    if (t.plan && r.status?.plan?.slug !== t.plan) problems.push(`plan ${r.status?.plan?.slug} != ${t.plan}`);
    if (addon && r.status?.plan?.id && addon.planId !== r.status.plan.id)
      problems.push(`Clever plan ${addon.planId} != status ${r.status.plan.id}`);
    if (problems.length > 0) {
      // What the operator left on the object says how far it got.
      problems.push(
        `finalizers ${JSON.stringify(r.finalizers ?? [])}, annotations ${JSON.stringify(r.annotations ?? {})}`,
      );
      notConverged.push(`${who}: ${problems.join('; ')}`);
    }

    if (addon) {
      const secret = s.secrets.get(t.secretName);
      if (!secret) staleSecrets.push(`${who}: Secret ${t.secretName} missing`);
      else if (secret.owner !== t.uid) staleSecrets.push(`${who}: Secret ${t.secretName} not owned by it`);
      else {
        const wrong = addon.env.filter((e) => secret.data[e.name] !== e.value).map((e) => e.name);
        if (wrong.length > 0) staleSecrets.push(`${who}: ${wrong.join(', ')} differ from Clever`);
      }
    }
  }

  const finalizers: string[] = [];
  for (const t of s.tracked) {
    if (!t.deleted) continue;
    const r = s.live.get(t.uid);
    if (r) finalizers.push(`${t.kind} ${t.name}: still present, finalizers ${JSON.stringify(r.finalizers ?? [])}`);
  }

  const exposed: string[] = [];
  for (const value of s.secretValues) {
    for (const [where, text] of Object.entries(s.published)) {
      if (text.includes(value)) exposed.push(`a credential (${value.slice(0, 3)}…) found in ${where}`);
    }
  }

  return [
    { name: 'duplicate add-ons', count: duplicates.length, details: duplicates },
    { name: 'leaked add-ons (policy Delete, no resource)', count: leaked.length, details: leaked },
    { name: 'resources not converged', count: notConverged.length, details: notConverged },
    { name: 'Secrets out of date', count: staleSecrets.length, details: staleSecrets },
    { name: 'finalizers left on deleted resources', count: finalizers.length, details: finalizers },
    { name: 'secret values in logs, events or status', count: exposed.length, details: exposed },
  ];
}

export function formatInvariants(title: string, results: InvariantResult[]): string {
  const width = Math.max(9, ...results.map((r) => r.name.length));
  if (results.length === 0) return `${title}\n(no snapshot could be taken)`;
  const lines = [title, `${'invariant'.padEnd(width)}  count`, `${'-'.repeat(width)}  -----`];
  for (const r of results) lines.push(`${r.name.padEnd(width)}  ${String(r.count).padStart(5)}`);
  for (const r of results) for (const d of r.details.slice(0, 10)) lines.push(`  ! ${r.name}: ${d}`);
  return lines.join('\n');
}
