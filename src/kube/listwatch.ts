// The two calls an informer needs, behind an interface so the informer's recovery logic (410 relist, reconnects,
// watchdog) can be tested with a scripted fake, and run against the real API server through KubeClient.
import type { KubeClient } from './client.ts';
import type { KubeObject, ObjectList, ResourceRef, WatchEvent } from './types.ts';
import { resourcePath } from './types.ts';

export interface ListPage<T extends KubeObject> {
  items: T[];
  resourceVersion: string;
  continue?: string;
}

export interface ListWatcher<T extends KubeObject> {
  /** Human-readable name of what is listed (logs and metrics). */
  readonly description: string;
  list(options: { limit: number; continue?: string; signal: AbortSignal }): Promise<ListPage<T>>;
  /**
   * Streams events after `resourceVersion` until the server ends the watch (resolve), an error occurs or `signal`
   * aborts (reject). An exception thrown by `onEvent` must end the watch with that exception.
   */
  watch(
    options: { resourceVersion: string; timeoutSeconds: number; signal: AbortSignal },
    onEvent: (event: WatchEvent<T>) => void,
  ): Promise<void>;
}

export interface Selectors {
  labelSelector?: string;
  fieldSelector?: string;
}

/** A ListWatcher over the REST API of one resource (optionally one namespace and label/field selected). */
export function restListWatcher<T extends KubeObject>(
  client: KubeClient,
  ref: ResourceRef,
  selectors: Selectors = {},
): ListWatcher<T> {
  const path = resourcePath(ref);
  const group = ref.group === '' ? '' : `.${ref.group}`;
  const scope = ref.namespace ? ` in ${ref.namespace}` : '';
  const selected = selectors.labelSelector ? ` [${selectors.labelSelector}]` : '';
  return {
    description: `${ref.plural}${group}${scope}${selected}`,
    async list({ limit, continue: cont, signal }) {
      // No resourceVersion: a consistent read from etcd, so a relist never goes back in time.
      const res = await client.request<ObjectList<T>>('GET', path, {
        query: { ...selectors, limit, continue: cont },
        signal,
        timeoutMs: 60_000,
      });
      return {
        items: res.items,
        resourceVersion: res.metadata?.resourceVersion ?? '',
        continue: res.metadata?.continue,
      };
    },
    watch({ resourceVersion, timeoutSeconds, signal }, onEvent) {
      return client.watch(
        path,
        { ...selectors, resourceVersion, timeoutSeconds, allowWatchBookmarks: true },
        onEvent as (event: WatchEvent) => void,
        signal,
      );
    },
  };
}
