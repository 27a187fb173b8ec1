import { STARTER_IMAGE_NAMES, starterImageId, starterInstanceTypeId } from '../../src/application/starterCatalog';
import { StreamNotFoundError } from '../../src/eventStore/errors';
import { ok, type Headers } from '../support/api';
import { ADMIN, type TestService } from '../support/service';

/*
 * What the ServerTemplate integration tests share: the components a template pins, made through the
 * public API, the operations they call, and a look at what a refusal must leave untouched.
 */

export const EAST = 'aws-us-east-1';
export const EU = 'aws-eu-west-1';
export const DFW = 'rackspace-dfw';
export const GCE = 'gce-us-central1';

export const TEMPLATE_FIELDS = `
  id name description revision lineage version readOnly behind floating
  clonedFrom { id revision }
  multiCloudImages { multiCloudImage { id revision name } revision isDefault position }
  supportedClouds { id }
  rightScripts { rightScript { id revision name } revision sequence position }
  revisions { revision message committedBy }`;

export interface Template {
  id: string;
  name: string;
  description: string;
  revision: number;
  lineage: string;
  version: number;
  readOnly: boolean;
  behind: boolean;
  floating: boolean;
  clonedFrom: { id: string; revision: number } | null;
  multiCloudImages: Array<{
    multiCloudImage: { id: string; revision: number; name: string };
    revision: number;
    isDefault: boolean;
    position: number;
  }>;
  supportedClouds: Array<{ id: string }>;
  rightScripts: Array<{
    rightScript: { id: string; revision: number; name: string };
    revision: number;
    sequence: string;
    position: number;
  }>;
  revisions: Array<{ revision: number; message: string; committedBy: string }>;
}

export const CREATE = `mutation($input: CreateServerTemplateInput!) { createServerTemplate(input: $input) { ${TEMPLATE_FIELDS} } }`;
export const UPDATE = `mutation($input: UpdateServerTemplateInput!) { updateServerTemplate(input: $input) { ${TEMPLATE_FIELDS} } }`;
export const GET = `query($id: ID!, $revision: Int) { serverTemplate(id: $id, revision: $revision) { ${TEMPLATE_FIELDS} } }`;
export const ADD_MCI = `mutation($templateId: ID!, $mci: ID!, $revision: Int, $isDefault: Boolean, $v: Int) {
  addTemplateMultiCloudImage(templateId: $templateId, multiCloudImageId: $mci, revision: $revision, isDefault: $isDefault, expectedVersion: $v) { ${TEMPLATE_FIELDS} } }`;
export const REMOVE_MCI = `mutation($templateId: ID!, $mci: ID!, $newDefault: ID, $v: Int) {
  removeTemplateMultiCloudImage(templateId: $templateId, multiCloudImageId: $mci, newDefaultMultiCloudImageId: $newDefault, expectedVersion: $v) { ${TEMPLATE_FIELDS} } }`;
export const SET_DEFAULT = `mutation($templateId: ID!, $mci: ID!, $v: Int) {
  setDefaultTemplateMultiCloudImage(templateId: $templateId, multiCloudImageId: $mci, expectedVersion: $v) { ${TEMPLATE_FIELDS} } }`;
export const PIN_MCI = `mutation($templateId: ID!, $mci: ID!, $to: ID, $revision: Int, $v: Int) {
  pinTemplateMultiCloudImage(templateId: $templateId, multiCloudImageId: $mci, toMultiCloudImageId: $to, revision: $revision, expectedVersion: $v) { ${TEMPLATE_FIELDS} } }`;
export const BIND = `mutation($templateId: ID!, $script: ID!, $revision: Int, $sequence: Sequence!, $position: Int, $v: Int) {
  bindRightScript(templateId: $templateId, rightScriptId: $script, revision: $revision, sequence: $sequence, position: $position, expectedVersion: $v) { ${TEMPLATE_FIELDS} } }`;
export const UNBIND = `mutation($templateId: ID!, $script: ID!, $sequence: Sequence!, $v: Int) {
  unbindRightScript(templateId: $templateId, rightScriptId: $script, sequence: $sequence, expectedVersion: $v) { ${TEMPLATE_FIELDS} } }`;
export const COMMIT = `mutation($id: ID!, $message: String!, $deps: Boolean, $v: Int) {
  commitServerTemplate(id: $id, message: $message, commitHeadDependencies: $deps, expectedVersion: $v) { ${TEMPLATE_FIELDS} } }`;
export const CLONE = `mutation($id: ID!, $revision: Int, $name: String) { cloneServerTemplate(id: $id, revision: $revision, name: $name) { ${TEMPLATE_FIELDS} } }`;
export const DELETE = `mutation($id: ID!, $v: Int) { deleteServerTemplate(id: $id, expectedVersion: $v) }`;
export const LIST = `query($first: Int, $after: String, $filter: ServerTemplateFilter) {
  serverTemplates(first: $first, after: $after, filter: $filter) { totalCount pageInfo { hasNextPage endCursor } nodes { id name } } }`;

