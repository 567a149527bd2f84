// Admin endpoints under /__simulator/ on the main port, for tests and the playground. Unauthenticated by design:
// the simulator is meant to listen on loopback; do not expose it.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseCatalogueChange } from './catalogue-changes.ts';
import { parseFaultRules } from './faults.ts';
import { json, type Reply } from './http.ts';
import { send } from './server.ts';
import type { Simulator } from './types.ts';

type AdminApi = Pick<
  Simulator,
  | 'requests'
  | 'clearRequests'
  | 'setFaults'
  | 'addons'
  | 'deleteAddonBehindBack'
  | 'rotateCredentials'
  | 'changeCatalogue'
  | 'catalogueChanges'
> & {
  faults(): unknown[];
};

function error(status: number, message: string): Reply {
  return { status, body: { error: message } };
}

export function createAdminHandler(api: AdminApi) {
  return (req: IncomingMessage, res: ServerResponse, path: string, raw: Buffer): void => {
    send(res, route(api, req.method ?? 'GET', path, raw));
  };
}

function route(api: AdminApi, method: string, path: string, raw: Buffer): Reply {
  const key = `${method} ${path.replace(/\/+$/, '')}`;
  switch (key) {
    case 'GET /__simulator/health':
      return json({ status: 'ok' });
    case 'GET /__simulator/requests':
      return json(api.requests());
    case 'DELETE /__simulator/requests':
      api.clearRequests();
      return { status: 204 };
    case 'GET /__simulator/faults':
      return json(api.faults());
    case 'PUT /__simulator/faults': {
      try {
        api.setFaults(parseFaultRules(JSON.parse(raw.toString('utf8') || 'null')));
      } catch (err) {
        return error(400, err instanceof Error ? err.message : String(err));
      }
      return json(api.faults());
    }
    case 'GET /__simulator/addons':
      return json(api.addons());
    case 'GET /__simulator/catalogue':
      return json(api.catalogueChanges());
    case 'POST /__simulator/catalogue': {
      try {
        api.changeCatalogue(parseCatalogueChange(JSON.parse(raw.toString('utf8') || 'null')));
      } catch (err) {
        return error(400, err instanceof Error ? err.message : String(err));
      }
      return json(api.catalogueChanges());
    }
  }
  const m = /^POST \/__simulator\/addons\/([^/]+)\/(delete|rotate)$/.exec(key);
  if (m?.[1] && m[2]) {
    const id = decodeURIComponent(m[1]);
    if (!api.addons().some((a) => a.id === id || a.realId === id)) return error(404, `no add-on ${id}`);
    if (m[2] === 'delete') api.deleteAddonBehindBack(id);
    else api.rotateCredentials(id);
    return { status: 204 };
  }
  return error(404, `unknown admin endpoint ${key}`);
}
