// The AddonPolicy kind: a cluster-scoped resource in a group of the operator's own (the upstream operator's group,
// api.clever-cloud.com, is left to the add-on kinds so upstream manifests keep working unchanged). A policy selects
// namespaces by label and says what add-on resources there may do. See docs/policy.md for how policies combine.
export const POLICY_GROUP = 'policy.clever-addon-operator.io';
export const POLICY_VERSION = 'v1alpha1';
export const POLICY_KIND = 'AddonPolicy';
export const POLICY_PLURAL = 'addonpolicies';

/** How namespaces no policy selects are treated; chosen at install. */
export type PolicyMode = 'open' | 'strict';
export const POLICY_MODES: readonly PolicyMode[] = ['open', 'strict'];

export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

export interface AddonPolicySpec {
  /** Namespaces this policy applies to; an empty selector selects every namespace. */
  namespaceSelector: LabelSelector;
  /** Organisation ids add-ons may belong to; absent: any. */
  organisations?: string[];
  credentials?: {
    /** Resources may fall back to the operator's own (global) credentials. Default false. */
    allowGlobal?: boolean;
    /** Namespace or spec.credentialsRef credentials may set endpoint/bridgeEndpoint. Default false. */
    allowCustomEndpoints?: boolean;
  };
  /** Kinds (PostgreSql, Redis, ...); absent: any. */
  kinds?: string[];
  /** Plan slugs; absent: any. */
  plans?: string[];
  /** Regions; absent: any. */
  regions?: string[];
  /** Highest monthly price of one add-on's plan (catalogue price). */
  maxMonthlyPrice?: number;
  /** Highest sum of the monthly prices of a namespace's add-ons. */
  monthlyBudget?: number;
  adoption?: {
    /** Resources may adopt an existing add-on (the clever-cloud.com/addon-id annotation). Default false. */
    allowed?: boolean;
    /** Deletion policy of adopted add-ons whose spec does not set deletionPolicy. Default Orphan. */
    deletionPolicy?: 'Delete' | 'Orphan';
  };
  /** Images spec.backup.image and spec.restoreFrom.image may name (exact, or a prefix ending in *); absent: none. */
  backupImages?: string[];
}

export interface NamespaceSpend {
  namespace: string;
  /** Sum of status.monthlyPrice of the namespace's add-on resources. */
  committed: number;
  /** The smallest budget a selecting policy sets, when one does. */
  budget?: number;
  resources: number;
}

export interface AddonPolicyStatus {
  observedGeneration?: number;
  /** Namespaces the policy selects, with their committed spend. */
  namespaces?: NamespaceSpend[];
  selectedNamespaces?: number;
  conditions?: { type: string; status: string; reason: string; message: string; lastTransitionTime: string }[];
}

export interface AddonPolicy {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; generation?: number; uid?: string; resourceVersion?: string };
  spec?: AddonPolicySpec;
  status?: AddonPolicyStatus;
}

/** What a resource asks for, once its spec and credentials are resolved. Absent fields are not checked. */
export interface PolicyRequest {
  kind?: string;
  organisation?: string;
  /** Where the credentials came from. */
  credentials?: 'spec' | 'namespace' | 'global';
  /** Non-global credentials set an API endpoint of their own. */
  customEndpoint?: boolean;
  plan?: string;
  region?: string;
  /** The plan's monthly price from the live catalogue (undefined when the catalogue has none). */
  monthlyPrice?: number;
  /** What the resource already commits (its current status.monthlyPrice while it holds an add-on), else 0. */
  currentPrice?: number;
  /** Committed spend of the namespace's other resources. */
  namespaceSpend?: number;
  /** The add-on id of an adoption annotation, when the resource has one. */
  adoption?: string;
  /** Images named by spec.backup.image / spec.restoreFrom.image. */
  backupImages?: string[];
}

export type PolicyRule =
  | 'strictMode'
  | 'invalidPolicy'
  | 'organisations'
  | 'credentials.allowGlobal'
  | 'credentials.allowCustomEndpoints'
  | 'kinds'
  | 'plans'
  | 'regions'
  | 'maxMonthlyPrice'
  | 'monthlyBudget'
  | 'adoption.allowed'
  | 'backupImages';

export type PolicyDecision =
  | {
      allowed: true;
      /** Names of the policies that selected the namespace (empty: none did, open mode). */
      policies: string[];
      /** Deletion policy for an adopted add-on whose spec sets none; undefined when no policy selects. */
      adoptedDeletionPolicy?: 'Delete' | 'Orphan';
      /** The smallest monthly budget of the selecting policies. */
      budget?: number;
    }
  | { allowed: false; policy: string; rule: PolicyRule; message: string };
