import { UsageError } from './io';

/*
 * Command-line arguments, parsed by hand (a handful of options needs no framework): `--name value`,
 * `--name=value`, flags without a value, and positionals. Anything unexpected is a UsageError that
 * says what was expected.
 */

export interface OptionSpec {
  /** `true`: `--name <value>`; `false`: a flag. */
  readonly takesValue: boolean;
}

export interface ParsedArgs {
  readonly options: ReadonlyMap<string, string | true>;
  readonly positionals: readonly string[];
}

export function parseArgs(
  argv: readonly string[],
  spec: Readonly<Record<string, OptionSpec>>,
  positionals: { readonly min: number; readonly max: number; readonly names: string } = { min: 0, max: 0, names: '' },
): ParsedArgs {
  const options = new Map<string, string | true>();
  const rest: string[] = [];
  const known = Object.keys(spec)
    .map((name) => `--${name}`)
    .join(', ');
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      rest.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--') || arg === '-') {
      if (arg.startsWith('-') && arg !== '-') throw new UsageError(`unknown option '${arg}' (expected ${known || 'no options'})`);
      rest.push(arg);
      continue;
    }
    const equals = arg.indexOf('=');
    const name = arg.slice(2, equals === -1 ? undefined : equals);
    const option = spec[name];
    if (!option) throw new UsageError(`unknown option '--${name}' (expected ${known || 'no options'})`);
    if (options.has(name)) throw new UsageError(`--${name} is given twice`);
    if (!option.takesValue) {
      if (equals !== -1) throw new UsageError(`--${name} takes no value, got '${arg.slice(equals + 1)}'`);
      options.set(name, true);
      continue;
    }
    let value: string | undefined;
    if (equals !== -1) value = arg.slice(equals + 1);
    else {
      value = argv[i + 1];
      if (value === undefined || value.startsWith('--')) throw new UsageError(`--${name} needs a value`);
      i += 1;
    }
    if (value === '') throw new UsageError(`--${name} needs a non-empty value`);
    options.set(name, value);
  }
  if (rest.length < positionals.min) throw new UsageError(`expected ${positionals.names}, got nothing`);
  if (rest.length > positionals.max) {
    throw new UsageError(
      positionals.max === 0
        ? `expected no arguments besides options, got '${rest.join(' ')}'`
        : `expected ${positionals.names}, got '${rest.join(' ')}'`,
    );
  }
  return { options, positionals: rest };
}

export function stringOption(args: ParsedArgs, name: string): string | undefined {
  const value = args.options.get(name);
  return typeof value === 'string' ? value : undefined;
}

export function positiveIntegerOption(args: ParsedArgs, name: string): number | undefined {
  const value = stringOption(args, name);
  if (value === undefined) return undefined;
  if (!/^[1-9]\d{0,15}$/u.test(value)) throw new UsageError(`--${name}: expected a positive integer, got '${value}'`);
  return Number(value);
}
