import { fold } from '../../src/domain/decider';
import { ErrorCode } from '../../src/domain/errors';
import { mergeRightScripts, rightScriptMergeEvents } from '../../src/domain/rightScripts/merge';
import {
  MAX_INPUTS,
  MAX_SOURCE_BYTES,
  rightScriptDecider,
  type RightScriptContent,
  type RightScriptInput,
} from '../../src/domain/rightScripts/rightScript';
import { domainErrorOf } from '../support/domainErrors';

const input = (name: string, type: RightScriptInput['type'] = 'TEXT', defaultValue: string | null = null): RightScriptInput => ({
  name,
  type,
  default: defaultValue,
});
const lines = (...items: string[]): string => items.map((line) => `${line}\n`).join('');

const base: RightScriptContent = {
  name: 'Install PHP',
  description: 'installs php',
  source: lines('#!/bin/bash', 'set -e', 'yum install -y php', 'service httpd restart', 'echo done'),
  inputs: [input('APP_ROOT', 'TEXT', '/var/www'), input('WORKERS', 'NUMBER', '4')],
};

/** The HEAD `merged` would become: `ours` as a cloned HEAD, then the merge's events folded in. */
function foldMergeEvents(ours: RightScriptContent, merged: RightScriptContent): RightScriptContent {
  const start = fold(rightScriptDecider, [
    {
      type: 'ComponentCloned',
      data: {
        kind: 'RightScript',
        componentId: 'rs-1',
        accountId: 'acct-1',
        lineage: 'rs-1',
        clonedFrom: { id: 'rs-0', revision: 1 },
        content: ours,
      },
    },
  ]);
  const state = fold(rightScriptDecider, rightScriptMergeEvents(ours, merged), start);
  if (state.status !== 'active') throw new Error(`expected an active RightScript, got ${state.status}`);
  return state.head;
}

