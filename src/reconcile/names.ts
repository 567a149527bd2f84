// Names, labels and annotations the operator reads and writes. Annotation switches follow Crossplane's practice
// (paused, external name, create-pending), under a prefix of our own.
export const FIELD_MANAGER = 'clever-addon-operator';
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY_VALUE = 'clever-addon-operator';

export const ANNOTATIONS = {
  /** "true" stops all reconciliation of the resource (status shows Synced=False reason Paused). */
  paused: 'clever-cloud.com/paused',
  /** Set by a user to adopt an existing add-on (addon_... or realId) instead of creating one. */
  addonId: 'clever-cloud.com/addon-id',
  /** Written before the create call and removed once its result is recorded: a crash in between is detectable. */
  createPending: 'clever-cloud.com/create-pending',
  /**
   * Set by a user to "true": the add-on this resource was bound to is gone on Clever Cloud, and a new, empty one is
   * wanted in its place. Consumed (removed by the operator) by the recreate it allows; without it a bound add-on
   * that disappears is reported (AddonMissing), never silently replaced.
   */
  recreateMissing: 'clever-cloud.com/recreate-missing',
  /**
   * Written by the operator: create calls whose add-on was never recorded (answer lost, or the process stopped
   * before writing status) and that were followed by another create. "<count>;<ISO time of the first>". While it is
   * set, add-ons under this resource's deterministic name that it does not hold are removed, up to that count.
   */
  unconfirmedCreates: 'clever-cloud.com/unconfirmed-creates',
  /**
   * "true" makes the deletion of the resource leave its add-on in place, whatever spec.deletionPolicy says: an
   * administrator's way out when the add-on cannot be deleted (credentials gone with the namespace, or refused).
   */
  orphanOnDelete: 'clever-cloud.com/orphan-on-delete',
} as const;

/** The deterministic Clever add-on name, as the upstream operator uses: found again after any crash. */
export function addonName(kind: string, uid: string): string {
  return `kubernetes::${kind}::${uid}`;
}

/** The connection Secret's name: spec.secret.name, else `<resource>-secrets` like the upstream operator. */
export function secretName(resourceName: string, specName: string | undefined): string {
  return specName ?? `${resourceName}-secrets`;
}
