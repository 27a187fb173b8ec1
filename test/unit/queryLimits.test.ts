import { readFileSync } from 'node:fs';
import {
  buildSchema,
  getIntrospectionQuery,
  Kind,
  parse,
  specifiedRules,
  validate,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
} from 'graphql';
import { loadConfig } from '../../src/config';
import { checkDocumentSize } from '../../src/graphql/limits/documentSize';
import { measureOperation } from '../../src/graphql/limits/measure';
import { mutationFieldCount } from '../../src/graphql/limits/mutationFields';
import { parseOperationRequest } from '../../src/graphql/limits/requestInput';
import { complexityRule, operationShapeRule } from '../../src/graphql/limits/rules';
import { RateLimiter } from '../../src/server/rateLimit';

const schema = buildSchema(readFileSync('schema/schema.graphql', 'utf8'));
const limits = loadConfig({}).queryLimits;

function measure(query: string, variables: Record<string, unknown> = {}) {
  const document = parse(query, { maxTokens: 1_000_000 });
  const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const fragments = new Map(
    document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]),
  );
  if (!operation) throw new Error('no operation');
  return measureOperation(schema, operation, (name) => fragments.get(name), variables);
}

function limitErrors(query: string, variables: Record<string, unknown> = {}) {
  const document = parse(query, { maxTokens: 1_000_000 });
  return [
    ...validate(schema, document, [operationShapeRule(limits)]),
    ...validate(schema, document, [complexityRule(limits, variables)]),
  ].map((error) => ({ message: error.message, extensions: error.extensions }));
}

describe('measuring an operation', () => {
  it('counts depth, aliases and root fields with fragments expanded', () => {
    expect(measure('{ viewer { user { id } } a: serverInfo { version } ...F } fragment F on Query { b: viewer { roles } }')).toEqual({
      depth: 3,
      aliases: 2,
      rootFields: 3,
      complexity: expect.any(Number),
    });
  });

  it('multiplies a sub-selection by the page size asked for, literally or by a variable, and by 10 for an unpaged list', () => {
    const page = (first: string, variables = {}) =>
      measure(`query($n: Int = 7) { multiCloudImages(first: ${first}) { nodes { id } } }`, variables).complexity;
    // multiCloudImages 1 + first × (nodes 1 + id 1): `nodes` is not multiplied again.
    expect(page('20')).toBe(1 + 20 * 2);
    expect(page('$n', { n: 100 })).toBe(1 + 100 * 2);
    expect(page('$n')).toBe(1 + 7 * 2);
    expect(measure('{ multiCloudImages { nodes { id } } }').complexity).toBe(1 + 50 * 2);
    // Sizes the page-size check refuses count as its bound, so that check's clearer message wins.
    expect(page('100000')).toBe(1 + 500 * 2);
    expect(measure('{ clouds { images { id } } }').complexity).toBe(1 + 10 * (1 + 10 * 1));
  });

  it('measures fragments once each, so spreads of spreads cannot blow up the measuring', () => {
    const levels = 40;
    const fragments = Array.from(
      { length: levels },
      (_, i) => `fragment F${i} on Query { ${i === levels - 1 ? 'serverInfo { version }' : `...F${i + 1} ...F${i + 1}`} }`,
    );
    const measured = measure(`{ ...F0 } ${fragments.join(' ')}`);
    expect(measured.rootFields).toBe(2 ** (levels - 1));
    expect(measured.complexity).toBe(2 * 2 ** (levels - 1));
  });

  it('survives a fragment cycle (graphql-js refuses it; measuring adds nothing for the cycle)', () => {
    expect(measure('{ ...A } fragment A on Query { serverInfo { version } ...B } fragment B on Query { ...A }').rootFields).toBe(1);
  });

  it('lets the standard introspection query through with the default limits', () => {
    const query = getIntrospectionQuery({
      descriptions: true,
      specifiedByUrl: true,
      directiveIsRepeatable: true,
      schemaDescription: true,
      inputValueDeprecation: true,
      oneOf: true,
    });
    expect(validate(schema, parse(query), [...specifiedRules, operationShapeRule(limits), complexityRule(limits)])).toEqual([]);
  });

  it('refuses deeper introspection by the same limits', () => {
    const deep = `{ __schema { types { ${'fields { type { '.repeat(10)}name${' } }'.repeat(10)} } } }`;
    expect(limitErrors(deep)).toEqual([
      expect.objectContaining({
        extensions: expect.objectContaining({ code: 'QUERY_TOO_COMPLEX', limit: 'depth', maximum: 20, measured: 23 }),
      }),
      expect.objectContaining({ extensions: expect.objectContaining({ code: 'QUERY_TOO_COMPLEX', limit: 'complexity' }) }),
    ]);
  });
});

