import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { printApiSchema } from './schema';

/** `npm run schema`: writes the SDL built from the code to schema/schema.graphql (commit the result). */
async function emit(): Promise<void> {
  const target = join(__dirname, '..', '..', '..', 'schema', 'schema.graphql');
  writeFileSync(target, await printApiSchema());
  process.stdout.write(`wrote ${target}\n`);
}

void emit();
