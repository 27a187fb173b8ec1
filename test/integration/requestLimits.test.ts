import { buildSchema, getIntrospectionQuery, getNamedType, isNonNullType, isInputObjectType, type GraphQLField } from 'graphql';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import type { Client } from 'graphql-ws';
import WebSocket from 'ws';
import { STARTER_IMAGE_NAMES, starterImageId, starterInstanceTypeId } from '../../src/application/starterCatalog';
import { fails, ok } from '../support/api';
import { ADMIN, graphql, startTestService, TEST_ADMIN_TOKEN, type TestService } from '../support/service';
import { withTimeout } from '../support/async';
import { socketClient, socketUrl } from '../support/ws';
import { createMci, createTemplate, EAST } from './serverTemplatesFixtures';

/*
 * Bad input over real HTTP and WebSocket: every refusal is a JSON GraphQL-style error with a code
 * from the contract and a message saying what was expected and what arrived, and writes nothing.
 */

type Body = { data?: unknown; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> };

let service: TestService;
beforeAll(async () => {
  service = await startTestService();
});
afterAll(() => service.stop());

async function post(body: string | Uint8Array, headers: Record<string, string> = { 'content-type': 'application/json' }) {
  const response = await fetch(`${service.url}/graphql`, { method: 'POST', headers: { ...ADMIN, ...headers }, body });
  return { status: response.status, body: (await response.json()) as Body, headers: response.headers };
}

/** Runs `act` and expects the event store not to have moved: a refusal writes nothing. */
async function writesNothing<T>(act: () => Promise<T>): Promise<T> {
  const before = await service.services.store.headPosition();
  const result = await act();
  expect(await service.services.store.headPosition()).toEqual(before);
  return result;
}

const firstError = (body: Body) => body.errors?.[0];