/** An MCI of the viewer's account mapping the CentOS x64 image in each of `clouds`, committed `commits` times. */
export async function createMci(
  url: string,
  name: string,
  clouds: readonly string[],
  options: { commit?: boolean; headers?: Headers } = {},
): Promise<string> {
  const headers = options.headers ?? ADMIN;
  const { createMultiCloudImage } = await ok<{ createMultiCloudImage: { id: string } }>(
    url,
    `mutation($name: String!) { createMultiCloudImage(input: { name: $name }) { id } }`,
    { name },
    headers,
  );
  for (const cloudId of clouds) await mapCloud(url, createMultiCloudImage.id, cloudId, headers);
  if (options.commit) await commitMci(url, createMultiCloudImage.id, `${name}: first`, headers);
  return createMultiCloudImage.id;
}

export async function mapCloud(url: string, id: string, cloudId: string, headers: Headers = ADMIN): Promise<void> {
  await ok(
    url,
    `mutation($input: MapImageInput!) { mapImage(input: $input) { id } }`,
    {
      input: {
        multiCloudImageId: id,
        cloudId,
        imageId: starterImageId(cloudId, STARTER_IMAGE_NAMES.centosX64),
        instanceTypeId: starterInstanceTypeId(cloudId, 'large'),
      },
    },
    headers,
  );
}

export async function commitMci(url: string, id: string, message: string, headers: Headers = ADMIN): Promise<number> {
  const { commitMultiCloudImage } = await ok<{ commitMultiCloudImage: { revision: number } }>(
    url,
    `mutation($id: ID!, $message: String!) { commitMultiCloudImage(id: $id, message: $message) { revision } }`,
    { id, message },
    headers,
  );
  return commitMultiCloudImage.revision;
}

/** A RightScript of the viewer's account, committed once when asked. */
export async function createScript(url: string, name: string, options: { commit?: boolean; headers?: Headers } = {}): Promise<string> {
  const headers = options.headers ?? ADMIN;
  const { createRightScript } = await ok<{ createRightScript: { id: string } }>(
    url,
    `mutation($name: String!, $source: String!) { createRightScript(input: { name: $name, source: $source }) { id } }`,
    { name, source: `#!/bin/sh\necho ${name}\n` },
    headers,
  );
  if (options.commit) await commitScript(url, createRightScript.id, `${name}: first`, headers);
  return createRightScript.id;
}

export async function editScript(url: string, id: string, source: string, headers: Headers = ADMIN): Promise<void> {
  await ok(
    url,
    `mutation($input: UpdateRightScriptInput!) { updateRightScript(input: $input) { id } }`,
    { input: { id, source } },
    headers,
  );
}

export async function commitScript(url: string, id: string, message: string, headers: Headers = ADMIN): Promise<number> {
  const { commitRightScript } = await ok<{ commitRightScript: { revision: number } }>(
    url,
    `mutation($id: ID!, $message: String!) { commitRightScript(id: $id, message: $message) { revision } }`,
    { id, message },
    headers,
  );
  return commitRightScript.revision;
}

/** A new template pinning `mci` (at `revision`, default HEAD). */
export async function createTemplate(
  url: string,
  name: string,
  mci: string,
  revision?: number,
  headers: Headers = ADMIN,
): Promise<Template> {
  const { createServerTemplate } = await ok<{ createServerTemplate: Template }>(
    url,
    CREATE,
    { input: { name, multiCloudImageId: mci, multiCloudImageRevision: revision } },
    headers,
  );
  return createServerTemplate;
}

/** The event types of a stream, each with its stream revision: what a refusal must leave as it was. */
export async function streamOf(service: TestService, stream: string): Promise<string[]> {
  try {
    return (await service.services.store.readStream(stream)).map((event) => `${event.revision}:${event.type}`);
  } catch (error) {
    if (error instanceof StreamNotFoundError) return [];
    throw error;
  }
}

/** The log's head and the given streams, to compare before and after a refusal. */
export async function written(service: TestService, streams: readonly string[]): Promise<unknown> {
  return { head: await service.services.store.headPosition(), streams: await Promise.all(streams.map((s) => streamOf(service, s))) };
}

export const cloudIds = (template: Pick<Template, 'supportedClouds'>): string[] => template.supportedClouds.map((cloud) => cloud.id);
export const pins = (template: Pick<Template, 'multiCloudImages'>): Array<[string, number, boolean]> =>
  template.multiCloudImages.map((mci) => [mci.multiCloudImage.id, mci.revision, mci.isDefault]);
export const bindings = (template: Pick<Template, 'rightScripts'>): Array<[string, string, number, number]> =>
  template.rightScripts.map((binding) => [binding.sequence, binding.rightScript.id, binding.revision, binding.position]);
