import { STARTER_IMAGE_NAMES, starterImageId, starterInstanceTypeId } from '../../src/application/starterCatalog';
import { fails, ok } from '../support/api';
import { type TestService } from '../support/service';
import { SERVICE_STORES } from '../support/serviceStores';

/*
 * The whole life of a MultiCloud Image over real HTTP, against a real SQLite file: create → map three
 * clouds → commit → change a mapping → commit → read a revision → diff → history → time travel →
 * clone → delete. The same test runs on the embedded SQLite store and, through the real EventStoreDB
 * client, on the in-process EventStoreDB test server.
 */

const EAST = 'aws-us-east-1';
const EU = 'aws-eu-west-1';
const DFW = 'rackspace-dfw';
const centos64 = (cloudId: string): string => starterImageId(cloudId, STARTER_IMAGE_NAMES.centosX64);
const small = (cloudId: string): string => starterInstanceTypeId(cloudId, 'small');
const large = (cloudId: string): string => starterInstanceTypeId(cloudId, 'large');

const MCI_FIELDS = `
  id name description revision lineage version readOnly behind
  clonedFrom { id revision }
  settings { cloud { id provider } image { id name architecture } instanceType { id name } kernelImage { id } ramdiskImage { id } userData }
  revisions { revision message committedAt committedBy }
  warnings { code message }`;

interface Mci {
  id: string;
  name: string;
  description: string;
  revision: number;
  lineage: string;
  version: number;
  readOnly: boolean;
  behind: boolean;
  clonedFrom: { id: string; revision: number } | null;
  settings: Array<{ cloud: { id: string }; image: { id: string; name: string }; instanceType: { id: string }; userData: string | null }>;
  revisions: Array<{ revision: number; message: string; committedAt: string; committedBy: string }>;
  warnings: Array<{ code: string; message: string }>;
}

const MAP = `mutation($input: MapImageInput!) { mapImage(input: $input) { ${MCI_FIELDS} } }`;
const COMMIT = `mutation($id: ID!, $message: String!, $v: Int) { commitMultiCloudImage(id: $id, message: $message, expectedVersion: $v) { ${MCI_FIELDS} } }`;
const GET = `query($id: ID!, $revision: Int) { multiCloudImage(id: $id, revision: $revision) { ${MCI_FIELDS} } }`;

/** Resolves once the clock has moved past `instant`, so the next event's `occurredAt` is strictly later. */
async function afterInstant(instant: Date): Promise<void> {
  while (Date.now() <= instant.getTime()) await new Promise((resolve) => setTimeout(resolve, 1));
}