describe('the limit rules', () => {
  it('refuse too deep, too many root fields, too many aliases, too complex, each saying what and how much', () => {
    expect(limitErrors(`{ ${'viewer { user { id } } '.repeat(31)} }`)).toEqual([
      {
        message: 'query too complex: top-level fields (aliases included): expected at most 30, got 31',
        extensions: { code: 'QUERY_TOO_COMPLEX', limit: 'rootFields', measured: 31, maximum: 30 },
      },
    ]);
    const aliased = Array.from({ length: 101 }, (_, i) => `a${i}: id`).join(' ');
    expect(limitErrors(`{ viewer { user { ${aliased} } } }`)).toEqual([
      {
        message: 'query too complex: aliased fields (fragments expanded): expected at most 100, got 101',
        extensions: { code: 'QUERY_TOO_COMPLEX', limit: 'aliases', measured: 101, maximum: 100 },
      },
    ]);
    const heavy = 'query($n: Int) { multiCloudImages(first: $n) { nodes { settings { cloud { images { id name os } } } } } }';
    // 1 + n × (nodes 1 + settings (1 + 10 × (cloud 1 + images (1 + 10 × 3))))
    expect(limitErrors(heavy, { n: 500 })).toEqual([
      {
        message:
          'query too complex: fields it may resolve (each field 1, its sub-selection times its page size `first`): expected at most 100000, got 161001',
        extensions: { code: 'QUERY_TOO_COMPLEX', limit: 'complexity', measured: 161_001, maximum: 100_000 },
      },
    ]);
    expect(limitErrors(heavy, { n: 300 })).toEqual([]);
  });
});

describe('the document size check before parsing', () => {
  it('refuses more tokens than allowed, and nesting that would overflow the parser, with QUERY_TOO_COMPLEX', () => {
    expect(checkDocumentSize(`{ ${'serverInfo { version } '.repeat(2_500)} }`, limits)).toMatchObject({
      message: 'query too complex: tokens in the document (counted until one over the limit): expected at most 10000, got 10001',
      extensions: { code: 'QUERY_TOO_COMPLEX', limit: 'tokens', measured: 10_001, maximum: 10_000 },
    });
    expect(checkDocumentSize(`{ ${'viewer { '.repeat(3_000)}`, limits)).toMatchObject({
      extensions: { code: 'QUERY_TOO_COMPLEX', limit: 'nesting', measured: 81, maximum: 80 },
    });
    expect(checkDocumentSize(`{ multiCloudImages(filter: ${'['.repeat(5_000)}) }`, limits)).toMatchObject({
      extensions: { limit: 'nesting' },
    });
  });

  it('leaves a lexically invalid document to the parser, which says where', () => {
    expect(checkDocumentSize('{ serverInfo ¤ }', limits)).toBeUndefined();
    expect(checkDocumentSize('{ serverInfo { version } }', limits)).toBeUndefined();
  });
});

describe('the request members', () => {
  it.each([
    [
      [{ query: '{ a }' }],
      'BATCHING_NOT_SUPPORTED',
      'request body: expected one operation as a JSON object {"query": "…"}, got an array of 1',
    ],
    ['text', 'INVALID_REQUEST', 'request body: expected a JSON object {"query": "…"}, got a string'],
    [null, 'INVALID_REQUEST', 'request body: expected a JSON object {"query": "…"}, got null'],
    [{}, 'MISSING_QUERY', 'query: expected a non-empty string holding a GraphQL document, got nothing'],
    [{ query: '  ' }, 'MISSING_QUERY', 'query: expected a non-empty string holding a GraphQL document, got an empty string'],
    [{ query: 42 }, 'MISSING_QUERY', 'query: expected a non-empty string holding a GraphQL document, got a number'],
    [{ query: '{ a }', operationName: 1 }, 'INVALID_REQUEST', 'operationName: expected a string or null, got a number'],
    [{ query: '{ a }', variables: [1] }, 'INVALID_REQUEST', 'variables: expected a JSON object or null, got an array'],
    [{ query: '{ a }', variables: 'x' }, 'INVALID_REQUEST', 'variables: expected a JSON object or null, got a string'],
  ])('refuses %j with BAD_USER_INPUT (%s)', (body, reason, message) => {
    const refused = parseOperationRequest(body);
    expect(refused).toMatchObject({ message: expect.stringContaining(message), extensions: { code: 'BAD_USER_INPUT', reason } });
  });

  it('refuses lone surrogates wherever they are, naming the place, and keeps NUL, RTL marks and emoji as they are', () => {
    expect(parseOperationRequest({ query: '{ a }', variables: { input: { names: ['ok', 'x\ud800y'] } } })).toMatchObject({
      message: expect.stringMatching(
        /^variables\.input\.names\[1\]: expected well-formed Unicode text, got a lone surrogate U\+D800 at character 2/,
      ),
      extensions: { code: 'BAD_USER_INPUT', reason: 'MALFORMED_TEXT' },
    });
    expect(parseOperationRequest({ query: '{ a(x: "\udfff") }' })).toMatchObject({ extensions: { reason: 'MALFORMED_TEXT' } });
    expect(parseOperationRequest({ query: '{ a }', variables: { ['k\udc00']: 1 } })).toMatchObject({
      extensions: { reason: 'MALFORMED_TEXT' },
    });
    const fine = { query: '{ a }', variables: { name: 'nul\u0000 rtl\u202e עברית 🚀 e\u0301' } };
    expect(parseOperationRequest(fine)).toEqual({ query: '{ a }', operationName: undefined, variables: fine.variables });
  });

  it('refuses variables nested deeper than 32 without recursing', () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(parseOperationRequest({ query: '{ a }', variables: { deep } })).toMatchObject({
      message:
        'variables.deep[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]: expected values nested at most 32 deep, got deeper',
      extensions: { code: 'BAD_USER_INPUT' },
    });
  });
});