describe('RightScript merge', () => {
  it('applies a change made on one side only, from either side', () => {
    const changed = {
      ...base,
      description: 'installs php 8',
      inputs: [input('APP_ROOT', 'TEXT', '/var/www'), input('DEBUG', 'BOOLEAN', 'false'), input('WORKERS', 'NUMBER', '4')],
    };
    expect(mergeRightScripts(base, changed, base, [])).toEqual({ merged: changed, conflicts: [], resolved: [] });
    expect(mergeRightScripts(base, base, changed, [])).toEqual({ merged: changed, conflicts: [], resolved: [] });
  });

  it('merges the source line by line: hunks of both sides that do not touch both apply', () => {
    const ours = { ...base, source: lines('#!/bin/bash', 'set -eu', 'yum install -y php', 'service httpd restart', 'echo done') };
    const theirs = { ...base, source: lines('#!/bin/bash', 'set -e', 'yum install -y php', 'service httpd restart', 'echo finished') };
    expect(mergeRightScripts(base, ours, theirs, [])).toEqual({
      merged: { ...base, source: lines('#!/bin/bash', 'set -eu', 'yum install -y php', 'service httpd restart', 'echo finished') },
      conflicts: [],
      resolved: [],
    });
  });

  it('applies the same source hunk made on both sides once', () => {
    const both = { ...base, source: lines('#!/bin/bash', 'set -e', 'dnf install -y php', 'service httpd restart', 'echo done') };
    expect(mergeRightScripts(base, both, { ...both }, []).merged).toEqual(both);
  });

  it('reports overlapping source hunks as one conflict at source with the whole texts', () => {
    const ours = { ...base, source: lines('#!/bin/bash', 'set -e', 'apt-get install php', 'service httpd restart', 'echo done') };
    const theirs = { ...base, source: lines('#!/bin/bash', 'set -e', 'dnf install -y php', 'service httpd restart', 'echo ok') };
    const outcome = mergeRightScripts(base, ours, theirs, []);
    expect(outcome.conflicts).toEqual([{ path: 'source', base: base.source, ours: ours.source, theirs: theirs.source }]);
    expect(outcome.merged.source).toBe(ours.source);
  });

  it('reports adjacent source hunks (no unchanged line between) as a conflict', () => {
    const ours = { ...base, source: lines('#!/bin/bash', 'set -eu', 'yum install -y php', 'service httpd restart', 'echo done') };
    const theirs = { ...base, source: lines('#!/bin/bash', 'set -e', 'yum install -y php8', 'service httpd restart', 'echo done') };
    expect(mergeRightScripts(base, ours, theirs, []).conflicts.map((conflict) => conflict.path)).toEqual(['source']);
  });

  it('settles a source conflict with the chosen side’s whole text', () => {
    const ours = { ...base, source: lines('#!/bin/bash', 'set -e', 'apt-get install php', 'service httpd restart', 'echo done') };
    const theirs = { ...base, source: lines('#!/bin/bash', 'set -e', 'dnf install -y php', 'service httpd restart', 'echo ok') };
    expect(mergeRightScripts(base, ours, theirs, [{ path: 'source', choice: 'THEIRS' }])).toEqual({
      merged: theirs,
      conflicts: [],
      resolved: [{ path: 'source', base: base.source, ours: ours.source, theirs: theirs.source, choice: 'THEIRS' }],
    });
    expect(mergeRightScripts(base, ours, theirs, [{ path: 'source', choice: 'OURS' }]).merged).toEqual(ours);
  });

  it('merges inputs by name: added, removed and changed on either side apply, kept sorted by name', () => {
    const ours = { ...base, inputs: [input('APP_ROOT', 'TEXT', '/srv/www'), input('WORKERS', 'NUMBER', '4'), input('ZONE')] };
    const theirs = { ...base, inputs: [input('APP_ROOT', 'TEXT', '/var/www'), input('DEBUG', 'BOOLEAN', 'true')] };
    expect(mergeRightScripts(base, ours, theirs, [])).toEqual({
      merged: { ...base, inputs: [input('APP_ROOT', 'TEXT', '/srv/www'), input('DEBUG', 'BOOLEAN', 'true'), input('ZONE')] },
      conflicts: [],
      resolved: [],
    });
  });

  it('reports an input changed differently, or changed on one side and removed on the other, as a conflict at inputs.<NAME>', () => {
    const ours = { ...base, inputs: [input('APP_ROOT', 'TEXT', '/srv/www'), input('WORKERS', 'NUMBER', '8')] };
    const theirs = { ...base, inputs: [input('APP_ROOT', 'TEXT', '/opt/www')] };
    const outcome = mergeRightScripts(base, ours, theirs, []);
    expect(outcome.conflicts).toEqual([
      {
        path: 'inputs.APP_ROOT',
        base: input('APP_ROOT', 'TEXT', '/var/www'),
        ours: input('APP_ROOT', 'TEXT', '/srv/www'),
        theirs: input('APP_ROOT', 'TEXT', '/opt/www'),
      },
      { path: 'inputs.WORKERS', base: input('WORKERS', 'NUMBER', '4'), ours: input('WORKERS', 'NUMBER', '8'), theirs: null },
    ]);
    expect(outcome.merged).toEqual(ours);
    const settled = mergeRightScripts(base, ours, theirs, [
      { path: 'inputs.WORKERS', choice: 'THEIRS' },
      { path: 'inputs.APP_ROOT', choice: 'THEIRS' },
    ]);
    expect(settled.merged.inputs).toEqual([input('APP_ROOT', 'TEXT', '/opt/www')]);
    expect(settled.conflicts).toEqual([]);
  });

  it('reports name and description changed differently as conflicts', () =>
    expect(
      mergeRightScripts(base, { ...base, name: 'A', description: 'a' }, { ...base, name: 'B', description: 'b' }, []).conflicts,
    ).toEqual([
      { path: 'name', base: 'Install PHP', ours: 'A', theirs: 'B' },
      { path: 'description', base: 'installs php', ours: 'a', theirs: 'b' },
    ]));

  it('refuses a resolution naming a path that is not a conflict', () => {
    const error = domainErrorOf(() => mergeRightScripts(base, { ...base, name: 'A' }, base, [{ path: 'inputs.APP_ROOT', choice: 'OURS' }]));
    expect([error.code, error.message]).toEqual([
      ErrorCode.BAD_USER_INPUT,
      "resolutions[0].path: expected the path of a conflict of this merge (it has none), got 'inputs.APP_ROOT'",
    ]);
  });

  it('refuses a clean merge whose source or inputs would break their bounds', () => {
    const half = 'x'.repeat(MAX_SOURCE_BYTES / 2);
    const big = domainErrorOf(() =>
      mergeRightScripts(base, { ...base, source: `${half}\n${base.source}` }, { ...base, source: `${base.source}${half}\n` }, []),
    );
    expect([big.code, big.message]).toEqual([
      ErrorCode.BAD_USER_INPUT,
      `merged source: expected at most ${MAX_SOURCE_BYTES} bytes (256 KiB) in UTF-8, got ${MAX_SOURCE_BYTES + 2 + base.source.length}`,
    ]);
    const many = (prefix: string): RightScriptInput[] => Array.from({ length: MAX_INPUTS / 2 + 1 }, (_, i) => input(`${prefix}${i}`));
    const tooMany = domainErrorOf(() =>
      mergeRightScripts({ ...base, inputs: [] }, { ...base, inputs: many('A') }, { ...base, inputs: many('B') }, []),
    );
    expect([tooMany.code, tooMany.message]).toEqual([
      ErrorCode.BAD_USER_INPUT,
      `merged inputs: expected at most ${MAX_INPUTS} inputs, got ${MAX_INPUTS + 2} (51 ours, 51 theirs): remove some on either side first`,
    ]);
  });

  describe('events', () => {
    it('are one RightScriptUpdated with the changed fields, and fold ours into merged', () => {
      const merged = { ...base, source: `${base.source}exit 0\n`, inputs: [input('APP_ROOT')] };
      expect(rightScriptMergeEvents(base, merged)).toEqual([
        { type: 'RightScriptUpdated', data: { source: merged.source, inputs: [input('APP_ROOT')] } },
      ]);
      expect(foldMergeEvents(base, merged)).toEqual(merged);
    });

    it('are none when merged equals ours', () => expect(rightScriptMergeEvents(base, { ...base, inputs: [...base.inputs] })).toEqual([]));

    it('fold to the merged content of a merge of both sides', () => {
      const ours = {
        ...base,
        name: 'Install PHP 8',
        source: lines('#!/bin/bash', 'set -eu', 'yum install -y php', 'service httpd restart', 'echo done'),
      };
      const theirs = { ...base, source: `${base.source}exit 0\n`, inputs: [input('DEBUG', 'BOOLEAN', 'false')] };
      const { merged, conflicts } = mergeRightScripts(base, ours, theirs, []);
      expect(conflicts).toEqual([]);
      expect(foldMergeEvents(ours, merged)).toEqual(merged);
    });
  });
});
