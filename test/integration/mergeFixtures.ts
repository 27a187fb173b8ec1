import { fails, ok, type Headers } from '../support/api';
import { ADMIN, type TestService } from '../support/service';

/*
 * What the merge integration tests share: the operations, typed answers, and a look at the log to
 * prove that a refusal wrote nothing.
 */

export type Kind = 'MultiCloudImage' | 'RightScript' | 'ServerTemplate';

export interface MergeAnswer {
  alreadyMerged: boolean;
  base: { id: string; revision: number; version: number | null };
  changes: Array<{ path: string; kind: string; before: unknown; after: unknown }>;
  conflicts: Array<{ path: string; base: unknown; ours: unknown; theirs: unknown; resolution: string | null }>;
}

export interface MergeResultAnswer extends MergeAnswer {
  component: { __typename: string; id: string; version: number; description: string; revision: number };
}

const REPORT = `alreadyMerged base { id revision version } changes { path kind before after } conflicts { path base ours theirs resolution }`;

export const PREVIEW = `query($t: ID!, $s: RevisionRef!) { mergePreview(targetId: $t, source: $s) { ${REPORT} } }`;
export const MERGE = `mutation($t: ID!, $s: RevisionRef!, $r: [MergeResolutionInput!], $v: Int) {
  merge(targetId: $t, source: $s, resolutions: $r, expectedVersion: $v) { ${REPORT} component { __typename id version description revision } } }`;

export interface Resolution {
  path: string;
  choice: 'OURS' | 'THEIRS';
}

export async function preview(
  url: string,
  target: string,
  source: { id: string; revision?: number },
  headers: Headers = ADMIN,
): Promise<MergeAnswer> {
  return (await ok<{ mergePreview: MergeAnswer }>(url, PREVIEW, { t: target, s: source }, headers)).mergePreview;
}

export async function merge(
  url: string,
  target: string,
  source: { id: string; revision?: number },
  options: { resolutions?: Resolution[]; expectedVersion?: number; headers?: Headers } = {},
): Promise<MergeResultAnswer> {
  const variables = { t: target, s: source, r: options.resolutions, v: options.expectedVersion };
  return (await ok<{ merge: MergeResultAnswer }>(url, MERGE, variables, options.headers ?? ADMIN)).merge;
}

/** A merge that must be refused, and the proof that nothing was written. */
export async function refusedMerge(
  service: TestService,
  target: string,
  source: { id: string; revision?: number },
  options: { resolutions?: Resolution[]; expectedVersion?: number; headers?: Headers } = {},
): Promise<{ code: unknown; message: string; extensions: Record<string, unknown> }> {
  const before = await service.services.store.headPosition();
  const refused = await fails(
    service.url,
    MERGE,
    { t: target, s: source, r: options.resolutions, v: options.expectedVersion },
    options.headers ?? ADMIN,
  );
  expect(await service.services.store.headPosition()).toEqual(before);
  return refused;
}

/** A preview that must be refused. */
export async function refusedPreview(
  service: TestService,
  target: string,
  source: { id: string; revision?: number },
  headers: Headers = ADMIN,
): Promise<{ code: unknown; message: string }> {
  return fails(service.url, PREVIEW, { t: target, s: source }, headers);
}

const FIELD: Record<Kind, string> = { MultiCloudImage: 'multiCloudImage', RightScript: 'rightScript', ServerTemplate: 'serverTemplate' };

/** Sets the description of a component's HEAD. */
export async function setDescription(url: string, kind: Kind, id: string, description: string, headers: Headers = ADMIN): Promise<void> {
  await ok(url, `mutation($input: Update${kind}Input!) { update${kind}(input: $input) { id } }`, { input: { id, description } }, headers);
}

export async function commit(url: string, kind: Kind, id: string, message = 'commit', headers: Headers = ADMIN): Promise<number> {
  const data = await ok<Record<string, { revision: number }>>(
    url,
    `mutation($id: ID!, $message: String!) { commit${kind}(id: $id, message: $message) { revision } }`,
    { id, message },
    headers,
  );
  return (data[`commit${kind}`] as { revision: number }).revision;
}

export async function clone(url: string, kind: Kind, id: string, revision?: number, headers: Headers = ADMIN): Promise<string> {
  const data = await ok<Record<string, { id: string }>>(
    url,
    `mutation($id: ID!, $revision: Int) { clone${kind}(id: $id, revision: $revision) { id } }`,
    { id, revision },
    headers,
  );
  return (data[`clone${kind}`] as { id: string }).id;
}

export async function head(
  url: string,
  kind: Kind,
  id: string,
  selection = '',
  headers: Headers = ADMIN,
): Promise<{ id: string; version: number; description: string; name: string } & Record<string, unknown>> {
  const data = await ok<Record<string, { id: string; version: number; description: string; name: string }>>(
    url,
    `query($id: ID!) { ${FIELD[kind]}(id: $id) { id version name description ${selection} } }`,
    { id },
    headers,
  );
  return data[FIELD[kind]] as { id: string; version: number; description: string; name: string };
}

/** The component's events (type and data), oldest first, through the public `history`. */
export async function history(url: string, id: string): Promise<Array<{ type: string; data: Record<string, unknown> }>> {
  const { history: page } = await ok<{ history: { nodes: Array<{ type: string; data: Record<string, unknown> }> } }>(
    url,
    `query($id: ID!) { history(id: $id, first: 500) { nodes { type data } } }`,
    { id },
  );
  return page.nodes;
}

export const paths = (answer: Pick<MergeAnswer, 'changes'>): string[] => answer.changes.map((change) => change.path);
