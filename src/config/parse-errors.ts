// Where a configuration text failed to parse, without the text. The parsers' own messages quote the source lines
// around the error (smol-toml and yaml print a code frame; JSON.parse quotes the input), and a configuration text
// holds credentials: so only the line and column are kept, and the parser's message is dropped.

export type ConfigFormat = 'TOML' | 'YAML' | 'JSON';

export interface ParseLocation {
  line: number;
  column: number;
}

/** Line and column (both 1-based) of a character offset. */
export function locationOf(text: string, offset: number): ParseLocation {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const lines = before.split('\n');
  return { line: lines.length, column: lines[lines.length - 1]!.length + 1 };
}

const positive = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : undefined;

/**
 * Offset of the first character that is not valid JSON, or undefined when the text is valid. JSON.parse reports a
 * position for most errors but not all (an unexpected token is reported with a quote of the input instead), so
 * the position is found here, by a minimal scan of the grammar.
 */
class JsonStop extends Error {
  readonly offset: number;
  constructor(offset: number) {
    super(`JSON error at offset ${offset}`);
    this.offset = offset;
  }
}

export function jsonErrorOffset(text: string): number | undefined {
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const fail = (): never => {
    throw new JsonStop(i);
  };
  const literal = (word: string) => {
    for (const ch of word) {
      if (text[i] !== ch) fail();
      i++;
    }
  };
  const string = () => {
    if (text[i] !== '"') fail();
    i++;
    while (i < text.length && text[i] !== '"') {
      const ch = text.charCodeAt(i);
      if (ch < 0x20) fail();
      if (text[i] === '\\') {
        i++;
        if (text[i] === 'u') {
          for (let k = 1; k <= 4; k++) {
            if (!/[0-9a-fA-F]/.test(text[i + k] ?? '')) {
              i += k;
              fail();
            }
          }
          i += 4;
        } else if (!'"\\/bfnrt'.includes(text[i] ?? 'x')) fail();
      }
      i++;
    }
    if (i >= text.length) fail();
    i++;
  };
  const number = () => {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
    if (!m) return fail();
    i += m[0].length;
  };
  const value = (): void => {
    ws();
    const ch = text[i];
    if (ch === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        string();
        ws();
        if (text[i] !== ':') fail();
        i++;
        value();
        ws();
        if (text[i] !== ',' && text[i] !== '}') fail();
        i++;
        if (text[i - 1] === '}') return;
      }
    }
    if (ch === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value();
        ws();
        if (text[i] !== ',' && text[i] !== ']') fail();
        i++;
        if (text[i - 1] === ']') return;
      }
    }
    if (ch === '"') return string();
    if (ch === 't') return literal('true');
    if (ch === 'f') return literal('false');
    if (ch === 'n') return literal('null');
    return number();
  };
  try {
    if (text.charCodeAt(0) === 0xfeff) i++;
    value();
    ws();
    if (i < text.length) fail();
    return undefined;
  } catch (stop) {
    if (stop instanceof JsonStop) return stop.offset;
    throw stop;
  }
}

/** Where a parser error points, from the error object's own fields (never from its message text). */
export function parseErrorLocation(format: ConfigFormat, err: unknown, text: string): ParseLocation | undefined {
  const e = (typeof err === 'object' && err !== null ? err : {}) as {
    line?: unknown;
    column?: unknown;
    linePos?: { line?: unknown; col?: unknown }[];
    pos?: unknown[];
  };
  if (format === 'TOML') {
    // smol-toml's TomlError: line and column, both 1-based.
    const line = positive(e.line);
    const column = positive(e.column);
    return line && column ? { line, column } : undefined;
  }
  if (format === 'YAML') {
    // yaml's YAMLParseError: linePos (1-based) when the parser kept a line counter, else pos (offsets).
    const line = positive(e.linePos?.[0]?.line);
    const column = positive(e.linePos?.[0]?.col);
    if (line && column) return { line, column };
    const offset = e.pos?.[0];
    return typeof offset === 'number' ? locationOf(text, offset) : undefined;
  }
  const offset = jsonErrorOffset(text);
  return offset === undefined ? undefined : locationOf(text, offset);
}

/** `line 3, column 9`: the place of a parser error, never the text nor a value. */
export function describeParseLocation(format: ConfigFormat, err: unknown, text: string): string {
  const at = parseErrorLocation(format, err, text);
  return at ? `line ${at.line}, column ${at.column}` : 'position unknown';
}
