import type { DomainEvent } from '../decider';
import { MULTI_CLOUD_IMAGE_KIND, multiCloudImageDecider, type MultiCloudImageContent } from '../multiCloudImages/multiCloudImage';
import { RIGHT_SCRIPT_KIND, rightScriptDecider, type RightScriptContent } from '../rightScripts/rightScript';
import { serverTemplateDecider } from '../serverTemplates/serverTemplate';
import { SEQUENCES, SERVER_TEMPLATE_KIND, type ServerTemplateContent } from '../serverTemplates/serverTemplate.types';
import type { BlameSubject, ContentFields } from './blame';
import { headContent } from './versioned';
import { SETTING_FIELDS } from '../multiCloudImages/diff';

/*
 * Each component kind's content as the fields blame attributes, with the paths its diff uses where
 * diff has one (`settings.<cloudId>.image`, `inputs.<NAME>.default` …), so a change seen in a diff
 * can be looked up in blame by its path. Only leaves are listed: a whole setting is blamed field by
 * field.
 */

/** Setting fields as MCI diff paths name them (the API's names, without the `Id` suffix). */
export function multiCloudImageFields(content: MultiCloudImageContent): ContentFields {
  const fields = new Map<string, unknown>([
    ['name', content.name],
    ['description', content.description],
  ]);
  for (const cloudId of Object.keys(content.settings).sort()) {
    const setting = content.settings[cloudId];
    if (!setting) continue;
    for (const [field, key] of SETTING_FIELDS) fields.set(`settings.${cloudId}.${field}`, setting[key]);
  }
  return fields;
}

/**
 * Attached MCIs by id (in the order they were attached), the default, and bindings by sequence and
 * RightScript id with their 1-based position: inserting a binding moves the later ones, so their
 * positions are then blamed on that insertion.
 */
export function serverTemplateFields(content: ServerTemplateContent): ContentFields {
  const fields = new Map<string, unknown>([
    ['name', content.name],
    ['description', content.description],
  ]);
  for (const attached of content.multiCloudImages) fields.set(`multiCloudImages.${attached.multiCloudImageId}.revision`, attached.revision);
  fields.set('defaultMultiCloudImage', content.defaultMultiCloudImageId);
  for (const sequence of SEQUENCES) {
    content.rightScripts[sequence].forEach((binding, index) => {
      const path = `rightScripts.${sequence}.${binding.rightScriptId}`;
      fields.set(`${path}.revision`, binding.revision);
      fields.set(`${path}.position`, index + 1);
    });
  }
  return fields;
}

/** Inputs by name, as RightScript diff paths them. */
export function rightScriptFields(content: RightScriptContent): ContentFields {
  const fields = new Map<string, unknown>([
    ['name', content.name],
    ['description', content.description],
    ['source', content.source],
  ]);
  for (const input of content.inputs) {
    fields.set(`inputs.${input.name}.type`, input.type);
    fields.set(`inputs.${input.name}.default`, input.default);
  }
  return fields;
}

/** A kind's blame subject (its HEAD content, absent once deleted), checked here, stored untyped in the registry below. */
function subject<State, Event extends DomainEvent, Content>(
  typed: BlameSubject<State, Event, Content>,
): BlameSubject<unknown, DomainEvent, unknown> {
  return typed as unknown as BlameSubject<unknown, DomainEvent, unknown>;
}

/** Every versioned component kind, by its kind name (`ComponentKind.kind`). */
export const BLAME_SUBJECTS: Readonly<Record<string, BlameSubject<unknown, DomainEvent, unknown>>> = {
  [MULTI_CLOUD_IMAGE_KIND]: subject({ decider: multiCloudImageDecider, content: headContent, fields: multiCloudImageFields }),
  [SERVER_TEMPLATE_KIND]: subject({ decider: serverTemplateDecider, content: headContent, fields: serverTemplateFields }),
  [RIGHT_SCRIPT_KIND]: subject({ decider: rightScriptDecider, content: headContent, fields: rightScriptFields }),
};