describe('requests that are not a GraphQL operation', () => {
  it.each([
    [
      'malformed JSON',
      '{"query": "{ serverInfo { version } }"',
      400,
      'INVALID_JSON',
      /^request body: expected JSON, got text that does not parse: /,
    ],
    ['an empty body', '', 400, 'EMPTY_BODY', /^request body: expected a JSON object \{"query": "…"\}, got an empty body$/],
    [
      'a JSON array (batched operations)',
      JSON.stringify([{ query: '{ serverInfo { version } }' }, { query: '{ viewer { roles } }' }]),
      400,
      'BATCHING_NOT_SUPPORTED',
      /^request body: expected one operation as a JSON object \{"query": "…"\}, got an array of 2 \(batched operations are not supported: send them one by one\)$/,
    ],
    [
      'a JSON string',
      '"{ serverInfo { version } }"',
      400,
      'INVALID_REQUEST',
      /^request body: expected a JSON object \{"query": "…"\}, got a string$/,
    ],
    ['no query', '{"variables": {}}', 400, 'MISSING_QUERY', /^query: expected a non-empty string holding a GraphQL document, got nothing$/],
    ['a query that is not a string', '{"query": {"a": 1}}', 400, 'MISSING_QUERY', /got a object$/],
    [
      'variables that are not an object',
      '{"query": "{ serverInfo { version } }", "variables": [1]}',
      400,
      'INVALID_REQUEST',
      /^variables: expected a JSON object or null, got an array$/,
    ],
  ])('answers %s with a 4xx BAD_USER_INPUT', async (_what, body, status, reason, message) => {
    const response = await writesNothing(() => post(body));
    expect(response.status).toBe(status);
    expect(response.body).toEqual({
      errors: [{ message: expect.stringMatching(message), extensions: { code: 'BAD_USER_INPUT', reason } }],
    });
  });

  it('answers a body that is not JSON by its content type with 415, naming the type that arrived', async () => {
    const response = await post('query { serverInfo { version } }', { 'content-type': 'text/plain' });
    expect(response.status).toBe(415);
    expect(response.body).toEqual({
      errors: [
        {
          message: "content-type: expected application/json, got 'text/plain'",
          extensions: { code: 'BAD_USER_INPUT', reason: 'UNSUPPORTED_MEDIA_TYPE' },
        },
      ],
    });
    const none = await post('{}', {});
    expect(none.status).toBe(415);
  });

  it('answers a URL or headers over 16 KiB with a JSON 431, before any route', async () => {
    const response = await fetch(`${service.url}/graphql?query=${'x'.repeat(20_000)}`, { headers: ADMIN });
    expect(response.status).toBe(431);
    expect(await response.json()).toEqual({
      errors: [
        {
          message: 'request headers and URL: expected at most 16 KiB, got more (send the operation in a POST body)',
          extensions: { code: 'BAD_USER_INPUT', reason: 'HEADERS_TOO_LARGE' },
        },
      ],
    });
  });

  it('answers other methods than GET and POST with a JSON 405', async () => {
    const response = await fetch(`${service.url}/graphql`, { method: 'PUT', headers: ADMIN, body: '{}' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, POST');
    expect(await response.json()).toEqual({
      errors: [
        {
          message: 'method: expected POST (or GET for a query), got PUT',
          extensions: { code: 'BAD_USER_INPUT', reason: 'METHOD_NOT_ALLOWED' },
        },
      ],
    });
  });

  it('serves a query over GET with the same checks', async () => {
    const get = (search: string) =>
      fetch(`${service.url}/graphql?${search}`, { headers: { ...ADMIN, 'apollo-require-preflight': 'true' } });
    const served = await get(new URLSearchParams({ query: '{ serverInfo { eventStore } }' }).toString());
    expect(await served.json()).toEqual({ data: { serverInfo: { eventStore: 'sqlite' } } });
    const malformed = await get(new URLSearchParams({ query: '{ serverInfo { eventStore } }', variables: '{"a": "\\udc00"}' }).toString());
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ errors: [{ extensions: { code: 'BAD_USER_INPUT', reason: 'MALFORMED_TEXT' } }] });
  });

  it('answers an automatic persisted query lookup the way APQ clients expect', async () => {
    const response = await post(JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: 'a'.repeat(64) } } }));
    expect(firstError(response.body)?.extensions?.['code']).toBe('PERSISTED_QUERY_NOT_FOUND');
  });

  it('measures a compressed body after inflating it: a gzip bomb is refused with 413', async () => {
    const bomb = gzipSync(JSON.stringify({ query: '{ serverInfo { version } }', variables: { pad: '0'.repeat(4 * 1024 * 1024) } }));
    expect(bomb.length).toBeLessThan(16 * 1024);
    const response = await post(bomb, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    expect(response.status).toBe(413);
    expect(firstError(response.body)?.extensions).toEqual({ code: 'BAD_USER_INPUT', reason: 'BODY_TOO_LARGE' });
    const unknown = await post('{}', { 'content-type': 'application/json', 'content-encoding': 'zstd-ish' });
    expect(unknown.status).toBe(415);
    expect(firstError(unknown.body)?.extensions).toEqual({ code: 'BAD_USER_INPUT', reason: 'UNSUPPORTED_MEDIA_TYPE' });
  });

  it('refuses a body over MAX_BODY_BYTES with 413 and writes nothing', async () => {
    const name = 'x'.repeat(1024 * 1024);
    const response = await writesNothing(() =>
      post(JSON.stringify({ query: 'mutation($name: String!) { createDeployment(name: $name) { id } }', variables: { name } })),
    );
    expect(response.status).toBe(413);
    expect(response.body).toEqual({
      errors: [
        {
          message: 'request body: expected at most 1048576 bytes, got more',
          extensions: { code: 'BAD_USER_INPUT', reason: 'BODY_TOO_LARGE' },
        },
      ],
    });
  });

  it('answers invalid GraphQL, unknown fields, unknown operations and wrong variable types with 400 BAD_USER_INPUT', async () => {
    const syntax = await graphql(service.url, '{ serverInfo { ', undefined, ADMIN);
    expect(syntax.status).toBe(400);
    expect(firstError(syntax.body)).toEqual({
      message: 'Syntax Error: Expected Name, found <EOF>.',
      locations: [{ line: 1, column: 16 }],
      extensions: { code: 'BAD_USER_INPUT', reason: 'GRAPHQL_PARSE_FAILED' },
    });
    const unknown = await graphql(service.url, '{ serverInfo { nope } }', undefined, ADMIN);
    expect(unknown.status).toBe(400);
    expect(firstError(unknown.body)).toMatchObject({
      message: 'Cannot query field "nope" on type "ServerInfo".',
      extensions: { code: 'BAD_USER_INPUT', reason: 'GRAPHQL_VALIDATION_FAILED' },
    });
    const operation = await post(JSON.stringify({ query: 'query A { serverInfo { version } }', operationName: 'B' }));
    expect(operation.status).toBe(400);
    expect(firstError(operation.body)).toEqual({
      message: 'Unknown operation named "B".',
      extensions: { code: 'BAD_USER_INPUT', reason: 'OPERATION_RESOLUTION_FAILURE' },
    });
    const variable = await writesNothing(() =>
      graphql(service.url, 'mutation($name: String!) { createDeployment(name: $name) { id } }', { name: 42 }, ADMIN),
    );
    expect(variable.status).toBe(400);
    expect(firstError(variable.body)).toMatchObject({
      message: 'Variable "$name" got invalid value 42; String cannot represent a non string value: 42',
      extensions: { code: 'BAD_USER_INPUT' },
    });
  });

  it('answers an unknown id with NOT_FOUND, whatever characters it holds', async () => {
    for (const id of ['nope', '', '💥', '\u202e', 'x'.repeat(10_000)]) {
      const error = await fails(service.url, 'query($id: ID!) { multiCloudImage(id: $id) { id } }', { id });
      expect([error.code, error.message]).toEqual([expect.stringMatching(/^(NOT_FOUND|BAD_USER_INPUT)$/), expect.any(String)]);
    }
  });
});

