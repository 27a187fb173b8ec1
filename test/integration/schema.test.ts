import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { printApiSchema } from '../../src/graphql/schema';

describe('schema/schema.graphql', () => {
  it('is the SDL the code builds (run `npm run schema` and commit the result when this fails)', async () => {
    const committed = readFileSync(join(__dirname, '..', '..', 'schema', 'schema.graphql'), 'utf8');
    expect(committed).toBe(await printApiSchema());
  });
});
