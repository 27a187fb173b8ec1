import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import {
  buildSchema,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  isUnionType,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLNamedType,
  type GraphQLSchema,
} from 'graphql';
import { ErrorCode } from '../../src/domain/errors';
import { ok } from '../support/api';
import { ADMIN, graphql, startTestService, type TestService } from '../support/service';
import { createMci, createTemplate, EAST } from './serverTemplatesFixtures';

/*
 * A fuzzer against the real HTTP server on loopback. It sends arbitrary bodies, content types and
 * methods, and operations built from the schema's own grammar (every query and mutation, arguments
 * and variables of the right and of the wrong types, aliases, fragments, directives, nesting) with
 * hostile text: lone surrogates, NUL, right-to-left marks, emoji, huge strings. Each answer must be
 * a JSON GraphQL-style body, status < 500, every error coded from the contract (never a masked
 * internal error), and arrive before the request's own timeout (a hang fails; speed is not measured).
 * The seed is fixed; FUZZ_SEED and FUZZ_RUNS explore further. fast-check prints the seed and the
 * shrunk request of a failure.
 */

const SEED = Number(process.env['FUZZ_SEED'] ?? 20_240_611);
const RUNS = Number(process.env['FUZZ_RUNS'] ?? 300);
const REQUEST_TIMEOUT_MS = 15_000;
/** What a client may be told: design.md's codes. INTERNAL_SERVER_ERROR (a masked bug) is not among them. */
const CONTRACT_CODES = new Set<string>(Object.values(ErrorCode).filter((code) => code !== ErrorCode.INTERNAL_SERVER_ERROR));

const schema: GraphQLSchema = buildSchema(readFileSync('schema/schema.graphql', 'utf8'));

interface FuzzRequest {
  readonly method: 'POST' | 'GET' | 'PUT';
  readonly contentType: string | undefined;
  readonly body: string | undefined;
  readonly search?: string;
  /** For the failure report: what the body was built from. */
  readonly note: string;
}

// ---- text: the strings every string input gets ----
const edgeCharacter = fc.constantFrom(
  '\u0000',
  '\ud800',
  '\udfff',
  '\u202e',
  '\u200f',
  '\u2066',
  '🚀',
  '👩‍👩‍👧',
  'e\u0301',
  '\ufeff',
  '"',
  '\\',
  '\n',
  '{',
  '$',
  '漢',
  'ß',
  '%',
);
const text = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: fc.oneof(edgeCharacter, fc.string({ minLength: 1, maxLength: 1 })), maxLength: 12 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', 'x'.repeat(255), 'x'.repeat(256), '€'.repeat(6_000), 'y'.repeat(70_000)) },
);

// ---- values of the schema's input types, right and wrong ----
function valueOf(type: GraphQLInputType, ids: readonly string[], depth = 0): fc.Arbitrary<unknown> {
  const junk = fc.oneof(fc.constant(null), fc.integer(), text, fc.boolean(), fc.constant({}), fc.constant([]));
  const right = (): fc.Arbitrary<unknown> => {
    if (isNonNullType(type)) return valueOf(type.ofType, ids, depth);
    if (isListType(type)) return fc.array(valueOf(type.ofType, ids, depth + 1), { maxLength: depth > 1 ? 1 : 3 });
    if (isEnumType(type)) return fc.constantFrom(...type.getValues().map((value) => value.name));
    if (isInputObjectType(type)) {
      if (depth > 3) return fc.constant({});
      const fields = Object.values(type.getFields());
      return fc.record(Object.fromEntries(fields.map((field) => [field.name, valueOf(field.type, ids, depth + 1)])), {
        requiredKeys: fields.filter((field) => isNonNullType(field.type)).map((field) => field.name),
      });
    }
    switch (type.name) {
      case 'Int':
        return fc.oneof(fc.integer({ min: -2, max: 600 }), fc.constantFrom(2 ** 31 - 1, -(2 ** 31), 0));
      case 'Float':
        return fc.double({ noNaN: true });
      case 'Boolean':
        return fc.boolean();
      case 'ID':
        return fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...ids) }, { weight: 1, arbitrary: text });
      case 'DateTime':
        return fc.oneof(
          fc.date({ noInvalidDate: true }).map((date) => date.toISOString()),
          text,
        );
      case 'JSON':
        return fc.jsonValue({ maxDepth: 2 });
      default:
        return text;
    }
  };
  return fc.oneof({ weight: 24, arbitrary: right() }, { weight: 1, arbitrary: junk });
}

