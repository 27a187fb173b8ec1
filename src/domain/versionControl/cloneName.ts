/*
 * A clone's default name bumps a trailing version of its source's name (domain.md, "Clone"):
 * "PHP FrontEnd v7" → "PHP FrontEnd v8", "RightImage_CentOS_5.6_x64_v5.7" → "…_v5.8". A name without a
 * trailing version keeps its name.
 */

/**
 * A trailing version is a `v` or `V` right after the start or a separator (space, `_`, `-`, `.`), then
 * digits, optionally dotted (`v7`, `v5.7`, `v2.0.10`). Only the last number is bumped, keeping its
 * zero padding ("v09" → "v10", "v007" → "v008").
 */
const TRAILING_VERSION = /(^|[\s_.-])([vV])(\d+(?:\.\d+)*)$/u;

export function bumpTrailingVersion(name: string): string {
  const match = TRAILING_VERSION.exec(name);
  if (!match) return name;
  const [whole, separator = '', v = 'v', numbers = ''] = match;
  const parts = numbers.split('.');
  const last = parts[parts.length - 1] ?? '0';
  parts[parts.length - 1] = incrementDecimal(last);
  return `${name.slice(0, name.length - whole.length)}${separator}${v}${parts.join('.')}`;
}

/** Adds one to a string of decimal digits of any length, keeping its width when it fits ("09" → "10", "99" → "100"). */
function incrementDecimal(digits: string): string {
  const out = digits.split('');
  for (let i = out.length - 1; i >= 0; i--) {
    if (out[i] !== '9') {
      out[i] = String(Number(out[i]) + 1);
      return out.join('');
    }
    out[i] = '0';
  }
  return `1${out.join('')}`;
}