describe('query limits (defaults: depth 20, complexity 100,000, 100 aliases, 30 root fields, 10,000 tokens)', () => {
  const tooComplex = (limit: string, measured: number, maximum: number) => ({
    message: expect.stringMatching(new RegExp(`^query too complex: .*: expected at most ${maximum}, got ${measured}$`)),
    extensions: { code: 'QUERY_TOO_COMPLEX', limit, measured, maximum },
  });

  it('refuses a query nested deeper than MAX_QUERY_DEPTH, fragments expanded', async () => {
    const deep = `{ ...A } fragment A on Query { ${'viewer { user { id } } serverInfo { version } '} __schema { types { ${'fields { type { '.repeat(9)}name${' } }'.repeat(9)} } } }`;
    const response = await graphql(service.url, deep, undefined, ADMIN);
    expect(response.status).toBe(400);
    expect(response.body.errors).toContainEqual(expect.objectContaining(tooComplex('depth', 21, 20)));
  });

  it('refuses a page size that makes the query too complex, with the measured value and the limit', async () => {
    const query = 'query($n: Int) { multiCloudImages(first: $n) { nodes { settings { cloud { images { id name os } } } } } }';
    const refused = await graphql(service.url, query, { n: 500 }, ADMIN);
    expect(refused.status).toBe(400);
    expect(refused.body).toEqual({ errors: [expect.objectContaining(tooComplex('complexity', 161_001, 100_000))] });
    expect((await graphql(service.url, query, { n: 300 }, ADMIN)).body.errors).toBeUndefined();
  });

  it('refuses an alias bomb of mutations before anything runs: nothing written', async () => {
    const aliases = Array.from({ length: 31 }, (_, i) => `d${i}: createDeployment(name: "d${i}") { id }`).join(' ');
    const rootFields = await writesNothing(() => graphql(service.url, `mutation { ${aliases} }`, undefined, ADMIN));
    expect(rootFields.status).toBe(400);
    expect(rootFields.body.errors).toEqual([expect.objectContaining(tooComplex('rootFields', 31, 30))]);
    const nested = Array.from({ length: 101 }, (_, i) => `a${i}: id`).join(' ');
    const aliased = await writesNothing(() =>
      graphql(service.url, `mutation { createDeployment(name: "n") { ${nested} } }`, undefined, ADMIN),
    );
    expect(aliased.body.errors).toEqual([expect.objectContaining(tooComplex('aliases', 101, 100))]);
  });

  it('refuses a document of more than MAX_QUERY_TOKENS tokens, and nesting the parser could not survive', async () => {
    const long = await graphql(service.url, `{ ${'serverInfo { version } '.repeat(2_500)} }`, undefined, ADMIN);
    expect(long.status).toBe(400);
    expect(long.body.errors).toEqual([expect.objectContaining(tooComplex('tokens', 10_001, 10_000))]);
    const nested = await graphql(service.url, `{ ${'viewer { '.repeat(5_000)}`, undefined, ADMIN);
    expect(nested.body.errors).toEqual([expect.objectContaining(tooComplex('nesting', 81, 80))]);
  });

  it('refuses fragment cycles and directive spam as invalid documents', async () => {
    const cycle = await graphql(service.url, '{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }', undefined, ADMIN);
    expect(cycle.status).toBe(400);
    expect(firstError(cycle.body)).toMatchObject({
      message: 'Cannot spread fragment "A" within itself via "B".',
      extensions: { code: 'BAD_USER_INPUT' },
    });
    const spam = await graphql(service.url, `{ serverInfo ${'@include(if: true) '.repeat(2_000)} { version } }`, undefined, ADMIN);
    expect(spam.status).toBe(400);
    expect(firstError(spam.body)?.extensions?.['code']).toMatch(/^(QUERY_TOO_COMPLEX|BAD_USER_INPUT)$/);
  });

  it('lets the standard introspection query (what GraphiQL sends) through', async () => {
    const query = getIntrospectionQuery({
      descriptions: true,
      specifiedByUrl: true,
      directiveIsRepeatable: true,
      schemaDescription: true,
      inputValueDeprecation: true,
    });
    const response = await graphql<{ __schema: { types: unknown[] } }>(service.url, query, undefined, ADMIN);
    expect(response.status).toBe(200);
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data?.__schema.types.length).toBeGreaterThan(50);
  });
});