describe('counting the mutations an operation runs', () => {
  const count = (query: string, variables: Record<string, unknown> = {}) => {
    const document = parse(query);
    const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
    if (!operation) throw new Error('no operation');
    return mutationFieldCount(document, operation, variables);
  };

  it('counts each top-level mutation field, aliases and fragments included, skip/include honoured, __typename not', () => {
    expect(count('mutation { a: createDeployment(name: "a") { id } b: createDeployment(name: "b") { id } __typename }')).toBe(2);
    expect(
      count(
        'mutation { ...M ... on Mutation { c: createDeployment(name: "c") { id } } } fragment M on Mutation { createDeployment(name: "m") { id } }',
      ),
    ).toBe(2);
    expect(
      count(
        'mutation($no: Boolean!) { a: createDeployment(name: "a") @skip(if: true) { id } b: createDeployment(name: "b") @include(if: $no) { id } c: createDeployment(name: "c") { id } }',
        { no: false },
      ),
    ).toBe(1);
    expect(count('{ viewer { roles } }')).toBe(0);
  });
});

describe('the rate limiter', () => {
  function limiter(perMinute: number, burst: number, options: { sweepAt?: number; maxBuckets?: number } = {}) {
    const clock = { now: 0 };
    return { clock, limiter: new RateLimiter({ perMinute, burst }, { now: () => clock.now, ...options }) };
  }

  it('grants a burst, then refills at the rate, all or nothing per request', () => {
    const { clock, limiter: rate } = limiter(60, 3);
    expect(rate.take('t', 2)).toEqual({ allowed: true });
    expect(rate.take('t', 2)).toEqual({ allowed: false, retryAfterSeconds: 1, available: 1 });
    expect(rate.take('t', 1)).toEqual({ allowed: true });
    expect(rate.take('t', 1)).toEqual({ allowed: false, retryAfterSeconds: 1, available: 0 });
    clock.now += 1_000;
    expect(rate.take('t', 1)).toEqual({ allowed: true });
    clock.now += 60_000;
    expect(rate.take('t', 3)).toEqual({ allowed: true });
    expect(rate.take('other', 3)).toEqual({ allowed: true });
  });

  it('says waiting cannot help when a request needs more than a full bucket', () => {
    const { limiter: rate } = limiter(60, 3);
    expect(rate.take('t', 4)).toEqual({ allowed: false, retryAfterSeconds: undefined, available: 3 });
  });

  it('rounds the wait up to whole seconds', () => {
    const { clock, limiter: rate } = limiter(600, 1);
    rate.take('t', 1);
    clock.now += 10;
    expect(rate.take('t', 1)).toEqual({ allowed: false, retryAfterSeconds: 1, available: 0 });
    const slow = limiter(1, 1);
    slow.limiter.take('t', 1);
    expect(slow.limiter.take('t', 1)).toEqual({ allowed: false, retryAfterSeconds: 60, available: 0 });
  });

  it('is off at 0 a minute', () => {
    const { limiter: rate } = limiter(0, 1);
    for (let i = 0; i < 100; i++) expect(rate.take('t', 5)).toEqual({ allowed: true });
    expect(rate.size).toBe(0);
  });

  it('keeps memory bounded: full buckets are forgotten, then the least recently used past the bound', () => {
    const { clock, limiter: rate } = limiter(60, 2, { sweepAt: 10, maxBuckets: 20 });
    for (let i = 0; i < 10; i++) rate.take(`idle-${i}`, 1);
    clock.now += 2_000;
    rate.take('new', 1);
    expect(rate.size).toBe(1);
    for (let i = 0; i < 100; i++) rate.take(`busy-${i}`, 1);
    expect(rate.size).toBeLessThanOrEqual(20);
    // A busy token evicted early starts again with a full bucket: lenient, never stricter.
    expect(rate.take('busy-99', 1)).toEqual({ allowed: true });
  });
});