// ---- operations built from the schema ----
/** Present about one time in eight: most generated documents should be valid, to reach the resolvers. */
function rarely<T>(arbitrary: fc.Arbitrary<T>): fc.Arbitrary<T | null> {
  return fc.oneof({ weight: 7, arbitrary: fc.constant(null) }, { weight: 1, arbitrary });
}

function selectionOf(type: GraphQLNamedType, depth: number): fc.Arbitrary<string> {
  if (isScalarType(type) || isEnumType(type)) return fc.constant('');
  if (isUnionType(type) || isInterfaceType(type) || depth <= 0) return fc.constant('{ __typename }');
  if (!isObjectType(type)) return fc.constant('');
  const fields = Object.values(type.getFields());
  return fc
    .subarray(fields, { minLength: 1, maxLength: Math.min(3, fields.length) })
    .chain((chosen) => fc.tuple(...chosen.map((field) => fieldOf(field, depth - 1))))
    .map((parts) => `{ ${parts.join(' ')} }`);
}

function fieldOf(field: GraphQLField<unknown, unknown>, depth: number): fc.Arbitrary<string> {
  const args = field.args.filter((arg) => isNonNullType(arg.type) || arg.name === 'first' || arg.name === 'revision');
  return fc
    .tuple(
      rarely(fc.constantFrom('a', 'b', 'x1')),
      fc.tuple(...args.map((arg) => literalOf(arg.type).map((value) => `${arg.name}: ${value}`))),
      selectionOf(getNamedType(field.type), depth),
      rarely(fc.constantFrom('@include(if: true)', '@skip(if: false)', '@skip(if: true)', '@deprecated')),
    )
    .map(([alias, values, selection, directive]) => {
      const name = alias ? `${alias}: ${field.name}` : field.name;
      return `${name}${values.length ? `(${values.join(', ')})` : ''}${directive ? ` ${directive}` : ''} ${selection}`;
    });
}

/** Nested arguments (`first`, `revision`, …) as literals, so the document itself carries odd values too. */
function literalOf(type: GraphQLInputType): fc.Arbitrary<string> {
  const named = getNamedType(type);
  if (named.name === 'Int') return fc.oneof(fc.integer({ min: -1, max: 600 }), fc.constant(99_999_999_999)).map(String);
  if (isEnumType(named)) return fc.constantFrom(...named.getValues().map((value) => value.name));
  return text.map((value) => JSON.stringify(value));
}

/** One root operation: its arguments sent as variables of their declared types (values right or wrong). */
function operationOf(
  kind: 'query' | 'mutation',
  ids: readonly string[],
): fc.Arbitrary<{ query: string; variables: Record<string, unknown> }> {
  const root = kind === 'query' ? schema.getQueryType() : schema.getMutationType();
  const fields = Object.values(root?.getFields() ?? {});
  return fc.constantFrom(...fields).chain((field) =>
    fc
      .tuple(
        fc.record(Object.fromEntries(field.args.map((arg) => [arg.name, valueOf(arg.type, ids)])), { requiredKeys: [] }),
        selectionOf(getNamedType(field.type), 2),
        rarely(fc.constantFrom('a', 'b')),
      )
      .map(([variables, selection, alias]) => {
        const definitions = field.args.map((arg) => `$${arg.name}: ${arg.type.toString()}`).join(', ');
        const args = field.args.map((arg) => `${arg.name}: $${arg.name}`).join(', ');
        const head = definitions ? `${kind}(${definitions})` : kind;
        return {
          query: `${head} { ${alias ? `${alias}: ` : ''}${field.name}${args ? `(${args})` : ''} ${selection} }`,
          variables,
        };
      }),
  );
}

