// `spec.secret.template`: extra Secret keys rendered from the add-on's values with a deliberately small syntax,
// `{{ NAME }}` or `{{ NAME | filter | filter }}`. No code runs, no loops, no lookups beyond the given values, and a
// name that does not exist is an error reported in status, never an empty string (a silently empty password or
// host is worse than a visible failure).

export class TemplateError extends Error {
  readonly key: string;
  constructor(key: string, message: string) {
    super(`spec.secret.template.${key}: ${message}`);
    this.name = 'TemplateError';
    this.key = key;
  }
}

const FILTERS: Record<string, (v: string) => string> = {
  urlencode: (v) => encodeURIComponent(v),
  base64: (v) => Buffer.from(v).toString('base64'),
  upper: (v) => v.toUpperCase(),
  lower: (v) => v.toLowerCase(),
  trim: (v) => v.trim(),
};

const EXPRESSION = /\{\{\s*([^}]*?)\s*\}\}/g;

export function renderTemplateValue(key: string, template: string, values: Record<string, string>): string {
  if (/\{\{(?![^}]*\}\})/.test(template)) throw new TemplateError(key, 'has an unclosed "{{"');
  return template.replace(EXPRESSION, (_match, body: string) => {
    const [name, ...filters] = body.split('|').map((s) => s.trim());
    if (!name) throw new TemplateError(key, 'has an empty "{{ }}"');
    const value = values[name];
    if (value === undefined) {
      const known = Object.keys(values).sort().join(', ');
      throw new TemplateError(key, `refers to "${name}", which the add-on does not provide (available: ${known})`);
    }
    return filters.reduce((v, f) => {
      const filter = FILTERS[f];
      if (!filter)
        throw new TemplateError(key, `uses unknown filter "${f}" (available: ${Object.keys(FILTERS).join(', ')})`);
      return filter(v);
    }, value);
  });
}

export function renderTemplate(
  template: Record<string, string>,
  values: Record<string, string>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, text] of Object.entries(template)) out[key] = renderTemplateValue(key, text, values);
  return out;
}
