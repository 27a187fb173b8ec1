import { fails, ok, type Headers } from '../support/api';
import { ADMIN } from '../support/service';
import { publishAs, type PublicationView } from './marketplaceFixtures';
import { BIND, COMMIT, EAST, createMci, createScript, createTemplate } from './serverTemplatesFixtures';

/*
 * What the import integration tests share: a publisher's template with its MCI and RightScript,
 * published; the import mutation and the fields every imported component shows; all through the
 * public API over real HTTP.
 */

export const IMPORTED_FIELDS = `
  __typename id name description revision lineage version readOnly behind
  clonedFrom { id revision }
  importedFrom { publicationId publisherAccount { id name } componentId revision }`;

export interface ImportedView {
  __typename: 'MultiCloudImage' | 'RightScript' | 'ServerTemplate';
  id: string;
  name: string;
  description: string;
  revision: number;
  lineage: string;
  version: number;
  readOnly: boolean;
  behind: boolean;
  clonedFrom: { id: string; revision: number } | null;
  importedFrom: { publicationId: string; publisherAccount: { id: string; name: string }; componentId: string; revision: number } | null;
}

export const IMPORT = `mutation($id: ID!) { importPublication(publicationId: $id) { ${IMPORTED_FIELDS} } }`;

export async function importAs(url: string, publicationId: string, headers: Headers): Promise<ImportedView> {
  return (await ok<{ importPublication: ImportedView }>(url, IMPORT, { id: publicationId }, headers)).importPublication;
}

export function importFails(url: string, publicationId: string, headers: Headers): ReturnType<typeof fails> {
  return fails(url, IMPORT, { id: publicationId }, headers);
}

/** A publisher's committed template (revision 1) pinning a committed MCI and RightScript, and its publication. */
export interface PublishedTemplate {
  readonly mci: string;
  readonly script: string;
  readonly template: string;
  readonly publication: PublicationView;
  /** The publications of the MCI and RightScript revisions the template pins, published with it. */
  readonly mciPublication: string;
  readonly scriptPublication: string;
}

export async function publishTemplate(
  url: string,
  name: string,
  options: { headers?: Headers; visibility?: 'PUBLIC' | 'GROUPS'; accountGroupIds?: string[] } = {},
): Promise<PublishedTemplate> {
  const headers = options.headers ?? ADMIN;
  const mci = await createMci(url, `${name} image`, [EAST], { commit: true, headers });
  const script = await createScript(url, `${name} script`, { commit: true, headers });
  const { id: template } = await createTemplate(url, name, mci, 1, headers);
  await ok(url, BIND, { templateId: template, script, revision: 1, sequence: 'BOOT' }, headers);
  await ok(url, COMMIT, { id: template, message: `${name}: first` }, headers);
  const publication = await publishAs(
    url,
    { componentId: template, revision: 1, visibility: options.visibility ?? 'PUBLIC', accountGroupIds: options.accountGroupIds ?? null },
    headers,
  );
  const dependency = (componentId: string): string => {
    const found = publication.dependencies.find((candidate) => candidate.componentId === componentId);
    if (!found) throw new Error(`the template publication lists no publication of '${componentId}'`);
    return found.publicationId;
  };
  return { mci, script, template, publication, mciPublication: dependency(mci), scriptPublication: dependency(script) };
}

export const MCI_FIELDS = `${IMPORTED_FIELDS} settings { cloud { id } image { id } instanceType { id } } revisions { revision message committedBy }`;
export const SCRIPT_FIELDS = `${IMPORTED_FIELDS} source revisions { revision message }`;
export const TEMPLATE_FIELDS = `${IMPORTED_FIELDS}
  multiCloudImages { multiCloudImage { id revision name readOnly } revision isDefault }
  rightScripts { rightScript { id revision name readOnly } revision sequence position }
  supportedClouds { id }
  revisions { revision message }`;
