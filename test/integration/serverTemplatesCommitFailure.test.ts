import { CommandHandler, type CommandContext } from '../../src/application/commandHandler';
import { createMultiCloudImage, loadMultiCloudImage, mapImage } from '../../src/application/multiCloudImages';
import { createRightScript, loadRightScript } from '../../src/application/rightScripts';
import { bindRightScript, commitServerTemplate, createServerTemplate, loadServerTemplate } from '../../src/application/serverTemplates';
import { STARTER_IMAGE_NAMES, starterImageId, starterInstanceTypeId } from '../../src/application/starterCatalog';
import type { Services } from '../../src/services';
import { storeFailingOn } from '../support/failingStore';
import { startTestService, type TestService } from '../support/service';

/*
 * A template commit with HEAD dependencies is several appends, one per stream, each valid on its own.
 * When the store fails midway, what was appended is complete (the first dependency's commit), nothing
 * else is (the second dependency and the template stay uncommitted), and running the commit again
 * finishes the job, taking the already committed dependency as it is.
 */

const EAST = 'aws-us-east-1';
const context: CommandContext = { accountId: 'default', actorId: 'failure-test', correlationId: 'failure-test' };

describe('committing a ServerTemplate with HEAD dependencies when the store fails midway', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService();
  });
  afterAll(() => service.stop());

  it('leaves only complete commits behind, and a retry commits the rest and pins both', async () => {
    const services = service.services;
    const mci = await createMultiCloudImage(services, context, { name: 'First dependency' });
    await mapImage(services, context, {
      id: mci.id,
      cloudId: EAST,
      imageId: starterImageId(EAST, STARTER_IMAGE_NAMES.centosX64),
      instanceTypeId: starterInstanceTypeId(EAST, 'large'),
    });
    const script = await createRightScript(services, context, { name: 'Second dependency', source: 'echo hi' });
    const template = await createServerTemplate(services, context, { name: 'Half committed', multiCloudImageId: mci.id });
    await bindRightScript(services, context, { id: template.id, rightScriptId: script.id, sequence: 'BOOT' });
    const templateBefore = await loadServerTemplate(services, template.id);

    // The second dependency's stream refuses every append.
    const failing = storeFailingOn(services.store, new Set([`rightscript-${script.id}`]));
    const broken: Services = { ...services, store: failing, commands: new CommandHandler(failing) };
    await expect(
      commitServerTemplate(broken, context, { id: template.id, message: 'release', commitHeadDependencies: true }),
    ).rejects.toThrow(`injected outage appending to rightscript-${script.id}`);

    // The first dependency's commit is whole: a revision holding exactly its HEAD.
    const first = (await loadMultiCloudImage(services, mci.id)).state;
    expect(first).toMatchObject({ status: 'active', latestRevision: 1 });
    if (first.status !== 'active') throw new Error('unreachable');
    expect(first.lastCommitted).toEqual(first.head);
    // The second dependency and the template are untouched.
    expect((await loadRightScript(services, script.id)).state).toMatchObject({ status: 'active', latestRevision: 0 });
    const templateAfter = await loadServerTemplate(services, template.id);
    expect(templateAfter.version).toBe(templateBefore.version);
    expect(templateAfter.state).toEqual(templateBefore.state);

    // Retried on a healthy store: the script is committed now, the MCI's revision taken as it is.
    const retried = await commitServerTemplate(services, context, { id: template.id, message: 'release', commitHeadDependencies: true });
    expect(retried.revision).toBe(1);
    expect(retried.dependencies).toEqual([
      { kind: 'MultiCloudImage', id: mci.id, revision: 1, committedNow: false },
      { kind: 'RightScript', id: script.id, revision: 1, committedNow: true },
    ]);
    expect((await loadMultiCloudImage(services, mci.id)).state).toMatchObject({ latestRevision: 1 });
    const committed = (await loadServerTemplate(services, template.id)).state;
    if (committed.status !== 'active') throw new Error(`expected an active template, got ${committed.status}`);
    expect(committed.latestRevision).toBe(1);
    expect(committed.lastCommitted?.multiCloudImages.map((m) => [m.multiCloudImageId, m.revision])).toEqual([[mci.id, 1]]);
    expect(committed.lastCommitted?.rightScripts.BOOT.map((b) => [b.rightScriptId, b.revision])).toEqual([[script.id, 1]]);
  });
});
