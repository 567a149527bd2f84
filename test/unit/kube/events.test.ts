import * as k8s from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { KubeClient, type RequestOptions } from '../../../src/kube/client.ts';
import {
  EventCorrelator,
  EventRecorder,
  eventTimestamp,
  truncateMessage,
  type CoreEvent,
} from '../../../src/kube/events.ts';
import type { KubeObject } from '../../../src/kube/types.ts';

describe('EventCorrelator', () => {
  const involved = { kind: 'PostgreSql', namespace: 'ns', name: 'db', uid: 'u1' };
  const key = EventCorrelator.key(involved, 'Warning', 'CreateFailed', 'quota exceeded');

  it('creates the first time, then bumps the same Event while within the window', () => {
    const c = new EventCorrelator({ windowMs: 60_000, maxEntries: 10 });
    expect(c.decide(key, 0)).toEqual({ action: 'create' });
    c.remember(key, { namespace: 'ns', name: 'db.1', count: 1 }, 0);
    expect(c.decide(key, 30_000)).toEqual({ action: 'patch', namespace: 'ns', name: 'db.1', count: 2 });
    c.remember(key, { namespace: 'ns', name: 'db.1', count: 2 }, 30_000);
    // The window slides from the last occurrence.
    expect(c.decide(key, 90_000)).toEqual({ action: 'patch', namespace: 'ns', name: 'db.1', count: 3 });
    expect(c.decide(key, 90_001)).toEqual({ action: 'create' });
  });

  it('keys on object, type, reason and message', () => {
    const keys = new Set([
      key,
      EventCorrelator.key(involved, 'Normal', 'CreateFailed', 'quota exceeded'),
      EventCorrelator.key(involved, 'Warning', 'UpdateFailed', 'quota exceeded'),
      EventCorrelator.key(involved, 'Warning', 'CreateFailed', 'quota exceeded!'),
      EventCorrelator.key({ ...involved, uid: 'u2' }, 'Warning', 'CreateFailed', 'quota exceeded'),
    ]);
    expect(keys.size).toBe(5);
  });

  it('is bounded: the least recently used entry is evicted first', () => {
    const c = new EventCorrelator({ windowMs: 60_000, maxEntries: 2 });
    c.remember('a', { namespace: 'ns', name: 'a', count: 1 }, 0);
    c.remember('b', { namespace: 'ns', name: 'b', count: 1 }, 0);
    c.remember('a', { namespace: 'ns', name: 'a', count: 2 }, 1); // a is now the most recent
    c.remember('c', { namespace: 'ns', name: 'c', count: 1 }, 2);
    expect(c.size()).toBe(2);
    expect(c.decide('b', 3)).toEqual({ action: 'create' });
    expect(c.decide('a', 3).action).toBe('patch');
    c.forget('a');
    expect(c.decide('a', 3)).toEqual({ action: 'create' });
  });
});

describe('event text', () => {
  it('bounds messages', () => {
    expect(truncateMessage('short', 10)).toBe('short');
    const cut = truncateMessage('x'.repeat(5000), 1024);
    expect(cut).toHaveLength(1024);
    expect(cut.endsWith('…')).toBe(true);
  });

  it('formats metav1.Time at second precision', () => {
    expect(eventTimestamp(Date.parse('2026-03-04T05:06:07.890Z'))).toBe('2026-03-04T05:06:07Z');
  });
});

/** Records requests and answers them like the API server would for Events. */
class FakeEventsClient extends KubeClient {
  calls: { method: string; path: string; body: unknown }[] = [];
  failNext: k8s.ApiException<string> | undefined;
  constructor() {
    super(new k8s.KubeConfig());
  }
  override request<T>(method: Parameters<KubeClient['request']>[0], path: string, options: RequestOptions = {}) {
    this.calls.push({ method, path, body: options.body });
    const fail = this.failNext;
    this.failNext = undefined;
    if (fail) return Promise.reject(fail);
    if (method === 'POST') return Promise.resolve(options.body as T);
    return Promise.resolve({ patched: true, ...(options.body as object) } as T);
  }
}