describe('bounded inputs', () => {
  const schema = buildSchema(readFileSync('schema/schema.graphql', 'utf8'));

  it('bounds `first` at 500 on every connection of the schema', async () => {
    const mci = await createMci(service.url, 'Paged', []);
    const connections = Object.values(schema.getQueryType()?.getFields() ?? {}).filter((field) =>
      field.args.some((arg) => arg.name === 'first'),
    );
    expect(connections.map((field) => field.name)).toEqual(
      expect.arrayContaining(['multiCloudImages', 'rightScripts', 'serverTemplates', 'deployments', 'history', 'events']),
    );
    for (const field of connections) {
      const required = field.args.filter((arg) => isNonNullType(arg.type) && arg.defaultValue === undefined).map((arg) => arg.name);
      // A new connection with other required arguments needs them here, or it is not covered.
      expect([field.name, required.filter((name) => name !== 'id')]).toEqual([field.name, []]);
      const args = [...required.map((name) => `${name}: "${mci}"`), 'first: 501'].join(', ');
      const error = await fails(service.url, `{ ${field.name}(${args}) { __typename } }`);
      expect([field.name, error.code, error.message]).toEqual([field.name, 'BAD_USER_INPUT', 'first: expected 0 to 500, got 501']);
    }
  });

  /** Every free-text name a mutation takes, and a mutation that sends 256 characters there. */
  const NAMES: Record<string, (name: string, ids: Ids) => [string, Record<string, unknown>]> = {
    'createMultiCloudImage.input.name': (name) => [
      'mutation($name: String!) { createMultiCloudImage(input: { name: $name }) { id } }',
      { name },
    ],
    'updateMultiCloudImage.input.name': (name, ids) => [
      'mutation($name: String, $id: ID!) { updateMultiCloudImage(input: { id: $id, name: $name }) { id } }',
      { name, id: ids.mci },
    ],
    'cloneMultiCloudImage.name': (name, ids) => [
      'mutation($name: String, $id: ID!) { cloneMultiCloudImage(id: $id, name: $name) { id } }',
      { name, id: ids.mci },
    ],
    'createRightScript.input.name': (name) => ['mutation($name: String!) { createRightScript(input: { name: $name }) { id } }', { name }],
    'updateRightScript.input.name': (name, ids) => [
      'mutation($name: String, $id: ID!) { updateRightScript(input: { id: $id, name: $name }) { id } }',
      { name, id: ids.script },
    ],
    'cloneRightScript.name': (name, ids) => [
      'mutation($name: String, $id: ID!) { cloneRightScript(id: $id, name: $name) { id } }',
      { name, id: ids.script },
    ],
    'createServerTemplate.input.name': (name, ids) => [
      'mutation($name: String!, $mci: ID!) { createServerTemplate(input: { name: $name, multiCloudImageId: $mci }) { id } }',
      { name, mci: ids.mci },
    ],
    'updateServerTemplate.input.name': (name, ids) => [
      'mutation($name: String, $id: ID!) { updateServerTemplate(input: { id: $id, name: $name }) { id } }',
      { name, id: ids.template },
    ],
    'cloneServerTemplate.name': (name, ids) => [
      'mutation($name: String, $id: ID!) { cloneServerTemplate(id: $id, name: $name) { id } }',
      { name, id: ids.template },
    ],
    'createDeployment.name': (name) => ['mutation($name: String!) { createDeployment(name: $name) { id } }', { name }],
    'addServer.input.name': (name, ids) => [
      'mutation($input: AddServerInput!) { addServer(input: $input) { id } }',
      { input: { deploymentId: ids.deployment, name, serverTemplateId: ids.template, cloudId: EAST } },
    ],
    'createAccount.name': (name) => ['mutation($name: String!) { createAccount(name: $name) { adminToken } }', { name }],
    'createAccountGroup.name': (name) => ['mutation($name: String!) { createAccountGroup(name: $name) { id } }', { name }],
    'createUser.name': (name) => ['mutation($name: String!) { createUser(name: $name) { id } }', { name }],
    'createApiToken.name': (name, ids) => [
      'mutation($name: String!, $user: ID!) { createApiToken(userId: $user, roles: [OBSERVER], name: $name) { id } }',
      { name, user: ids.user },
    ],
    'registerCloud.input.name': (name) => [
      'mutation($name: String!) { registerCloud(input: { id: "new-cloud", name: $name, provider: "p" }) { id } }',
      { name },
    ],
    'registerImage.input.name': (name) => [
      'mutation($name: String!) { registerImage(input: { id: "new-image", cloudId: "aws-us-east-1", name: $name, os: "o", osVersion: "1", architecture: x86_64 }) { id } }',
      { name },
    ],
    'registerInstanceType.input.name': (name) => [
      'mutation($name: String!) { registerInstanceType(input: { id: "new-type", cloudId: "aws-us-east-1", name: $name, architectures: [x86_64] }) { id } }',
      { name },
    ],
    // Input names are environment variable names: 64 characters at most, a tighter bound.
    'createRightScript.input.inputs.name': (name) => [
      'mutation($name: String!) { createRightScript(input: { name: "s", inputs: [{ name: $name, type: TEXT }] }) { id } }',
      { name: inputName(name) },
    ],
    'updateRightScript.input.inputs.name': (name, ids) => [
      'mutation($name: String!, $id: ID!) { updateRightScript(input: { id: $id, inputs: [{ name: $name, type: TEXT }] }) { id } }',
      { name: inputName(name), id: ids.script },
    ],
  };
  const inputName = (name: string) => (name.length > 255 ? name : `N${name.length}`).toUpperCase();
  interface Ids {
    mci: string;
    script: string;
    template: string;
    deployment: string;
    user: string;
  }

  /** Every `name` argument or input field a mutation takes, found in the schema. */
  function nameInputs(): string[] {
    const found: string[] = [];
    const walk = (path: string, type: unknown, seen: Set<string>) => {
      const named = getNamedType(type as Parameters<typeof getNamedType>[0]);
      if (!isInputObjectType(named) || seen.has(named.name)) return;
      for (const field of Object.values(named.getFields())) {
        if (field.name === 'name') found.push(`${path}.name`);
        walk(`${path}.${field.name}`, field.type, new Set([...seen, named.name]));
      }
    };
    for (const field of Object.values(schema.getMutationType()?.getFields() ?? {}) as Array<GraphQLField<unknown, unknown>>) {
      for (const arg of field.args) {
        if (arg.name === 'name') found.push(`${field.name}.name`);
        walk(`${field.name}.${arg.name}`, arg.type, new Set());
      }
    }
    return found.sort();
  }

  it('bounds every name a mutation takes at 255 characters, and writes nothing past it', async () => {
    const mci = await createMci(service.url, 'Named', [EAST]);
    const ids: Ids = {
      mci,
      script: (
        await ok<{ createRightScript: { id: string } }>(service.url, 'mutation { createRightScript(input: { name: "Named" }) { id } }')
      ).createRightScript.id,
      template: (await createTemplate(service.url, 'Named', mci)).id,
      deployment: (await ok<{ createDeployment: { id: string } }>(service.url, 'mutation { createDeployment(name: "Named") { id } }'))
        .createDeployment.id,
      user: (await ok<{ createUser: { id: string } }>(service.url, 'mutation { createUser(name: "Named") { id } }')).createUser.id,
    };
    expect(nameInputs()).toEqual(Object.keys(NAMES).sort());
    for (const [path, mutation] of Object.entries(NAMES)) {
      const [query, variables] = mutation('n'.repeat(256), ids);
      const error = await writesNothing(() => fails(service.url, query, variables));
      expect([path, error.code, error.message]).toEqual([
        path,
        'BAD_USER_INPUT',
        expect.stringMatching(/expected (.*255.*got 256|an environment variable name)/),
      ]);
      const [okQuery, okVariables] = mutation(`${path.replace(/\W/gu, '')}${'n'.repeat(200)}`.slice(0, 255), ids);
      await ok(service.url, okQuery, okVariables);
    }
  });

  it('bounds user data at 16 KiB (UTF-8 bytes) and writes nothing past it', async () => {
    const mci = await createMci(service.url, 'User data', []);
    const map = (userData: string) =>
      graphql(
        service.url,
        'mutation($input: MapImageInput!) { mapImage(input: $input) { id } }',
        {
          input: {
            multiCloudImageId: mci,
            cloudId: EAST,
            imageId: starterImageId(EAST, STARTER_IMAGE_NAMES.centosX64),
            instanceTypeId: starterInstanceTypeId(EAST, 'large'),
            userData,
          },
        },
        ADMIN,
      );
    const refused = await writesNothing(() => map('€'.repeat(5_462)));
    expect(firstError(refused.body)).toMatchObject({
      message: expect.stringMatching(/16384.*16386/),
      extensions: { code: 'BAD_USER_INPUT' },
    });
    expect((await map('x'.repeat(16_384))).body.errors).toBeUndefined();
  });

  it('keeps NUL, right-to-left marks, combining marks and emoji in names exactly as sent', async () => {
    const name = 'nul\u0000 rtl\u202eעברית\u202c e\u0301 🚀👩‍👩‍👧';
    const created = await ok<{ createDeployment: { id: string; name: string } }>(
      service.url,
      'mutation($name: String!) { createDeployment(name: $name) { id name } }',
      {
        name,
      },
    );
    expect(created.createDeployment.name).toBe(name);
    const read = await ok<{ deployment: { name: string } }>(service.url, 'query($id: ID!) { deployment(id: $id) { name } }', {
      id: created.createDeployment.id,
    });
    expect(read.deployment.name).toBe(name);
  });

  it('refuses a lone surrogate in any string, in variables or in the document, and writes nothing', async () => {
    const inVariables = await writesNothing(() =>
      post(
        '{"query": "mutation($name: String!) { createDeployment(name: $name) { id } }", "variables": {"name": "half \\ud83d of an emoji"}}',
      ),
    );
    expect(inVariables.status).toBe(400);
    expect(inVariables.body).toEqual({
      errors: [
        {
          message:
            'variables.name: expected well-formed Unicode text, got a lone surrogate U+D83D at character 6 (encode text as UTF-8, or escape a character outside the BMP as a surrogate pair)',
          extensions: { code: 'BAD_USER_INPUT', reason: 'MALFORMED_TEXT' },
        },
      ],
    });
    const inDocument = await writesNothing(() => post('{"query": "mutation { createDeployment(name: \\"\\udfff\\") { id } }"}'));
    expect(firstError(inDocument.body)?.extensions).toEqual({ code: 'BAD_USER_INPUT', reason: 'MALFORMED_TEXT' });
  });
});

