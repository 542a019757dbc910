import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PDFDocument } from 'pdf-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../src/sandbox/server.js';
import { interaction, sandboxFetch, slackMessages } from '../helpers/slack.js';
import { job, jobIdIn, run, sandboxState, startStack, threadOf } from './helpers.js';

/** A 3-page PDF (A4, 595 × 842 pt), made here so each test knows its bytes. */
async function pdf(pages = 3): Promise<Buffer> {
  const doc = await PDFDocument.create();
  for (let i = 0; i < pages; i++) doc.addPage([595, 842]);
  return Buffer.from(await doc.save());
}
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A PDF written object by object, with a correct cross-reference table (PDF 1.7, 7.5). */
function pdfOf(objects: string[]): Buffer {
  let out = '%PDF-1.4\n';
  const offsets: number[] = [];
  for (const [i, o] of objects.entries()) {
    offsets.push(out.length);
    out += `${i + 1} 0 obj\n${o}\nendobj\n`;
  }
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  out += offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('');
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}
/** Parses, but its page tree lists itself among its kids. */
const cyclicPdf = pdfOf([
  '<< /Type /Catalog /Pages 2 0 R >>',
  '<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>',
  '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>',
]);
/** Parses, but its page tree's kids are a number, not an array of pages. */
const brokenTreePdf = pdfOf(['<< /Type /Catalog /Pages 2 0 R >>', '<< /Type /Pages /Kids 7 /Count 1 >>']);
const fetched = new Map<string, number>();

let stack: LocalStack;
let files: Server;
let origin: string;
let contract: Buffer;

beforeAll(async () => {
  contract = await pdf(3);
  files = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    fetched.set(path, (fetched.get(path) ?? 0) + 1);
    if (path === '/cyclic.pdf')
      return res.writeHead(200, { 'content-type': 'application/pdf' }).end(cyclicPdf);
    if (path === '/broken-tree.pdf')
      return res.writeHead(200, { 'content-type': 'application/pdf' }).end(brokenTreePdf);
    if (path === '/contract.pdf')
      return res.writeHead(200, { 'content-type': 'application/pdf' }).end(contract);
    if (path === '/notes.txt') return res.writeHead(200, { 'content-type': 'text/plain' }).end('not a pdf');
    if (path === '/huge.pdf') {
      res.writeHead(200, { 'content-type': 'application/pdf', 'content-length': String(11 * 1024 * 1024) });
      return res.end();
    }
    res.writeHead(404).end('gone');
  });
  await new Promise<void>((r) => files.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
  // The test's file server is allowlisted by origin (test-only; refused in AWS).
  stack = await startStack({ SAFE_FETCH_TEST_ALLOWLIST: origin, INVITES_HTTP_TIMEOUT_MS: '2000' });
});
afterAll(async () => {
  await stack?.close();
  files?.closeAllConnections();
  await new Promise((r) => files?.close(r));
});

const cmSign = async () =>
  (await sandboxState(stack))['cm-sign'] as unknown as {
    dossiers: Array<Record<string, any>>;
    uploads: Array<{ id: string; hash: string; pages: number }>;
  };

