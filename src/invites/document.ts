import type { PDFDocument } from 'pdf-lib';
import { z } from 'zod';
import { UserError } from '../errors.js';
import { refusalSentence, SafeFetchError, safeFetch, testAllowlist } from '../http/safe-fetch.js';
import { logger } from '../log.js';
import type { FieldInput } from '../providers/cm-sign/schemas.js';
import { slackClientFor } from '../slack/tenant-client.js';
import type { TenantId } from '../store/keys.js';

/**
 * The document a signing invite carries: a PDF posted in Slack, a PDF behind an https URL, or a
 * CM.com Sign template (which holds its own document and field positions).
 */
export const DocumentSource = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('slack-file'), fileId: z.string().regex(/^F[A-Z0-9]{2,30}$/) }),
  z.object({ kind: z.literal('url'), url: z.string().url().max(2000) }),
  z.object({ kind: z.literal('template'), templateId: z.string().regex(/^[A-Za-z0-9-]{1,64}$/) }),
]);
export type DocumentSource = z.output<typeof DocumentSource>;

/** CM.com Sign's dashboard limit per document. UNCONFIRMED(cm-sign.upload-limit): the API's own limit. */
const MAX_PDF_BYTES = 10 * 1024 * 1024;
const FETCH_TIMEOUT_MS = 15_000;

export type DocumentProblem =
  | 'not_pdf'
  | 'too_large'
  | 'unreachable'
  | 'not_https'
  | 'slack_file_hidden'
  | 'unknown_template';

/** A document that cannot be used; the message says why, and that nothing was created. */
export class DocumentError extends UserError {
  override readonly name = 'DocumentError';
  constructor(
    readonly problem: DocumentProblem,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`${message} Nothing was created at CM.com Sign.`, `document_${problem}`, options);
  }
}

/** Slack sends links as `<url>` or `<url|label>` with `&amp;` escaped; people paste them bare. */
function unwrapLink(raw: string): string {
  const v = raw.trim();
  const inner = v.startsWith('<') && v.endsWith('>') ? (v.slice(1, -1).split('|')[0] ?? '') : v;
  return inner.replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>');
}

/**
 * A Slack file link to its file id: permalinks (`https://team.slack.com/files/U…/F…/name.pdf`),
 * private URLs (`https://files.slack.com/files-pri/T…-F…/name.pdf`) or a bare `F…` id.
 */
export function slackFileId(raw: string): string | undefined {
  const v = unwrapLink(raw);
  if (/^F[A-Z0-9]{2,30}$/.test(v)) return v;
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && !testAllowlist().includes(url.origin)) return undefined;
  const parts = url.pathname.split('/').filter(Boolean);
  const files = parts.indexOf('files');
  if (files !== -1 && /^F[A-Z0-9]{2,30}$/.test(parts[files + 2] ?? '')) return parts[files + 2];
  const pri = parts.findIndex((p) => p === 'files-pri' || p === 'files-tmb');
  const m = pri !== -1 ? /^[TE][A-Z0-9]+-(F[A-Z0-9]{2,30})$/.exec(parts[pri + 1] ?? '') : null;
  return m?.[1];
}

/** A `--url` value: https only (or a test/local allowlisted origin), unwrapped from Slack's form. */
export function documentUrl(raw: string): { ok: true; url: string } | { ok: false; problem: string } {
  const v = unwrapLink(raw);
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    return { ok: false, problem: `${JSON.stringify(v.slice(0, 100))} is not a URL` };
  }
  if (url.protocol !== 'https:' && !testAllowlist().includes(url.origin)) {
    return { ok: false, problem: 'the document URL must start with https://' };
  }
  if (url.username || url.password)
    return { ok: false, problem: 'the document URL must not carry a password' };
  return { ok: true, url: url.toString() };
}

export interface PdfInfo {
  pages: number;
  /** Size of the last page in points, where the signature goes. */
  lastPage: { width: number; height: number };
}

/** A PDF CM.com Sign can take: the `%PDF-` header, parseable, at least one page, at most 10 MB. */
async function inspectPdf(bytes: Buffer): Promise<PdfInfo> {
  if (bytes.length > MAX_PDF_BYTES) {
    throw new DocumentError('too_large', `That PDF is ${mb(bytes.length)}; CM.com Sign takes at most 10 MB.`);
  }
  if (bytes.subarray(0, 5).toString('latin1') !== '%PDF-') {
    throw new DocumentError('not_pdf', 'That document is not a PDF; CM.com Sign signs PDF documents.');
  }
  let doc: PDFDocument;
  try {
    // Loaded only when a PDF is checked: the worker's other jobs do not pay for it.
    const { PDFDocument } = await import('pdf-lib');
    doc = await PDFDocument.load(bytes, { updateMetadata: false, ignoreEncryption: false });
  } catch (err) {
    throw new DocumentError('not_pdf', 'That PDF could not be read (damaged or encrypted).', { cause: err });
  }
  // The page tree is read only here, and a broken or cyclic one throws whatever pdf-lib meets
  // (a RangeError for a cycle, a TypeError for a missing node): the same PDF fails the same way
  // every time, so it is the document's fault, answered at once, never a step to retry.
  let info: PdfInfo;
  try {
    const pages = doc.getPageCount();
    if (pages < 1) throw new DocumentError('not_pdf', 'That PDF has no pages.');
    const { width, height } = doc.getPage(pages - 1).getSize();
    if (!Number.isFinite(width) || !Number.isFinite(height) || width <= 0 || height <= 0) {
      throw new Error('page without a usable size');
    }
    info = { pages, lastPage: { width, height } };
  } catch (err) {
    if (err instanceof DocumentError) throw err;
    throw new DocumentError('not_pdf', 'That is not a PDF I can read: its pages are broken.', { cause: err });
  }
  return info;
}

