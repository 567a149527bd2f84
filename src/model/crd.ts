// Generates a CustomResourceDefinition from a provider definition. The spec schema comes from the provider's zod
// schema (zod 4 emits OpenAPI 3.0 JSON Schema, descriptions and CEL rules included); a few shapes are translated
// into their Kubernetes structural-schema equivalents. Generation fails if any field lacks a description, so
// `kubectl explain` is always useful.
import { z } from 'zod';
import { API_GROUP, type ProviderDefinition } from './provider.ts';
import { bucketsStatusSchema, statusSchema } from './status.ts';

type Schema = Record<string, unknown>;

const isObject = (v: unknown): v is Schema => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Rewrites zod's JSON Schema into a Kubernetes structural schema. */
export function toStructural(node: Schema, path: string, missing: string[]): Schema {
  const out: Schema = { ...node };
  const anyOf = out.anyOf;
  if (Array.isArray(anyOf)) {
    const types = anyOf.map((s) => (isObject(s) ? s.type : undefined)).sort();
    if (types.length === 2 && types[0] === 'integer' && types[1] === 'string') {
      delete out.anyOf;
      out['x-kubernetes-int-or-string'] = true;
    } else {
      throw new Error(`${path}: unions other than integer|string cannot be expressed in a CRD schema`);
    }
  }
  // zod bounds integers to the safe range; Kubernetes int64 needs no such bound.
  if (out.minimum === Number.MIN_SAFE_INTEGER) delete out.minimum;
  if (out.maximum === Number.MAX_SAFE_INTEGER) delete out.maximum;
  if (out.additionalProperties === false) delete out.additionalProperties;
  delete out.$schema;
  if (typeof out.description !== 'string' || out.description.length === 0) missing.push(path);
  if (isObject(out.properties)) {
    out.properties = Object.fromEntries(
      Object.entries(out.properties).map(([k, v]) => [k, toStructural(v as Schema, `${path}.${k}`, missing)]),
    );
  }
  if (isObject(out.additionalProperties)) {
    const value = { description: `Value of an entry of ${path}.`, ...out.additionalProperties };
    out.additionalProperties = toStructural(value, `${path}[*]`, missing);
  }
  if (isObject(out.items)) out.items = toStructural(out.items, `${path}[]`, missing);
  return out;
}

export function specSchema(provider: ProviderDefinition): Schema {
  const missing: string[] = [];
  const json = z.toJSONSchema(provider.spec, { target: 'openapi-3.0', io: 'input' }) as Schema;
  const schema = toStructural(json, 'spec', missing);
  if (missing.length > 0) throw new Error(`${provider.kind}: fields without a description: ${missing.join(', ')}`);
  return schema;
}

/**
 * Rules on the resource root, where both spec and status are visible: the owner and the region cannot change once an
 * add-on exists (oldSelf.status.addonId), and may be corrected before. A rule on the field itself could not see
 * status, and a field transition rule (`self == oldSelf`) does not run when the field was absent before, so adding
 * spec.organisation later to a bound resource slipped through it.
 */
export function rootRules(spec: Schema): { rule: string; message: string }[] {
  const bound = '!has(oldSelf.status) || !has(oldSelf.status.addonId)';
  const props = isObject(spec.properties) ? spec.properties : {};
  const rules: { rule: string; message: string }[] = [];
  if (isObject(props.organisation)) {
    rules.push({
      rule:
        `${bound} || !has(self.spec.organisation) || ` +
        '(has(oldSelf.spec.organisation) && self.spec.organisation == oldSelf.spec.organisation) || ' +
        '(has(oldSelf.status.organisation) && self.spec.organisation == oldSelf.status.organisation)',
      message:
        'organisation is immutable once the add-on exists (status.addonId): an add-on cannot move between owners; ' +
        'set it back, or to status.organisation',
    });
  }
  const instance = isObject(props.instance) && isObject(props.instance.properties) ? props.instance.properties : {};
  if (isObject(instance.region)) {
    rules.push({
      rule:
        `${bound} || !has(oldSelf.spec.instance) || !has(oldSelf.spec.instance.region) || ` +
        '(has(self.spec.instance) && has(self.spec.instance.region) && ' +
        'self.spec.instance.region == oldSelf.spec.instance.region)',
      message: 'region is immutable once the add-on exists (status.addonId): an add-on cannot move between regions',
    });
  }
  return rules;
}

export interface CustomResourceDefinition {
  apiVersion: 'apiextensions.k8s.io/v1';
  kind: 'CustomResourceDefinition';
  metadata: { name: string; labels: Record<string, string> };
  spec: Schema;
}

export function buildCrd(provider: ProviderDefinition): CustomResourceDefinition {
  const spec = specSchema(provider);
  const hasRequired = Array.isArray(spec.required) && spec.required.length > 0;
  const rules = rootRules(spec);
  const condition = (type: string) => `.status.conditions[?(@.type=="${type}")].status`;
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${provider.plural}.${API_GROUP}`,
      labels: {
        'app.kubernetes.io/name': 'clever-addon-operator',
        'app.kubernetes.io/part-of': 'clever-addon-operator',
      },
    },
    spec: {
      group: API_GROUP,
      scope: 'Namespaced',
      names: {
        kind: provider.kind,
        listKind: `${provider.kind}List`,
        plural: provider.plural,
        singular: provider.singular,
        ...(provider.shortNames.length > 0 ? { shortNames: provider.shortNames } : {}),
        categories: ['clever'],
      },
      versions: [
        {
          name: provider.crdVersion,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [
            { name: 'Ready', type: 'string', jsonPath: condition('Ready'), description: 'The add-on is usable.' },
            {
              name: 'Synced',
              type: 'string',
              jsonPath: condition('Synced'),
              description: 'The last reconcile succeeded.',
            },
            { name: 'Plan', type: 'string', jsonPath: '.status.plan.slug', description: 'Resolved plan.' },
            { name: 'Region', type: 'string', jsonPath: '.spec.instance.region', description: 'Region.' },
            {
              name: 'Monthly',
              type: 'number',
              jsonPath: '.status.monthlyPrice',
              description: 'Monthly price of the plan (live catalogue).',
            },
            ...(provider.printerColumns ?? []),
            { name: 'Addon', type: 'string', jsonPath: '.status.addonId', priority: 1, description: 'Add-on id.' },
            {
              name: 'Reason',
              type: 'string',
              jsonPath: `.status.conditions[?(@.type=="Synced")].reason`,
              priority: 1,
              description: 'Why it is (not) synced.',
            },
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
          schema: {
            openAPIV3Schema: {
              type: 'object',
              description: provider.description,
              ...(hasRequired ? { required: ['spec'] } : {}),
              ...(rules.length > 0 ? { 'x-kubernetes-validations': rules } : {}),
              properties: {
                apiVersion: { type: 'string', description: 'API version of this object.' },
                kind: { type: 'string', description: 'Kind of this object.' },
                metadata: { type: 'object' },
                spec: hasRequired ? spec : { ...spec, default: {} },
                status: provider.objectStorage
                  ? { ...statusSchema, properties: { ...statusSchema.properties, buckets: bucketsStatusSchema } }
                  : statusSchema,
              },
            },
          },
        },
      ],
    },
  };
}
