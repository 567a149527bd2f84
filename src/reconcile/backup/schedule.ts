// Five-field cron expressions, read in UTC as the CronJob runs them (timeZone Etc/UTC): when the next run is due,
// for the BackupHealthy condition.

export interface Cron {
  minutes: Set<number>;
  hours: Set<number>;
  days: Set<number>;
  months: Set<number>;
  weekdays: Set<number>;
  /** Day-of-month and day-of-week both restricted: a day matching either fires (classic cron). */
  dayOr: boolean;
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const WEEKDAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

function cronField(text: string, min: number, max: number, names: string[] = [], nameBase = 0): Set<number> {
  const out = new Set<number>();
  const value = (v: string): number => {
    const i = names.indexOf(v.toUpperCase());
    const n = i >= 0 ? i + nameBase : /^\d+$/.test(v) ? Number(v) : NaN;
    if (!(n >= min && n <= max)) throw new Error(`${JSON.stringify(v)} is not in ${min}-${max}`);
    return n;
  };
  for (const part of text.split(',')) {
    const [range = '', stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw new Error(`bad step in ${JSON.stringify(part)}`);
    let from: number;
    let to: number;
    if (range === '*' || range === '?') [from, to] = [min, max];
    else if (range.includes('-')) {
      const [a = '', b = ''] = range.split('-');
      [from, to] = [value(a), value(b)];
      if (from > to) throw new Error(`empty range ${JSON.stringify(range)}`);
    } else {
      from = value(range);
      to = stepText === undefined ? from : max;
    }
    for (let n = from; n <= to; n += step) out.add(n);
  }
  return out;
}

/** Parses a five-field cron expression; throws with a message naming the field at fault. */
export function parseCron(expression: string): Cron {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5) throw new Error(`expected 5 fields, found ${fields.length}`);
  const [m = '', h = '', dom = '', mon = '', dow = ''] = fields;
  const field = (name: string, f: () => Set<number>) => {
    try {
      return f();
    } catch (err) {
      throw new Error(`${name}: ${(err as Error).message}`);
    }
  };
  const weekdays = field('day of week', () => cronField(dow, 0, 7, WEEKDAYS));
  if (weekdays.delete(7)) weekdays.add(0);
  const starred = (f: string) => f === '*' || f === '?';
  return {
    minutes: field('minute', () => cronField(m, 0, 59)),
    hours: field('hour', () => cronField(h, 0, 23)),
    days: field('day of month', () => cronField(dom, 1, 31)),
    months: field('month', () => cronField(mon, 1, 12, MONTHS, 1)),
    weekdays,
    dayOr: !starred(dom) && !starred(dow),
  };
}

/** The first time strictly after `after` the schedule fires; undefined if it never does within 5 years. */
export function nextRun(cron: Cron, after: Date): Date | undefined {
  const t = new Date(after.getTime());
  t.setUTCSeconds(0, 0);
  t.setUTCMinutes(t.getUTCMinutes() + 1);
  const limit = after.getTime() + 5 * 366 * 86_400_000;
  while (t.getTime() <= limit) {
    if (!cron.months.has(t.getUTCMonth() + 1)) {
      t.setUTCMonth(t.getUTCMonth() + 1, 1);
      t.setUTCHours(0, 0, 0, 0);
      continue;
    }
    const dom = cron.days.has(t.getUTCDate());
    const dow = cron.weekdays.has(t.getUTCDay());
    if (!(cron.dayOr ? dom || dow : dom && dow)) {
      t.setUTCDate(t.getUTCDate() + 1);
      t.setUTCHours(0, 0, 0, 0);
      continue;
    }
    if (!cron.hours.has(t.getUTCHours())) {
      t.setUTCHours(t.getUTCHours() + 1, 0, 0, 0);
      continue;
    }
    if (!cron.minutes.has(t.getUTCMinutes())) {
      t.setUTCMinutes(t.getUTCMinutes() + 1, 0, 0);
      continue;
    }
    return t;
  }
  return undefined;
}
