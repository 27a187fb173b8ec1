import { diffRightScripts } from '../../src/domain/rightScripts/diff';
import type { RightScriptContent, RightScriptInput } from '../../src/domain/rightScripts/rightScript';

const input = (name: string, type: RightScriptInput['type'] = 'TEXT', value: string | null = null): RightScriptInput => ({
  name,
  type,
  default: value,
});

const base: RightScriptContent = {
  name: 'App start v1',
  description: 'starts the app',
  source: '#!/bin/sh\nset -e\ncd /srv/app\n./run --port "$APP_PORT"\n',
  inputs: [input('APP_PORT', 'NUMBER', '8080'), input('DEBUG', 'BOOLEAN', 'false'), input('ZONE')],
};

describe('RightScript diff', () => {
  it('gives no changes for identical content', () => {
    expect(diffRightScripts(base, JSON.parse(JSON.stringify(base)) as RightScriptContent)).toEqual([]);
  });

  it('lists name, description, source with hunks, and inputs added, removed and changed', () => {
    const after: RightScriptContent = {
      name: 'App start v2',
      description: 'starts the app on a port',
      source: '#!/bin/sh\nset -eu\ncd /srv/app\n./run --port "$APP_PORT"\n',
      inputs: [input('APP_PORT', 'TEXT', '8080'), input('DEBUG', 'BOOLEAN', 'true'), input('HOST', 'TEXT', 'localhost')],
    };
    expect(diffRightScripts(base, after)).toEqual([
      { path: 'name', kind: 'CHANGED', before: 'App start v1', after: 'App start v2' },
      { path: 'description', kind: 'CHANGED', before: 'starts the app', after: 'starts the app on a port' },
      {
        path: 'source',
        kind: 'CHANGED',
        before: base.source,
        after: after.source,
        hunks: [
          {
            fromLine: 1,
            fromCount: 4,
            toLine: 1,
            toCount: 4,
            lines: [' #!/bin/sh', '-set -e', '+set -eu', ' cd /srv/app', ' ./run --port "$APP_PORT"'],
          },
        ],
      },
      { path: 'inputs.APP_PORT.type', kind: 'CHANGED', before: 'NUMBER', after: 'TEXT' },
      { path: 'inputs.DEBUG.default', kind: 'CHANGED', before: 'false', after: 'true' },
      { path: 'inputs.HOST', kind: 'ADDED', before: null, after: input('HOST', 'TEXT', 'localhost') },
      { path: 'inputs.ZONE', kind: 'REMOVED', before: input('ZONE'), after: null },
    ]);
  });

  it('shows a default set and a default cleared as CHANGED from or to null', () => {
    const after = { ...base, inputs: [input('APP_PORT', 'NUMBER'), input('DEBUG', 'BOOLEAN', 'false'), input('ZONE', 'TEXT', 'us-east')] };
    expect(diffRightScripts(base, after)).toEqual([
      { path: 'inputs.APP_PORT.default', kind: 'CHANGED', before: '8080', after: null },
      { path: 'inputs.ZONE.default', kind: 'CHANGED', before: null, after: 'us-east' },
    ]);
  });

  it('is the mirror image when swapped', () => {
    const after = { ...base, source: `${base.source}echo done\n`, inputs: [input('APP_PORT', 'NUMBER', '8080')] };
    const forward = diffRightScripts(base, after);
    const backward = diffRightScripts(after, base);
    expect(forward.map((c) => [c.path, c.kind])).toEqual([
      ['source', 'CHANGED'],
      ['inputs.DEBUG', 'REMOVED'],
      ['inputs.ZONE', 'REMOVED'],
    ]);
    expect(backward.map((c) => [c.path, c.kind])).toEqual([
      ['source', 'CHANGED'],
      ['inputs.DEBUG', 'ADDED'],
      ['inputs.ZONE', 'ADDED'],
    ]);
    expect(forward[0]?.hunks?.[0]?.lines.slice(-1)).toEqual(['+echo done']);
    expect(backward[0]?.hunks?.[0]?.lines.slice(-1)).toEqual(['-echo done']);
  });
});
