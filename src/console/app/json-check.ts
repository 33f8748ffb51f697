/** The result of checking text as JSON: the value, or a message with the line and column of the fault. */
export type JsonCheck = { ok: true; value: unknown } | { ok: false; message: string; line: number; column: number };

export function checkJson(text: string): JsonCheck {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    // Browsers word (and place) JSON.parse errors differently and some give no position: find it ourselves.
    const fault = findFault(text) ?? { offset: 0, expected: error instanceof Error ? error.message : 'valid JSON' };
    const before = text.slice(0, fault.offset).split('\n');
    const line = before.length;
    const column = (before[before.length - 1] ?? '').length + 1;
    const found = fault.offset >= text.length ? 'the end of the text' : `'${text.slice(fault.offset, fault.offset + 12).split('\n')[0]}'`;
    return { ok: false, message: `line ${line} column ${column}: expected ${fault.expected}, found ${found}`, line, column };
  }
}

interface Fault {
  offset: number;
  expected: string;
}

/** A small JSON (RFC 8259) scanner that reports where the text stops being JSON; undefined when it is JSON. */
function findFault(text: string): Fault | undefined {
  let at = 0;
  const fail = (expected: string): never => {
    throw { offset: at, expected } satisfies Fault;
  };
  const space = (): void => {
    while (at < text.length && ' \t\n\r'.includes(text[at] ?? '')) at += 1;
  };
  const literal = (word: string): void => {
    if (text.startsWith(word, at)) at += word.length;
    else fail('a value');
  };
  const string = (): void => {
    at += 1; // opening quote
    while (at < text.length) {
      const char = text[at] ?? '';
      if (char === '"') {
        at += 1;
        return;
      }
      if (char === '\\') {
        at += 1;
        const escape = text[at] ?? '';
        if (escape === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(at + 1, at + 5))) fail('four hex digits after \\u');
          at += 5;
        } else if ('"\\/bfnrt'.includes(escape) && escape !== '') {
          at += 1;
        } else {
          fail('an escape such as \\n or \\"');
        }
      } else if (char < ' ') {
        fail('a closing quote (control characters must be escaped)');
      } else {
        at += 1;
      }
    }
    fail('a closing quote');
  };
  const number = (): void => {
    const match = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(at));
    if (!match || match[0] === '' || match[0] === '-') fail('a value');
    at += match?.[0].length ?? 0;
  };
  const value = (): void => {
    space();
    const char = text[at];
    if (char === '{') {
      at += 1;
      space();
      if (text[at] === '}') {
        at += 1;
        return;
      }
      for (;;) {
        space();
        if (text[at] !== '"') fail('a property name in double quotes');
        string();
        space();
        if (text[at] !== ':') fail("':'");
        at += 1;
        value();
        space();
        if (text[at] === ',') {
          at += 1;
          continue;
        }
        if (text[at] === '}') {
          at += 1;
          return;
        }
        fail("',' or '}'");
      }
    }
    if (char === '[') {
      at += 1;
      space();
      if (text[at] === ']') {
        at += 1;
        return;
      }
      for (;;) {
        value();
        space();
        if (text[at] === ',') {
          at += 1;
          continue;
        }
        if (text[at] === ']') {
          at += 1;
          return;
        }
        fail("',' or ']'");
      }
    }
    if (char === '"') return string();
    if (char === 't') return literal('true');
    if (char === 'f') return literal('false');
    if (char === 'n') return literal('null');
    return number();
  };
  try {
    value();
    space();
    if (at < text.length) fail('the end of the text');
    return undefined;
  } catch (thrown) {
    return thrown as Fault;
  }
}
