import { UserError } from '../errors.js';
import type { JobKind } from '../jobs/kinds.js';
import type { SlackMessage, StepResult } from '../jobs/model.js';
import { esc } from '../slack/mrkdwn.js';
import { backendFor } from './backends.js';
import { checkImage } from './image.js';
import { deploymentTaskKind, type TaskPayload, taskPayload } from './kinds.js';

import { profileMessage, progressMessage, stickerpacksMessage } from './messages.js';
import { getRecord, updateRecordState } from './records.js';

/**
 * One-shot deployment requests that talk to the provider (a read is a provider call too, so
 * it never runs on the ack path): status, profile, photo, stickerpacks.
 */

export const deploymentTaskJob: JobKind<TaskPayload> = {
  kind: deploymentTaskKind.id,
  payload: taskPayload,
  async step(job, io) {
    const p = job.payload;
    const id = p.deploymentId;
    // Tasks queued before there was a choice carry no backend: the record knows it.
    const via = p.via ?? (await getRecord(job.tenant, id))?.via ?? 'vonage';
    const backend = await backendFor(job.tenant, via);
    // Read-only queries answer the asker alone, with a link to the deployment's card and thread;
    // only changes are posted in the channel.
    const answer = async (message: SlackMessage): Promise<StepResult> => {
      const card = 'card' in p ? p.card : undefined;
      const link = card ? await io.permalink(card.channel, card.ts) : undefined;
      const more = link ? `<${link}|Open the deployment's card and its thread>` : undefined;
      await io.answer({
        text: more ? `${message.text}\n${more}` : message.text,
        blocks: [
          ...(message.blocks ?? []),
          ...(more
            ? [{ type: 'context' as const, elements: [{ type: 'mrkdwn' as const, text: more }] }]
            : []),
        ],
      });
      return { type: 'done' };
    };
    switch (p.op) {
      case 'status': {
        const got = await backend.get(id);
        const dep = got.title
          ? { ...got, detail: [`${backend.label} says ${got.title}`, got.detail].filter(Boolean).join(': ') }
          : got;
        await updateRecordState(job.tenant, id, { state: dep.state, detail: dep.detail });
        const where =
          dep.countryCode && dep.number
            ? `+${dep.countryCode}${'•'.repeat(Math.max(3, dep.number.length - 2))}${dep.number.slice(-2)}`
            : 'its number';
        const status = progressMessage({ id, phone: where, state: dep.state, detail: dep.detail });
        if (!dep.facts?.length) return answer(status);
        const facts = dep.facts.map(([k, v]) => `*${esc(k)}:* ${esc(v)}`).join('\n');
        return answer({
          text: `${status.text}\n${facts}`,
          blocks: [...(status.blocks ?? []), { type: 'section', text: { type: 'mrkdwn', text: facts } }],
        });
      }
      case 'profile-get':
        return answer(profileMessage(id, await backend.getProfile(id)));
      case 'profile-update':
        return { type: 'done', progress: profileMessage(id, await backend.updateProfile(id, p.patch), true) };
      case 'photo': {
        const checked = await checkImage(p.imageUrl);
        if (!checked.ok) {
          // A refused URL gets the one fixed sentence: nothing about what answered, or did not.
          throw new UserError(
            checked.refused
              ? checked.problem
              : `the image at ${p.imageUrl} cannot be a profile photo: ${checked.problem}`,
          );
        }
        await backend.setPhoto(
          id,
          p.imageUrl,
          checked.data
            ? { bytes: checked.data, type: checked.format === 'png' ? 'image/png' : 'image/jpeg' }
            : undefined,
        );
        const seen = checked.width ? ` (${checked.format} ${checked.width}×${checked.height})` : '';
        return {
          type: 'done',
          progress: {
            text: `:frame_with_picture: Profile photo of deployment \`${id}\` set from ${esc(p.imageUrl)}${seen}.`,
          },
        };
      }
      case 'stickerpacks':
        return answer(stickerpacksMessage(id, await backend.listStickerpacks(id)));
      case 'stickerpack-create': {
        const created = await backend.createStickerpack(id, p.pack);
        return {
          type: 'done',
          progress: stickerpacksMessage(
            id,
            created.length ? created : [{ name: p.pack.name, publisher: p.pack.publisher }],
            true,
          ),
        };
      }
    }
  },
  readOnly: (job) => ['status', 'profile-get', 'stickerpacks'].includes(job.payload.op),
  failureMessage(job, reason) {
    return { text: `:x: ${esc(job.subject)}: ${reason}` };
  },
};

export default deploymentTaskJob;
