import { CommandHandler, type CommandContext } from '../../src/application/commandHandler';
import { publicationIdOf, publish } from '../../src/application/marketplace';
import { commitMultiCloudImage, createMultiCloudImage, mapImage } from '../../src/application/multiCloudImages';
import { commitRightScript, createRightScript } from '../../src/application/rightScripts';
import { bindRightScript, commitServerTemplate, createServerTemplate } from '../../src/application/serverTemplates';
import { STARTER_IMAGE_NAMES, starterImageId, starterInstanceTypeId } from '../../src/application/starterCatalog';
import { StreamNotFoundError } from '../../src/eventStore/errors';
import type { Services } from '../../src/services';
import { storeFailingOn } from '../support/failingStore';
import { startTestService, type TestService } from '../support/service';

/*
 * Publishing a template is several appends (each unpublished pin, then the template), each valid on
 * its own. When the store fails midway, what was appended is complete, no template publication points
 * at an unpublished pin, and publishing again finishes the job without publishing anything twice.
 */

const EAST = 'aws-us-east-1';
const context: CommandContext = { accountId: 'default', actorId: 'failure-test', correlationId: 'failure-test' };

describe('publishing a ServerTemplate when the store fails midway', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService();
  });
  afterAll(() => service.stop());

  const eventsOf = async (stream: string): Promise<string[]> => {
    try {
      return (await service.services.store.readStream(stream)).map((event) => event.type);
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw error;
    }
  };

  it('leaves only complete dependency publications, and a retry publishes the rest once each', async () => {
    const services = service.services;
    const mci = await createMultiCloudImage(services, context, { name: 'First pin' });
    await mapImage(services, context, {
      id: mci.id,
      cloudId: EAST,
      imageId: starterImageId(EAST, STARTER_IMAGE_NAMES.centosX64),
      instanceTypeId: starterInstanceTypeId(EAST, 'large'),
    });
    await commitMultiCloudImage(services, context, { id: mci.id, message: 'one' });
    const script = await createRightScript(services, context, { name: 'Second pin', source: 'echo hi' });
    await commitRightScript(services, context, { id: script.id, message: 'one' });
    const template = await createServerTemplate(services, context, {
      name: 'Half published',
      multiCloudImageId: mci.id,
      multiCloudImageRevision: 1,
    });
    await bindRightScript(services, context, { id: template.id, rightScriptId: script.id, rightScriptRevision: 1, sequence: 'BOOT' });
    await commitServerTemplate(services, context, { id: template.id, message: 'release' });

    const streams = {
      mci: `publication-${publicationIdOf(mci.id, 1)}`,
      script: `publication-${publicationIdOf(script.id, 1)}`,
      template: `publication-${publicationIdOf(template.id, 1)}`,
    };
    const failing = storeFailingOn(services.store, new Set([streams.script]));
    const broken: Services = { ...services, store: failing, commands: new CommandHandler(failing) };
    const input = { componentId: template.id, revision: 1, visibility: 'PUBLIC' as const };
    await expect(publish(broken, context, input)).rejects.toThrow(`injected outage appending to ${streams.script}`);

    // The first pin's publication is whole; the second and the template's were never written.
    expect(await eventsOf(streams.mci)).toEqual(['ComponentPublished']);
    expect(await eventsOf(streams.script)).toEqual([]);
    expect(await eventsOf(streams.template)).toEqual([]);

    // Retried on a healthy store: the MCI's publication is taken as it is, the rest published once.
    const published = await publish(services, context, input);
    expect(published.dependencies).toEqual([
      { kind: 'MultiCloudImage', componentId: mci.id, revision: 1, publicationId: publicationIdOf(mci.id, 1) },
      { kind: 'RightScript', componentId: script.id, revision: 1, publicationId: publicationIdOf(script.id, 1) },
    ]);
    expect(await eventsOf(streams.mci)).toEqual(['ComponentPublished']);
    expect(await eventsOf(streams.script)).toEqual(['ComponentPublished']);
    expect(await eventsOf(streams.template)).toEqual(['TemplatePublished']);
  });
});