async function share(name: string, bytes: Buffer, extra: Record<string, string> = {}) {
  const res = await sandboxFetch(stack.url, '/_sandbox/slack/files', {
    method: 'POST',
    body: JSON.stringify({ name, base64: bytes.toString('base64'), ...extra }),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as { file: { id: string; permalink: string }; messageTs: string };
}

/** Ticks until the job is signed (viewed, then signed): two sandbox steps. */
async function followToSigned(jobId: string) {
  await stack.tick();
  await stack.tick();
  return threadOf(stack, jobId);
}

async function expectOneDossierWith(name: string, bytes: Buffer) {
  const state = await cmSign();
  const dossiers = state.dossiers.filter((d) => d.name === name);
  expect(dossiers).toHaveLength(1);
  const dossier = dossiers[0] as Record<string, any>;
  expect(dossier.files).toHaveLength(1);
  const upload = state.uploads.find((u) => u.id === dossier.files[0].id);
  expect(upload?.hash).toBe(sha(bytes));
  // The default signature field: on the last page of that file, for the invitee.
  const field = dossier.invitees[0].fields[0];
  expect(field).toMatchObject({ type: 'signature', file: dossier.files[0].id });
  expect(field.locations[0].range).toBe(String(upload?.pages));
  expect(dossier.state).toBe('completed');
  expect(dossier.invites).toHaveLength(1);
}

describe('/wa invite sign carries the document', () => {
  it('with --url: the PDF is fetched, uploaded, and the one dossier holding it reaches signed', async () => {
    const reply = await run(
      stack,
      `invite sign "Una Url" una@example.com +31612345676 --url <${origin}/contract.pdf> --dossier "Url contract"`,
    );
    const jobId = jobIdIn(reply.text);
    expect(reply.text).toContain('On it');
    const t = await followToSigned(jobId);
    expect(t.job.state).toBe('succeeded');
    await expectOneDossierWith('Url contract', contract);
  });

  it('with --file: a Slack file link is read through files.info and its private URL', async () => {
    const nda = await pdf(2);
    const shared = await share('nda.pdf', nda);
    const reply = await run(
      stack,
      `invite sign "Fred File" fred@example.com +31612345677 --file <${shared.file.permalink}> --dossier "File contract"`,
    );
    const t = await followToSigned(jobIdIn(reply.text));
    expect(t.job.state).toBe('succeeded');
    await expectOneDossierWith('File contract', nda);
  });

  it('from the message shortcut: a modal asks for the invitee, and the message’s PDF is signed', async () => {
    const lease = await pdf(4);
    const shared = await share('lease.pdf', lease, { text: 'Lease for Sam' });
    const payload = await (
      await sandboxFetch(stack.url, '/_sandbox/slack/shortcut', {
        method: 'POST',
        body: JSON.stringify({ callbackId: 'invite:sign-shortcut', messageTs: shared.messageTs }),
      })
    ).json();
    expect(payload).toMatchObject({ type: 'message_action', callback_id: 'invite:sign-shortcut' });
    expect((await interaction(stack.url, payload)).status).toBe(200);
    const opened = (await slackMessages(stack.url)).filter(
      (m) => m.kind === 'views.open' && m.callback_id === 'invite:sign-modal',
    );
    expect(opened).toHaveLength(1);
    const view = opened[0]?.view as { private_metadata: string };
    const value = (v: string | null) => ({ value: { type: 'plain_text_input', value: v } });

    // A bad number is answered under its field, and nothing starts.
    const before = (await cmSign()).dossiers.length;
    const submit = (phone: string) =>
      interaction(stack.url, {
        type: 'view_submission',
        user: { id: 'U0ADMIN', username: 'ada.admin', name: 'ada.admin', team_id: 'T0SANDBOX' },
        view: {
          id: opened[0]?.view_id,
          type: 'modal',
          callback_id: 'invite:sign-modal',
          private_metadata: view.private_metadata,
          hash: 'h1',
          state: {
            values: {
              invitee: value('Sam Shortcut'),
              email: value('sam@example.com'),
              phone: value(phone),
              remind: value(null),
              expires: value('30'),
            },
          },
        },
      });
    const refused = await submit('0612');
    expect(refused.json).toMatchObject({ response_action: 'errors', errors: { phone: expect.any(String) } });
    await stack.drain();
    expect((await cmSign()).dossiers.length).toBe(before);

    expect((await submit('+31612345679')).status).toBe(200);
    await stack.drain();
    const confirm = (await slackMessages(stack.url)).findLast(
      (m) => m.kind === 'chat.postEphemeral' && /On it/.test(m.text ?? ''),
    );
    const t = await followToSigned(jobIdIn(confirm?.text));
    expect(t.job.state).toBe('succeeded');
    await expectOneDossierWith('lease', lease);
  });

  it('a shortcut on a message without a PDF says so and opens nothing', async () => {
    const shared = await share('photo.png', Buffer.from('png'), { filetype: 'png', mimetype: 'image/png' });
    const payload = await (
      await sandboxFetch(stack.url, '/_sandbox/slack/shortcut', {
        method: 'POST',
        body: JSON.stringify({ callbackId: 'invite:sign-shortcut', messageTs: shared.messageTs }),
      })
    ).json();
    const opens = async () => (await slackMessages(stack.url)).filter((m) => m.kind === 'views.open').length;
    const before = await opens();
    expect((await interaction(stack.url, payload)).status).toBe(200);
    expect(await opens()).toBe(before);
    const said = (await slackMessages(stack.url)).findLast((m) => m.kind === 'response_url');
    expect(said?.text).toContain('carries no PDF');
  });
});

describe('a shortcut on a PDF whose file name would reverse or hide text', () => {
  it.each([
    ['a text-direction override', 'invoice\u202Efdp.exe.pdf', 'U+202E'],
    ['an isolate', 'lease\u2066x.pdf', 'U+2066'],
    ['a zero-width space', 'con\u200Btract.pdf', 'U+200B'],
  ])('%s: refused, opening nothing', async (_what, fileName, code) => {
    const shared = await share(fileName, await pdf(1));
    const payload = await (
      await sandboxFetch(stack.url, '/_sandbox/slack/shortcut', {
        method: 'POST',
        body: JSON.stringify({ callbackId: 'invite:sign-shortcut', messageTs: shared.messageTs }),
      })
    ).json();
    const opens = async () => (await slackMessages(stack.url)).filter((m) => m.kind === 'views.open').length;
    const before = await opens();
    expect((await interaction(stack.url, payload)).status).toBe(200);
    expect(await opens()).toBe(before);
    const said = (await slackMessages(stack.url)).findLast((m) => m.kind === 'response_url');
    expect(said?.text).toContain(`file name contains`);
    expect(said?.text).toContain(`(${code}), which is not allowed`);
  });
});

describe('bad documents are refused and nothing is created at CM.com Sign', () => {
  it('without a document the command is refused before anything starts', async () => {
    const before = await cmSign();
    const reply = await run(stack, 'invite sign "Nora None" nora@example.com +31612345678');
    expect(reply.response_type).toBe('ephemeral');
    expect(reply.text).toMatch(/say what to sign: exactly one of --file/);
    expect(jobIdIn(reply.text)).toBe('');
    const after = await cmSign();
    expect([after.dossiers.length, after.uploads.length]).toEqual([
      before.dossiers.length,
      before.uploads.length,
    ]);
  });

  it('a plain http URL is refused at the command', async () => {
    const reply = await run(
      stack,
      'invite sign "Hal Http" hal@example.com +31612345678 --url http://example.com/a.pdf',
    );
    expect(reply.text).toContain('must start with https://');
    expect(jobIdIn(reply.text)).toBe('');
  });

  it.each([
    ['not a PDF', () => `--url ${origin}/notes.txt`, /not a PDF/],
    ['over 10 MB', () => `--url ${origin}/huge.pdf`, /larger than 10 MB/],
    // One sentence for every refusal and failed download (src/http/safe-fetch.ts refusalSentence).
    [
      'unreachable',
      () => `--url ${origin}/missing.pdf`,
      /That URL could not be fetched: I fetch only public https/,
    ],
    [
      'an IPv6 form of loopback',
      () => '--url https://[::7f00:1]/a.pdf',
      /That URL could not be fetched: I fetch only public https/,
    ],
    ['a cyclic page tree', () => `--url ${origin}/cyclic.pdf`, /not a PDF I can read/],
    ['a page tree whose kids are not pages', () => `--url ${origin}/broken-tree.pdf`, /not a PDF I can read/],
    ['an unknown template', () => '--template 00000000-0000-4000-8000-000000000000', /refused the template/],
  ])(
    '%s: the asker alone hears why, with an Edit button; no card in the channel',
    async (_case, flag, expected) => {
      const before = await cmSign();
      const seen = (await slackMessages(stack.url)).length;
      const reply = await run(stack, `invite sign "Bad Doc" bad@example.com +31612345678 ${flag()}`);
      const j = await job(jobIdIn(reply.text));
      expect(j.state).toBe('failed');
      expect(j.report.progressTs).toBeUndefined();
      const since = (await slackMessages(stack.url)).slice(seen);
      expect(since.filter((m) => m.kind === 'chat.postMessage')).toEqual([]);
      const answer = since.find((m) => m.kind === 'response_url' && expected.test(m.text ?? ''));
      expect(answer?.response_type).toBe('ephemeral');
      expect(answer?.text).toContain('Nothing was created at CM.com Sign');
      const edit = JSON.stringify(answer?.blocks);
      expect(edit).toContain('"action_id":"form:open"');
      expect(edit).toContain('\\"p\\":\\"invite sign\\"');
      expect(edit).toContain('\\"inviteeName\\":\\"Bad Doc\\"');
      const after = await cmSign();
      expect([after.dossiers.length, after.uploads.length]).toEqual([
        before.dossiers.length,
        before.uploads.length,
      ]);
    },
  );

  it('a PDF whose page tree is broken is fetched once, not retried as if the fault were passing', async () => {
    fetched.delete('/cyclic.pdf');
    const reply = await run(
      stack,
      `invite sign "Cy Clic" cy@example.com +31612345678 --url ${origin}/cyclic.pdf`,
    );
    const j = await job(jobIdIn(reply.text));
    for (let i = 0; i < 3; i++) await stack.tick();
    expect((await job(j.id)).state).toBe('failed');
    expect(fetched.get('/cyclic.pdf')).toBe(1);
  });

  it.each([
    ['a Slack file the bot cannot see', { channel: 'G0PRIVATE' }, 'secret.pdf', /cannot see the Slack file/],
    ['a Slack file that is not a PDF', { filetype: 'png', mimetype: 'image/png' }, 'pic.png', /not a PDF/],
  ])('%s: the asker alone hears why', async (_case, extra, name, expected) => {
    const shared = await share(name, await pdf(1), extra as Record<string, string>);
    const before = await cmSign();
    const seen = (await slackMessages(stack.url)).length;
    const reply = await run(
      stack,
      `invite sign "Bad File" badfile@example.com +31612345678 --file ${shared.file.permalink}`,
    );
    const j = await job(jobIdIn(reply.text));
    expect(j.state).toBe('failed');
    const since = (await slackMessages(stack.url)).slice(seen);
    expect(since.filter((m) => m.kind === 'chat.postMessage')).toEqual([]);
    expect(since.find((m) => m.kind === 'response_url' && expected.test(m.text ?? ''))).toBeDefined();
    const after = await cmSign();
    expect([after.dossiers.length, after.uploads.length]).toEqual([
      before.dossiers.length,
      before.uploads.length,
    ]);
  });
});
