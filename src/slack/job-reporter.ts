import type { WebClient } from '@slack/web-api';
import { clock } from '../clock.js';
import type { ReportTo, SlackMessage } from '../jobs/model.js';
import { logger } from '../log.js';

const RESPONSE_URL_USES = 5;

/** A message whose text is also its one section (3,000 characters at most), unless it has blocks. */
function withBlocks(message: SlackMessage): SlackMessage {
  if (message.blocks) return message;
  const text = message.text.length > 3000 ? `${message.text.slice(0, 2999)}…` : message.text;
  return { ...message, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}

/**
 * Reports a job's progress in Slack: one progress message kept current with chat.update, and
 * follow-ups in its thread. When the bot cannot post in the channel (a private channel or DM it
 * is not in), the command's response_url is used while valid, then a DM to the requester.
 */
export class SlackReporter {
  constructor(
    private readonly client: () => Promise<WebClient>,
    readonly report: ReportTo,
    private readonly now: () => number = clock.now,
    /** A line under every card (its short reference and who asked), in mrkdwn, already escaped. */
    private readonly footer?: string,
  ) {}

  /** The last card sent in this run, so an unchanged card is not sent again. */
  private lastCard: string | undefined;

  /**
   * Updates the job's card (posting it the first time). Every update carries full blocks: Slack
   * keeps a message's old blocks when an update omits them, and the card would lie.
   */
  async progress(input: SlackMessage): Promise<void> {
    const message = this.withFooter(withBlocks(input));
    const key = JSON.stringify(message);
    if (key === this.lastCard && this.report.progressTs) return;
    this.lastCard = key;
    const client = await this.client();
    if (this.report.progressTs) {
      try {
        await client.chat.update({ channel: this.report.channel, ts: this.report.progressTs, ...message });
        return;
      } catch (err) {
        logger.warn('progress update failed; posting anew', { error: err as Error });
      }
    }
    const ts = await this.postAnywhere(client, message, this.report.threadTs);
    if (ts) {
      this.report.progressTs = ts;
      this.report.threadTs ??= ts;
    }
  }

  private withFooter(message: SlackMessage): SlackMessage {
    const blocks = message.blocks ?? [];
    if (!this.footer || blocks.length >= 50) return message;
    return {
      ...message,
      blocks: [...blocks, { type: 'context', elements: [{ type: 'mrkdwn', text: this.footer }] }],
    };
  }

  async post(message: SlackMessage): Promise<void> {
    const client = await this.client();
    await this.postAnywhere(client, message, this.report.threadTs ?? this.report.progressTs);
  }

  /**
   * An answer for the person who asked (a read-only query): ephemeral, through the command's
   * response_url while it is valid, else chat.postEphemeral, else a DM.
   */
  async answer(message: SlackMessage): Promise<void> {
    if (await this.viaResponseUrl(withBlocks(message), 'ephemeral').catch(() => false)) return;
    await this.ephemeral(message);
  }

  /** A link to a message (a job's card and its thread), or undefined when Slack has none. */
  async permalink(channel: string, ts: string): Promise<string | undefined> {
    try {
      const client = await this.client();
      const res = await client.chat.getPermalink({ channel, message_ts: ts });
      return res.permalink;
    } catch {
      return undefined;
    }
  }

  async ephemeral(message: SlackMessage): Promise<void> {
    const client = await this.client();
    try {
      await client.chat.postEphemeral({ channel: this.report.channel, user: this.report.userId, ...message });
    } catch {
      if (await this.viaResponseUrl(message, 'ephemeral')) return;
      await client.chat.postMessage({ channel: this.report.userId, ...message });
    }
  }

  private async postAnywhere(
    client: WebClient,
    message: SlackMessage,
    threadTs?: string,
  ): Promise<string | undefined> {
    try {
      const res = await client.chat.postMessage({
        channel: this.report.channel,
        ...message,
        ...(threadTs ? { thread_ts: threadTs } : {}),
      });
      return res.ts;
    } catch (err) {
      const code = (err as { data?: { error?: string } }).data?.error;
      // UNCONFIRMED(slack.hidden-channel-error): a private channel or DM the bot is not in answers one of these.
      if (code !== 'channel_not_found' && code !== 'not_in_channel' && code !== 'is_archived') throw err;
      if (await this.viaResponseUrl(message, 'in_channel')) return undefined;
      const res = await client.chat.postMessage({ channel: this.report.userId, ...message });
      this.report.channel = res.channel ?? this.report.userId;
      return res.ts;
    }
  }

  private async viaResponseUrl(message: SlackMessage, type: 'in_channel' | 'ephemeral'): Promise<boolean> {
    const { responseUrl, responseUrlUntil, responseUrlUses = 0 } = this.report;
    if (
      !responseUrl ||
      !responseUrlUntil ||
      responseUrlUntil < this.now() ||
      responseUrlUses >= RESPONSE_URL_USES
    ) {
      return false;
    }
    this.report.responseUrlUses = responseUrlUses + 1;
    const res = await fetch(responseUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ response_type: type, ...message }),
      signal: AbortSignal.timeout(5_000),
    });
    return res.ok;
  }
}