// ---- the hostile shapes of issue 8, by hand ----
const attacks: readonly string[] = [
  `{ ${'viewer { '.repeat(3_000)}${'} '.repeat(3_000)}}`,
  `{ ${'serverInfo { version } '.repeat(3_000)} }`,
  `{ ${Array.from({ length: 500 }, (_, i) => `a${i}: serverInfo { version }`).join(' ')} }`,
  `mutation { ${Array.from({ length: 40 }, (_, i) => `d${i}: createDeployment(name: "d${i}") { id }`).join(' ')} }`,
  '{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }',
  `{ ...F0 } ${Array.from({ length: 30 }, (_, i) => `fragment F${i} on Query { ${i === 29 ? 'serverInfo { version }' : `...F${i + 1} ...F${i + 1}`} }`).join(' ')}`,
  `{ serverInfo ${'@include(if: true) '.repeat(1_000)} { version } }`,
  `{ __schema { types { ${'fields { type { '.repeat(12)}name${' } }'.repeat(12)} } } }`,
  `{ ${Array.from({ length: 30 }, (_, i) => `s${i}: __schema { types { name fields { name args { name } } } }`).join(' ')} }`,
  '{ multiCloudImages(first: 500) { nodes { settings { cloud { images { id name os osVersion } } } } } }',
  '{ multiCloudImages(first: 501) { totalCount } }',
  '{ multiCloudImages(first: -1) { totalCount } }',
  'subscription { events { id } }',
  'query A { serverInfo { version } } query B { viewer { roles } }',
  '{ serverInfo { version } } }',
  '{ "\\ud800" }',
  '{ multiCloudImage(id: "\\u0000") { id } }',
];

/** fast-check prints a counterexample with this: cut, so a failure report stays readable. */
function printable(request: FuzzRequest): FuzzRequest {
  return Object.assign(request, { [fc.toStringMethod]: () => describeRequest(request) });
}

function requests(ids: readonly string[]): fc.Arbitrary<FuzzRequest> {
  return anyRequest(ids).map(printable);
}

function anyRequest(ids: readonly string[]): fc.Arbitrary<FuzzRequest> {
  const json = (note: string, value: unknown): FuzzRequest => ({
    method: 'POST',
    contentType: 'application/json',
    body: JSON.stringify(value),
    note,
  });
  const operation = fc.oneof(operationOf('query', ids), operationOf('mutation', ids));
  const contentType = fc.constantFrom(
    'application/json',
    'application/json; charset=utf-8',
    'application/json; charset=latin1',
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/graphql',
    undefined,
  );
  return fc.oneof(
    { weight: 10, arbitrary: operation.map((op) => json('schema operation', op)) },
    { weight: 2, arbitrary: fc.constantFrom(...attacks).map((query) => json('attack', { query })) },
    {
      weight: 1,
      arbitrary: fc
        .record(
          {
            query: fc.oneof(text, fc.constantFrom('{ serverInfo { version } }')),
            variables: fc.jsonValue({ maxDepth: 3 }),
            operationName: fc.jsonValue({ maxDepth: 1 }),
          },
          { requiredKeys: [] },
        )
        .map((body) => json('odd members', body)),
    },
    { weight: 1, arbitrary: fc.array(operation, { maxLength: 3 }).map((ops) => json('batch', ops)) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((value) => json('any JSON', value)) },
    {
      weight: 1,
      arbitrary: fc
        .string({ unit: 'binary', maxLength: 60 })
        .map((body): FuzzRequest => ({ method: 'POST', contentType: 'application/json', body, note: 'not JSON' })),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(operation, fc.nat(), contentType).map(([op, cut, type]): FuzzRequest => {
        const body = JSON.stringify(op);
        return { method: 'POST', contentType: type, body: body.slice(0, cut % (body.length + 1)), note: 'cut or mistyped body' };
      }),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(operation, fc.constantFrom<'GET' | 'PUT'>('GET', 'PUT')).map(([op, method]): FuzzRequest => ({
        method,
        contentType: method === 'GET' ? 'application/json' : undefined,
        body: undefined,
        search: new URLSearchParams({ query: op.query, variables: JSON.stringify(op.variables) }).toString(),
        note: `${method} with a query string`,
      })),
    },
    {
      weight: 1,
      arbitrary: fc.constant(
        json('body over MAX_BODY_BYTES', { query: '{ serverInfo { version } }', variables: { pad: 'x'.repeat(1_100_000) } }),
      ),
    },
  );
}

