import { SafeFetchError, type SafeFetchOptions, safeFetch } from '../http/safe-fetch.js';
import { logger } from '../log.js';

/**
 * Profile photo checks before anything is sent to the provider: a PNG or JPEG, at least 192 px
 * and at most 640×640 px, at most 5 MB. Dimensions come from the file header (PNG IHDR, JPEG
 * SOFn), so only the first bytes are read.
 */
const PHOTO_LIMITS = { minPx: 192, maxPx: 640, maxBytes: 5 * 1024 * 1024 };
const HEAD_BYTES = 256 * 1024;

export interface ImageInfo {
  format: 'png' | 'jpeg';
  width: number;
  height: number;
}

export type ImageCheck =
  | { ok: true; format?: string; width?: number; height?: number; bytes?: number; data?: Buffer }
  | { ok: false; problem: string; refused?: true };

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export function imageInfo(buf: Buffer): ImageInfo | undefined {
  if (
    buf.length >= 24 &&
    buf.subarray(0, 8).equals(PNG_SIGNATURE) &&
    buf.toString('latin1', 12, 16) === 'IHDR'
  ) {
    return { format: 'png', width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
  }
  if (buf.length >= 4 && buf[0] === 0xff && buf[1] === 0xd8) {
    let i = 2;
    while (i + 3 < buf.length) {
      if (buf[i] !== 0xff) return undefined;
      const marker = buf[i + 1] as number;
      if (marker === 0xff) {
        i += 1;
        continue;
      }
      // Standalone markers carry no length.
      if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) {
        i += 2;
        continue;
      }
      const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
      if (isSof) {
        if (i + 9 > buf.length) return undefined;
        return { format: 'jpeg', height: buf.readUInt16BE(i + 5), width: buf.readUInt16BE(i + 7) };
      }
      if (marker === 0xd9 || marker === 0xda) return undefined;
      i += 2 + buf.readUInt16BE(i + 2);
    }
  }
  return undefined;
}

/** What is wrong with an image for a profile photo, or undefined when it fits. */
export function photoProblem(info: ImageInfo | undefined, bytes?: number): string | undefined {
  if (bytes !== undefined && bytes > PHOTO_LIMITS.maxBytes) {
    return `it is ${(bytes / 1024 / 1024).toFixed(1)} MB; the limit is 5 MB`;
  }
  if (!info) return 'it is not a PNG or JPEG image';
  const { width, height } = info;
  if (width < PHOTO_LIMITS.minPx || height < PHOTO_LIMITS.minPx) {
    return `it is ${width}×${height} px; it must be at least ${PHOTO_LIMITS.minPx} px on each side`;
  }
  if (width > PHOTO_LIMITS.maxPx || height > PHOTO_LIMITS.maxPx) {
    return `it is ${width}×${height} px; it must be at most ${PHOTO_LIMITS.maxPx}×${PHOTO_LIMITS.maxPx} px`;
  }
  return undefined;
}

/** All a person is told when the image URL is refused or cannot be fetched, whatever the cause. */
export const IMAGE_REFUSED =
  'could not use that image. Give a public https URL (port 443) of a PNG or JPEG, 192 to 640×640 px, up to 5 MB.';

/**
 * Fetches the image at `url` through the SSRF guard (`src/http/safe-fetch.ts`: https on 443,
 * public addresses only, at most 3 redirects, 5 MB, 10 s) and checks it. Anything the guard
 * refuses, or that cannot be fetched, is one answer (`refused`), so the reply reveals nothing
 * about what lies behind the URL; the reason goes to our logs only. An image that was fetched
 * but does not fit is refused with the reason (it came from a public address). Tests serve
 * images from 127.0.0.1 through the guard's local-only allowlist (`SAFE_FETCH_TEST_ALLOWLIST`).
 */
export async function checkImage(
  url: string,
  options: Partial<Pick<SafeFetchOptions, 'allow' | 'resolve' | 'timeoutMs'>> = {},
): Promise<ImageCheck> {
  try {
    const res = await safeFetch(url, {
      maxBytes: PHOTO_LIMITS.maxBytes,
      timeoutMs: options.timeoutMs ?? 10_000,
      headers: { accept: 'image/png, image/jpeg' },
      ...(options.allow ? { allow: options.allow } : {}),
      ...(options.resolve ? { resolve: options.resolve } : {}),
    });
    const info = imageInfo(res.body.subarray(0, HEAD_BYTES));
    const problem = photoProblem(info, res.body.length);
    if (problem) return { ok: false, problem };
    return { ok: true, ...info, bytes: res.body.length, data: res.body };
  } catch (err) {
    if (!(err instanceof SafeFetchError)) throw err;
    logger.info('profile photo URL refused', { reason: err.code });
    return { ok: false, refused: true, problem: IMAGE_REFUSED };
  }
}