const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;

/** Signature box size in points (about 6.3 × 2.1 cm) and its distance from the page edges. */
const SIGNATURE_BOX = { width: 180, height: 60, margin: 72 };

/**
 * The default signature field: on the last page, bottom left, one inch (72 pt) in from the left
 * and bottom edges, 180 × 60 pt. UNCONFIRMED(cm-sign.coordinate-origin): we assume top-left (as
 * the template example's `y: 0` for a top field suggests), so y counts down from the top. If CM
 * measures from the bottom, the box lands one inch below the top of the last page instead:
 * still on the last page, still clear of the edges.
 */
export function signatureField(fileId: string, info: PdfInfo): FieldInput {
  const { width, height } = info.lastPage;
  const box = SIGNATURE_BOX;
  const x = Math.max(0, Math.min(box.margin, width - box.width));
  const y = Math.max(0, height - box.margin - box.height);
  return {
    type: 'signature',
    file: fileId,
    required: true,
    locations: [
      {
        range: String(info.pages),
        unit: 'point',
        x,
        y: Math.round(y * 100) / 100,
        width: box.width,
        height: box.height,
      },
    ],
  };
}

/**
 * Every refusal of the download guard, and every failed download, is one sentence
 * (refusalSentence): the reason is logged, never shown, so the answer cannot map what is behind
 * a URL. A document too large was fetched from a public address and says so.
 */
function fetchProblem(err: unknown, what: string): DocumentError {
  if (err instanceof DocumentError) return err;
  if (err instanceof SafeFetchError && err.code === 'too_large') {
    return new DocumentError('too_large', `${what} is larger than 10 MB, CM.com Sign's limit.`, {
      cause: err,
    });
  }
  logger.info('document download refused or failed', {
    reason: err instanceof SafeFetchError ? err.code : 'error',
    status: err instanceof SafeFetchError ? err.status : undefined,
  });
  return new DocumentError('unreachable', refusalSentence(what), { cause: err });
}

interface SlackFile {
  id: string;
  name?: string;
  mimetype?: string;
  filetype?: string;
  size?: number;
  url_private?: string;
  url_private_download?: string;
}

/**
 * A Slack file, as the bot sees it: `files.info` (needs `files:read`; `file_not_found` when the
 * bot cannot see it), then its private download URL with the bot token in the Authorization
 * header, as Slack requires. The download goes through the same SSRF guard as any URL.
 */
async function fetchSlackFile(tenant: TenantId, fileId: string): Promise<{ bytes: Buffer; name: string }> {
  const client = await slackClientFor(tenant);
  let file: SlackFile | undefined;
  try {
    file = ((await client.files.info({ file: fileId })) as { file?: SlackFile }).file;
  } catch (err) {
    const code = (err as { data?: { error?: string } }).data?.error;
    if (code === 'file_not_found' || code === 'file_deleted' || code === 'access_denied') {
      throw new DocumentError(
        'slack_file_hidden',
        `I cannot see the Slack file \`${fileId}\`: share it in a channel the app is in (or post it here), then try again.`,
        { cause: err },
      );
    }
    throw err;
  }
  const url = file?.url_private_download ?? file?.url_private;
  if (!file || !url) {
    throw new DocumentError('slack_file_hidden', `Slack gave no download for the file \`${fileId}\`.`);
  }
  if (file.size !== undefined && file.size > MAX_PDF_BYTES) {
    throw new DocumentError('too_large', `That file is ${mb(file.size)}; CM.com Sign takes at most 10 MB.`);
  }
  if (file.filetype && file.filetype !== 'pdf' && file.mimetype !== 'application/pdf') {
    throw new DocumentError(
      'not_pdf',
      `That Slack file is a ${file.filetype}, not a PDF; CM.com Sign signs PDFs.`,
    );
  }
  const token = client.token ?? '';
  try {
    const res = await safeFetch(url, {
      maxBytes: MAX_PDF_BYTES,
      timeoutMs: FETCH_TIMEOUT_MS,
      originHeaders: { origin: new URL(url).origin, headers: { authorization: `Bearer ${token}` } },
    });
    return { bytes: res.body, name: file.name ?? 'document.pdf' };
  } catch (err) {
    throw fetchProblem(err, 'That Slack file');
  }
}

async function fetchUrl(url: string): Promise<{ bytes: Buffer; name: string }> {
  try {
    const res = await safeFetch(url, { maxBytes: MAX_PDF_BYTES, timeoutMs: FETCH_TIMEOUT_MS });
    const last = decodeURIComponent(new URL(res.url).pathname.split('/').pop() ?? '') || 'document.pdf';
    return { bytes: res.body, name: /\.pdf$/i.test(last) ? last.slice(0, 200) : 'document.pdf' };
  } catch (err) {
    throw fetchProblem(err, 'That URL');
  }
}

/** The PDF behind a file or URL source, checked. Templates carry their own document. */
export async function fetchDocument(
  tenant: TenantId,
  source: Exclude<DocumentSource, { kind: 'template' }>,
): Promise<{ bytes: Buffer; name: string; info: PdfInfo }> {
  const doc =
    source.kind === 'slack-file' ? await fetchSlackFile(tenant, source.fileId) : await fetchUrl(source.url);
  return { ...doc, info: await inspectPdf(doc.bytes) };
}

/** Words for the thread: which document the invite carries. */
export function describeSource(source: DocumentSource): string {
  switch (source.kind) {
    case 'slack-file':
      return `the Slack file \`${source.fileId}\``;
    case 'url':
      return `the PDF at ${new URL(source.url).host}`;
    case 'template':
      return `the CM.com Sign template \`${source.templateId}\``;
  }
}