async function send(url: string, request: FuzzRequest): Promise<{ status: number; body: unknown; text: string }> {
  const response = await fetch(`${url}/graphql${request.search ? `?${request.search}` : ''}`, {
    method: request.method,
    headers: { ...ADMIN, accept: 'application/json', ...(request.contentType ? { 'content-type': request.contentType } : {}) },
    ...(request.body !== undefined ? { body: request.body } : {}),
    // A hang fails the run: this bounds each request, it does not time how fast the server is.
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const textBody = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(textBody);
  } catch {
    body = undefined;
  }
  return { status: response.status, body, text: textBody };
}

const shown = (value: string | undefined) =>
  value === undefined ? '(none)' : value.length > 600 ? `${value.slice(0, 600)}… (${value.length} chars)` : value;

function describeRequest(request: FuzzRequest): string {
  return `${request.note}: ${request.method} ${request.contentType ?? '(no content-type)'} search=${shown(request.search)} body=${shown(request.body)}`;
}

function describeFailure(request: FuzzRequest, answer: { status: number; text: string }, what: string): string {
  return `${what}\n  request ${describeRequest(request)}\n  answer ${answer.status}: ${shown(answer.text)}`;
}

/** How the answers spread over statuses and codes (FUZZ_STATS=1 prints it): is the fuzzer reaching the resolvers? */
const outcomes: Record<string, number> = {};
function tally(answer: { status: number; body: unknown }): void {
  const { data, errors } = (answer.body ?? {}) as { data?: unknown; errors?: Array<{ extensions?: { code?: unknown } }> };
  const first = errors?.[0] as { message?: string; extensions?: { code?: unknown; reason?: unknown } } | undefined;
  const reason =
    process.env['FUZZ_STATS'] === 'messages'
      ? ` ${first?.message?.slice(0, 50)}`
      : first?.extensions?.reason
        ? ` ${String(first.extensions.reason)}`
        : '';
  const key = `${answer.status} ${errors ? `${String(first?.extensions?.code)}${reason}` : data ? 'data' : '?'}`;
  outcomes[key] = (outcomes[key] ?? 0) + 1;
}

describe('fuzzing the HTTP API', () => {
  let service: TestService;
  let ids: string[];
  beforeAll(async () => {
    // The production default rate limit, so RATE_LIMITED is among the answers a fuzzed mutation may get.
    service = await startTestService({ RATE_LIMIT_MUTATIONS_PER_MINUTE: '600', RATE_LIMIT_MUTATIONS_BURST: '100' });
    const mci = await createMci(service.url, 'Fuzzed MCI', [EAST], { commit: true });
    const template = await createTemplate(service.url, 'Fuzzed template', mci);
    const { createDeployment } = await ok<{ createDeployment: { id: string } }>(
      service.url,
      'mutation { createDeployment(name: "Fuzzed") { id } }',
    );
    const { createRightScript } = await ok<{ createRightScript: { id: string } }>(
      service.url,
      'mutation { createRightScript(input: { name: "Fuzzed" }) { id } }',
    );
    const { viewer } = await ok<{ viewer: { user: { id: string }; account: { id: string } } }>(
      service.url,
      '{ viewer { user { id } account { id } } }',
    );
    ids = [mci, template.id, createDeployment.id, createRightScript.id, viewer.user.id, viewer.account.id, EAST, `${EAST}/large`, 'nope'];
  });
  afterAll(() => service.stop());

  it(`answers every request with a coded JSON error or data, never a 5xx or a hang (seed ${SEED}, ${RUNS} runs)`, async () => {
    await fc.assert(
      fc.asyncProperty(requests(ids), async (request) => {
        const answer = await send(service.url, request);
        tally(answer);
        const fail = (what: string) => {
          throw new Error(describeFailure(request, answer, what));
        };
        if (answer.status >= 500) fail(`status ${answer.status}`);
        if (typeof answer.body !== 'object' || answer.body === null || Array.isArray(answer.body)) fail('the answer is not a JSON object');
        const { data, errors } = answer.body as { data?: unknown; errors?: unknown };
        if (data === undefined && errors === undefined) fail('the answer has neither data nor errors');
        if (errors !== undefined) {
          if (!Array.isArray(errors) || errors.length === 0) fail('errors is not a non-empty array');
          for (const error of errors as Array<{ message?: unknown; extensions?: { code?: unknown } }>) {
            if (typeof error.message !== 'string' || error.message === '') fail('an error without a message');
            if (!CONTRACT_CODES.has(String(error.extensions?.code)))
              fail(`an error coded ${String(error.extensions?.code)}, not from the contract`);
          }
          if (answer.status === 200 && data === undefined) fail('a refusal answered 200');
        }
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
    if (process.env['FUZZ_STATS'])
      console.log(
        Object.entries(outcomes)
          .sort(([, a], [, b]) => b - a)
          .map(([key, count]) => `${count} ${key}`)
          .join('\n'),
      );
    // Still serving afterwards.
    const info = await graphql<{ serverInfo: { eventStore: string } }>(service.url, '{ serverInfo { eventStore } }', undefined, ADMIN);
    expect(info.body.data?.serverInfo.eventStore).toBe('sqlite');
  });
});