describe('EventRecorder', () => {
  const reasons = ['Created', 'CreateFailed'] as const;
  const obj: KubeObject = {
    apiVersion: 'api.clever-cloud.com/v1',
    kind: 'PostgreSql',
    metadata: { name: 'db', namespace: 'ns', uid: 'u1', resourceVersion: '42' },
  };
  let t = Date.parse('2026-01-01T00:00:00Z');
  const recorder = (client: KubeClient) =>
    new EventRecorder(client, { component: 'clever-addon-operator', instance: 'pod-1', reasons, now: () => t });

  it('creates one Event with the involved object, reason, type and reporting component', async () => {
    const client = new FakeEventsClient();
    await recorder(client).record(obj, 'Normal', 'Created', 'add-on created');
    expect(client.calls).toHaveLength(1);
    const { method, path, body } = client.calls[0]!;
    expect([method, path]).toEqual(['POST', '/api/v1/namespaces/ns/events']);
    const ev = body as CoreEvent;
    expect(ev.involvedObject).toEqual({
      apiVersion: 'api.clever-cloud.com/v1',
      kind: 'PostgreSql',
      name: 'db',
      namespace: 'ns',
      uid: 'u1',
      resourceVersion: '42',
    });
    expect(ev).toMatchObject({
      reason: 'Created',
      type: 'Normal',
      count: 1,
      reportingComponent: 'clever-addon-operator',
      reportingInstance: 'pod-1',
      source: { component: 'clever-addon-operator', host: 'pod-1' },
    });
    expect(ev.metadata?.name).toMatch(/^db\.[0-9a-f]+$/);
  });

  it('bumps count and lastTimestamp for a repeat, including concurrent repeats', async () => {
    const client = new FakeEventsClient();
    const r = recorder(client);
    await Promise.all([
      r.record(obj, 'Warning', 'CreateFailed', 'quota exceeded'),
      r.record(obj, 'Warning', 'CreateFailed', 'quota exceeded'),
    ]);
    t += 5_000;
    await r.record(obj, 'Warning', 'CreateFailed', 'quota exceeded');
    expect(client.calls.map((c) => c.method)).toEqual(['POST', 'PATCH', 'PATCH']);
    const name = (client.calls[0]!.body as CoreEvent).metadata?.name;
    expect(client.calls[2]!.path).toBe(`/api/v1/namespaces/ns/events/${name}`);
    expect(client.calls[2]!.body).toEqual({ count: 3, lastTimestamp: eventTimestamp(t) });
  });

  it('starts a new Event when the old one is gone (TTL)', async () => {
    const client = new FakeEventsClient();
    const r = recorder(client);
    await r.record(obj, 'Normal', 'Created', 'x');
    client.failNext = new k8s.ApiException(404, 'not found', '{"code":404}', {});
    await r.record(obj, 'Normal', 'Created', 'x');
    expect(client.calls.map((c) => c.method)).toEqual(['POST', 'PATCH', 'POST']);
    expect((client.calls[2]!.body as CoreEvent).count).toBe(1);
  });

  it('never throws, and drops reasons outside the enumerated list', async () => {
    const client = new FakeEventsClient();
    const r = recorder(client);
    client.failNext = new k8s.ApiException(403, 'forbidden', '{"code":403}', {});
    await expect(r.record(obj, 'Normal', 'Created', 'x')).resolves.toBeUndefined();
    await expect(r.record(obj, 'Normal', 'NotAReason' as 'Created', 'x')).resolves.toBeUndefined();
    expect(client.calls).toHaveLength(1);
  });

  it('bounds the message length', async () => {
    const client = new FakeEventsClient();
    await new EventRecorder(client, { component: 'c', reasons, maxMessageLength: 20 }).record(
      obj,
      'Warning',
      'CreateFailed',
      'a very long explanation of what went wrong',
    );
    expect((client.calls[0]!.body as CoreEvent).message).toHaveLength(20);
  });

  it('masks credential text in a message (guarantee 9: a last line of defence)', async () => {
    const client = new FakeEventsClient();
    await recorder(client).record(
      obj,
      'Warning',
      'CreateFailed',
      'cannot reach postgresql://u:pw-81vXk@pg.example/db with token = "tok-3f9a"',
    );
    const message = (client.calls[0]!.body as CoreEvent).message;
    expect(message).toBe('cannot reach postgresql://***@pg.example/db with token = [redacted]');
  });
});