describe.each(SERVICE_STORES)('MultiCloud Image lifecycle over GraphQL on $name', (store) => {
  let service: TestService;
  let stop: () => Promise<void>;
  beforeAll(async () => {
    ({ service, stop } = await store.start());
  });
  afterAll(() => stop());

  it('creates, maps, commits, changes, diffs, shows history, travels in time, clones and deletes', async () => {
    const url = service.url;
    const beforeCreation = new Date();
    await afterInstant(beforeCreation);

    // Create.
    const { createMultiCloudImage: created } = await ok<{ createMultiCloudImage: Mci }>(
      url,
      `mutation { createMultiCloudImage(input: { name: "RightImage_CentOS_5.6_x64_v5.7", description: "64-bit CentOS" }) { ${MCI_FIELDS} } }`,
    );
    expect(created).toMatchObject({
      name: 'RightImage_CentOS_5.6_x64_v5.7',
      description: '64-bit CentOS',
      revision: 0,
      lineage: created.id,
      version: 0,
      readOnly: false,
      behind: false,
      clonedFrom: null,
      settings: [],
      revisions: [],
      warnings: [],
    });
    const id = created.id;

    // Map three clouds, each edit passing the version it last read.
    let version = created.version;
    for (const cloudId of [EAST, EU, DFW]) {
      const { mapImage } = await ok<{ mapImage: Mci }>(url, MAP, {
        input: { multiCloudImageId: id, cloudId, imageId: centos64(cloudId), instanceTypeId: large(cloudId), expectedVersion: version },
      });
      expect(mapImage.version).toBe(version + 1);
      version = mapImage.version;
    }

    // Commit: returns revision 1 with the frozen settings.
    const { commitMultiCloudImage: first } = await ok<{ commitMultiCloudImage: Mci }>(url, COMMIT, {
      id,
      message: 'three clouds',
      v: version,
    });
    expect(first).toMatchObject({ id, revision: 1, behind: false, version: 4, warnings: [] });
    expect(first.settings.map((s) => [s.cloud.id, s.image.name, s.instanceType.id])).toEqual([
      [EU, 'RightImage_CentOS_5.6_x64_v5.7', large(EU)],
      [EAST, 'RightImage_CentOS_5.6_x64_v5.7', large(EAST)],
      [DFW, 'RightImage_CentOS_5.6_x64_v5.7', large(DFW)],
    ]);
    expect(first.revisions).toEqual([
      { revision: 1, message: 'three clouds', committedAt: expect.any(String), committedBy: expect.any(String) },
    ]);
    const firstCommitDone = new Date();
    await afterInstant(firstCommitDone);

    // Change a mapping and commit again.
    const { mapImage: changed } = await ok<{ mapImage: Mci }>(url, MAP, {
      input: { multiCloudImageId: id, cloudId: EAST, imageId: centos64(EAST), instanceTypeId: small(EAST), userData: '#!/bin/sh\necho hi' },
    });
    expect(changed.settings.find((s) => s.cloud.id === EAST)).toMatchObject({
      cloud: { id: EAST },
      instanceType: { id: small(EAST) },
      userData: '#!/bin/sh\necho hi',
    });
    const { commitMultiCloudImage: second } = await ok<{ commitMultiCloudImage: Mci }>(url, COMMIT, { id, message: 'small in us-east' });
    expect(second).toMatchObject({ revision: 2, behind: false, version: 6 });
    expect(second.revisions.map((r) => r.revision)).toEqual([1, 2]);

    // Revision 1 is still there, unchanged, and behind the latest; HEAD is not.
    const { multiCloudImage: atOne } = await ok<{ multiCloudImage: Mci }>(url, GET, { id, revision: 1 });
    expect(atOne).toMatchObject({ revision: 1, behind: true, version: 6 });
    expect(atOne.settings.find((s) => s.cloud.id === EAST)).toMatchObject({ instanceType: { id: large(EAST) }, userData: null });
    const { multiCloudImage: head } = await ok<{ multiCloudImage: Mci }>(url, GET, { id });
    expect(head).toMatchObject({ revision: 0, behind: false, version: 6 });

    // Diff between the two revisions, and between HEAD and the latest revision (identical content).
    const DIFF = `query($from: RevisionRef!, $to: RevisionRef!) { diff(from: $from, to: $to) { changes { path kind before after } } }`;
    const { diff } = await ok<{ diff: { changes: unknown[] } }>(url, DIFF, { from: { id, revision: 1 }, to: { id, revision: 2 } });
    expect(diff.changes).toEqual([
      { path: `settings.${EAST}.instanceType`, kind: 'CHANGED', before: large(EAST), after: small(EAST) },
      { path: `settings.${EAST}.userData`, kind: 'CHANGED', before: null, after: '#!/bin/sh\necho hi' },
    ]);
    const { diff: same } = await ok<{ diff: { changes: unknown[] } }>(url, DIFF, { from: { id, revision: 2 }, to: { id } });
    expect(same.changes).toEqual([]);

    // History: every event, oldest first, chained by hash, paged.
    const HISTORY = `query($id: ID!, $first: Int, $after: String) { history(id: $id, first: $first, after: $after) {
      totalCount pageInfo { hasNextPage endCursor }
      edges { cursor node { cursor id type streamId componentId revision occurredAt actor { id } data hash prevHash } } } }`;
    interface HistoryPage {
      history: {
        totalCount: number;
        pageInfo: { hasNextPage: boolean; endCursor: string | null };
        edges: Array<{
          cursor: string;
          node: {
            type: string;
            revision: number;
            streamId: string;
            componentId: string;
            hash: string;
            prevHash: string | null;
            data: Record<string, unknown>;
            actor: { id: string };
          };
        }>;
      };
    }
    const page1 = await ok<HistoryPage>(url, HISTORY, { id, first: 4 });
    expect(page1.history.totalCount).toBe(7);
    expect(page1.history.pageInfo.hasNextPage).toBe(true);
    const page2 = await ok<HistoryPage>(url, HISTORY, { id, first: 4, after: page1.history.pageInfo.endCursor });
    expect(page2.history.pageInfo).toEqual({ hasNextPage: false, endCursor: page2.history.edges[2]?.cursor });
    const events = [...page1.history.edges, ...page2.history.edges].map((edge) => edge.node);
    expect(events.map((e) => e.type)).toEqual([
      'MultiCloudImageCreated',
      'ImageMapped',
      'ImageMapped',
      'ImageMapped',
      'RevisionCommitted',
      'ImageMapped',
      'RevisionCommitted',
    ]);
    expect(events.map((e) => e.revision)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(events.every((e) => e.streamId === `mci-${id}` && e.componentId === id && e.actor.id === first.revisions[0]?.committedBy)).toBe(
      true,
    );
    expect(events[0]?.prevHash).toBeNull();
    for (let i = 1; i < events.length; i++) expect(events[i]?.prevHash).toBe(events[i - 1]?.hash);
    expect(events[4]?.data).toMatchObject({ revision: 1, message: 'three clouds', contentHash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(events[5]?.data).toMatchObject({
      cloudId: EAST,
      instanceTypeId: small(EAST),
      replaced: { cloudId: EAST, instanceTypeId: large(EAST) },
    });

    // Time travel: right after the first commit, and before the MCI existed.
    const AT = `query($id: ID!, $at: DateTime!) { componentAt(id: $id, at: $at) { id name revision version behind ... on MultiCloudImage { settings { cloud { id } instanceType { id } } revisions { revision } } } }`;
    const { componentAt } = await ok<{
      componentAt: { version: number; settings: Array<{ cloud: { id: string }; instanceType: { id: string } }>; revisions: unknown[] };
    }>(url, AT, { id, at: firstCommitDone.toISOString() });
    expect(componentAt).toMatchObject({
      id,
      name: 'RightImage_CentOS_5.6_x64_v5.7',
      revision: 0,
      version: 4,
      behind: false,
      revisions: [{ revision: 1 }],
    });
    expect(componentAt.settings.find((s) => s.cloud.id === EAST)?.instanceType.id).toBe(large(EAST));
    expect((await fails(url, AT, { id, at: beforeCreation.toISOString() })).code).toBe('NOT_FOUND');

    // Clone revision 1: a new lineage, the name's version bumped, revision 1's content, no revisions.
    const { cloneMultiCloudImage: clone } = await ok<{ cloneMultiCloudImage: Mci }>(
      url,
      `mutation($id: ID!) { cloneMultiCloudImage(id: $id, revision: 1) { ${MCI_FIELDS} } }`,
      { id },
    );
    expect(clone).toMatchObject({
      name: 'RightImage_CentOS_5.6_x64_v5.8',
      description: '64-bit CentOS',
      revision: 0,
      version: 0,
      clonedFrom: { id, revision: 1 },
      revisions: [],
    });
    expect(clone.id).not.toBe(id);
    expect(clone.lineage).toBe(clone.id);
    expect(clone.settings).toEqual(atOne.settings);
    expect(clone.warnings.map((w) => w.code)).toEqual(['NAME_MISMATCH']);
    // Diff across two MCIs: the clone's HEAD against the original's revision 2.
    const { diff: across } = await ok<{ diff: { changes: Array<{ path: string }> } }>(url, DIFF, {
      from: { id: clone.id },
      to: { id, revision: 2 },
    });
    expect(across.changes.map((c) => c.path)).toEqual(['name', `settings.${EAST}.instanceType`, `settings.${EAST}.userData`]);

    // Delete: gone from reads, history kept.
    const { deleteMultiCloudImage } = await ok<{ deleteMultiCloudImage: string }>(
      url,
      `mutation($id: ID!) { deleteMultiCloudImage(id: $id, expectedVersion: 6) }`,
      { id },
    );
    expect(deleteMultiCloudImage).toBe(id);
    expect((await fails(url, GET, { id })).code).toBe('NOT_FOUND');
    expect((await fails(url, GET, { id, revision: 1 })).code).toBe('NOT_FOUND');
    expect(
      (
        await fails(url, MAP, {
          input: { multiCloudImageId: id, cloudId: EU, imageId: centos64(EU), instanceTypeId: small(EU), expectedVersion: 3 },
        })
      ).code,
    ).toBe('NOT_FOUND');
    const { multiCloudImages } = await ok<{ multiCloudImages: { nodes: Array<{ id: string }> } }>(
      url,
      `{ multiCloudImages { nodes { id } } }`,
    );
    expect(multiCloudImages.nodes.map((n) => n.id)).toEqual([clone.id]);
    const afterDelete = await ok<HistoryPage>(url, HISTORY, { id, first: 10 });
    expect(afterDelete.history.edges.map((e) => e.node.type).slice(-1)).toEqual(['ComponentDeleted']);
  });
});