describe('the same limits over WebSocket', () => {
  let client: Client;
  beforeAll(() => {
    client = socketClient(service.url, ADMIN);
  });
  afterAll(() => client.dispose());

  function run(query: string, variables: Record<string, unknown> = {}): Promise<Body> {
    return withTimeout(
      new Promise<Body>((resolve, reject) => {
        let result: Body | undefined;
        client.subscribe(
          { query, variables },
          {
            next: (value) => (result = value as Body),
            error: (error) => (Array.isArray(error) ? resolve({ errors: error as Body['errors'] }) : reject(error)),
            complete: () => resolve(result ?? {}),
          },
        );
      }),
      10_000,
      query.slice(0, 60),
    );
  }

  it('refuses what HTTP refuses, with the same codes, and keeps the socket open', async () => {
    expect(firstError(await run('{ serverInfo { '))).toMatchObject({
      extensions: { code: 'BAD_USER_INPUT', reason: 'GRAPHQL_PARSE_FAILED' },
    });
    expect(firstError(await run('{ serverInfo { nope } }'))).toMatchObject({
      extensions: { code: 'BAD_USER_INPUT', reason: 'GRAPHQL_VALIDATION_FAILED' },
    });
    expect(firstError(await run(`{ ${'viewer { '.repeat(5_000)}`))).toMatchObject({
      extensions: { code: 'QUERY_TOO_COMPLEX', limit: 'nesting' },
    });
    const deep = `{ __schema { types { ${'fields { type { '.repeat(9)}name${' } }'.repeat(9)} } } }`;
    expect((await run(deep)).errors).toContainEqual(
      expect.objectContaining({ extensions: expect.objectContaining({ code: 'QUERY_TOO_COMPLEX', limit: 'depth' }) }),
    );
    const heavy = 'query($n: Int) { multiCloudImages(first: $n) { nodes { settings { cloud { images { id name os } } } } } }';
    expect(firstError(await run(heavy, { n: 500 }))).toMatchObject({
      extensions: { code: 'QUERY_TOO_COMPLEX', limit: 'complexity', measured: 161_001 },
    });
    const aliases = Array.from({ length: 31 }, (_, i) => `d${i}: createDeployment(name: "d${i}") { id }`).join(' ');
    expect(firstError(await writesNothing(() => run(`mutation { ${aliases} }`)))).toMatchObject({
      extensions: { code: 'QUERY_TOO_COMPLEX', limit: 'rootFields' },
    });
    const wrongType = await writesNothing(() => run('mutation($name: String!) { createDeployment(name: $name) { id } }', { name: 42 }));
    expect(firstError(wrongType)).toMatchObject({
      message: expect.stringMatching(/^Variable "\$name" got invalid value 42/),
      extensions: { code: 'BAD_USER_INPUT' },
    });
    expect(firstError(await run('{ serverInfo { version } }', { name: 'a\ud800' }))).toMatchObject({
      extensions: { code: 'BAD_USER_INPUT', reason: 'MALFORMED_TEXT' },
    });
    expect(firstError(await run('query A { serverInfo { version } } query B { viewer { roles } }'))).toMatchObject({
      extensions: { code: 'BAD_USER_INPUT', reason: 'OPERATION_RESOLUTION_FAILURE' },
    });
    expect(await run('{ serverInfo { eventStore } }')).toEqual({ data: { serverInfo: { eventStore: 'sqlite' } } });
  });

  // ws refuses the frame before anyone reads it, so the only answer it can give is the close code.
  it('closes a socket that sends a message over MAX_BODY_BYTES (1009), writing nothing', async () => {
    const socket = new WebSocket(socketUrl(service.url), 'graphql-transport-ws');
    const closed = new Promise<{ code: number; reason: string }>((resolve) =>
      socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    await new Promise((resolve) => socket.once('open', resolve));
    socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } }));
    await new Promise((resolve) => socket.once('message', resolve));
    const before = await service.services.store.headPosition();
    socket.send(
      JSON.stringify({
        id: '1',
        type: 'subscribe',
        payload: {
          query: 'mutation($name: String!) { createDeployment(name: $name) { id } }',
          variables: { name: 'x'.repeat(1024 * 1024) },
        },
      }),
    );
    expect(await withTimeout(closed, 10_000, 'the socket to close')).toMatchObject({ code: 1009 });
    expect(await service.services.store.headPosition()).toEqual(before);
  });
});
