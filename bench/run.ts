import { apiBenchmark } from './api';
import { catalogBenchmark } from './catalog';
import { coldStartBenchmark } from './coldStart';
import { eventStoreBenchmark } from './eventStore';
import { fanoutBenchmark } from './fanout';
import { historyBenchmark } from './history';
import { rebuildBenchmark } from './rebuild';
import { mutationsBenchmark } from './mutations';

/**
 * `npm run bench` runs every benchmark; `npm run bench -- <name>` runs one. Each prints its table.
 * Benchmarks are never part of `npm test`.
 */
const BENCHMARKS: Readonly<Record<string, () => Promise<string>>> = {
  eventStore: eventStoreBenchmark,
  api: apiBenchmark,
  catalog: catalogBenchmark,
  mutations: mutationsBenchmark,
  fanout: fanoutBenchmark,
  history: historyBenchmark,
  rebuild: rebuildBenchmark,
  coldStart: coldStartBenchmark,
};

async function main(): Promise<void> {
  const requested = process.argv.slice(2);
  const unknown = requested.filter((name) => !(name in BENCHMARKS));
  if (unknown.length > 0) {
    process.stderr.write(`unknown benchmark ${unknown.join(', ')}; available: ${Object.keys(BENCHMARKS).join(', ')}\n`);
    process.exit(2);
  }
  const names = requested.length > 0 ? requested : Object.keys(BENCHMARKS);
  process.stdout.write(`machine: ${(await import('node:os')).cpus().length} cores, Node ${process.version}\n\n`);
  for (const name of names) {
    process.stderr.write(`running ${name}…\n`);
    process.stdout.write(`${await (BENCHMARKS[name] as () => Promise<string>)()}\n\n`);
  }
}

void main();
