import { AppError, ValidationError } from "@bazaar/contracts";

/** Every image type the inspector can read; each use names the subset it accepts. */
export const IMAGE_MEDIA_TYPES = ["image/png", "image/jpeg", "image/webp", "image/gif"] as const;
export type ImageMediaType = (typeof IMAGE_MEDIA_TYPES)[number];

/** What one kind of upload (an avatar, a product photo) may be. */
export interface ImageLimits<T extends ImageMediaType = ImageMediaType> {
  /** the accepted types; the Content-Type and the bytes must both be one of them, and the same one */
  types: readonly T[];
  /** per side, in pixels: bounds what a decoder allocates, whatever the file's size */
  maxSide: number;
  /** animated PNG, WebP or GIF: at most this many frames (1: no animation) */
  maxFrames: number;
}

/** An upload that passed inspection: what it is, and the bytes worth keeping. */
export interface InspectedImage<T extends ImageMediaType = ImageMediaType> {
  type: T;
  width: number;
  height: number;
  frames: number;
  /** the image without its metadata (EXIF can carry the GPS position of the camera) and without anything after its end */
  bytes: Uint8Array;
}

interface Parsed {
  width: number;
  height: number;
  frames: number;
  bytes: Uint8Array;
}

type Bounds = Pick<ImageLimits, "maxSide" | "maxFrames">;

const NAMES: Record<ImageMediaType, string> = { "image/png": "PNG", "image/jpeg": "JPEG", "image/webp": "WebP", "image/gif": "GIF" };

/**
 * Markup a browser or server might run if the file were ever served as something else. Random
 * compressed data still matches now and then (`<svg ` mostly): about one 2 MiB file in 6,000, one
 * 10 MiB file in 1,300; the refusal says why, and a re-export of the image passes.
 */
const MARKUP = /<(?:script|html|svg|iframe|object|embed|body)[\s>/]|<!doctype\s|<\?php|javascript:/i;

/**
 * Decides whether bytes uploaded as `declaredType` are an image we will store: one of `limits.types`
 * by its own magic bytes, labelled as what it is, carrying no markup, structurally whole, at most
 * `limits.maxSide` pixels a side and `limits.maxFrames` frames — all read from the headers, before
 * any decoder sees the pixels. Throws 415 (wrong or mislabelled type) or 422 (anything else). What
 * it returns to keep is the image's own chunks minus metadata, up to its end marker.
 */
export function inspectImage<T extends ImageMediaType>(bytes: Uint8Array, declaredType: string, limits: ImageLimits<T>): InspectedImage<T> {
  const declared = declaredType.split(";")[0]?.trim().toLowerCase() ?? "";
  if (!isImageType(declared, limits.types))
    throw new AppError("UNSUPPORTED_MEDIA_TYPE", `Send one of ${limits.types.join(", ")}, not "${declaredType || "none"}"`);
  if (bytes.length === 0) throw invalid("is required: send the image bytes as the body");
  const type = sniffImageType(bytes);
  if (!type) throw new AppError("UNSUPPORTED_MEDIA_TYPE", `The body is not a ${namesOf(limits.types)} image`);
  if (type !== declared) throw new AppError("UNSUPPORTED_MEDIA_TYPE", `The body is ${type} but was sent as ${declared}`);
  if (MARKUP.test(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1"))) {
    throw invalid("carries HTML or script markup, so it could be read as a web page; send a plain image");
  }
  let parsed: Parsed;
  try {
    parsed = PARSERS[type](bytes, limits);
  } catch (error) {
    // a length field pointing past the end surfaces as a RangeError from DataView or a missing byte
    if (error instanceof RangeError) throw invalid("is truncated or malformed");
    throw error;
  }
  const { width, height, frames } = parsed;
  if (width < 1 || height < 1) throw invalid("has no pixels");
  if (width > limits.maxSide || height > limits.maxSide) {
    throw invalid(`is ${width}×${height} pixels; the limit is ${limits.maxSide}×${limits.maxSide}`);
  }
  if (frames > limits.maxFrames) throw invalid(`has ${frames} frames; the limit is ${limits.maxFrames}`);
  return { type: declared, ...parsed };
}

/** Whether `type` (a bare media type, lower case) is one of `types`. */
export function isImageType<T extends ImageMediaType>(type: string, types: readonly T[]): type is T {
  return (types as readonly string[]).includes(type);
}

/** The type the bytes themselves say, by the WHATWG MIME Sniffing signatures; undefined for anything else. */
export function sniffImageType(bytes: Uint8Array): ImageMediaType | undefined {
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "image/png";
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return "image/jpeg";
  if (ascii(bytes, 0, 6) === "GIF87a" || ascii(bytes, 0, 6) === "GIF89a") return "image/gif";
  if (ascii(bytes, 0, 4) === "RIFF" && ascii(bytes, 8, 6) === "WEBPVP") return "image/webp";
  return undefined;
}

/** "PNG, JPEG or WebP" */
function namesOf(types: readonly ImageMediaType[]): string {
  const names = types.map((type) => NAMES[type]);
  return names.length > 1 ? `${names.slice(0, -1).join(", ")} or ${names.at(-1)}` : (names[0] ?? "");
}

const PARSERS: Record<ImageMediaType, (bytes: Uint8Array, bounds: Bounds) => Parsed> = {
  "image/png": parsePng,
  "image/jpeg": parseJpeg,
  "image/gif": parseGif,
  "image/webp": parseWebp,
};

function invalid(message: string): ValidationError {
  return new ValidationError([{ path: "/", message: `the image ${message}` }]);
}

function malformed(why: string): RangeError {
  return new RangeError(why);
}

// ---- PNG (RFC 2083, APNG) ----

/** Chunks that change how the image looks; text, EXIF and time stamps go. */
const PNG_KEPT = new Set(["IHDR", "PLTE", "IDAT", "IEND", "tRNS", "gAMA", "cHRM", "sRGB", "iCCP", "sBIT", "bKGD", "pHYs", "acTL", "fcTL", "fdAT"]);

function parsePng(bytes: Uint8Array): Parsed {
  const view = dataView(bytes);
  const kept: Uint8Array[] = [bytes.subarray(0, 8)];
  let at = 8;
  let width = 0;
  let height = 0;
  let frames = 1;
  let hasData = false;
  for (let index = 0; ; index++) {
    const length = view.getUint32(at);
    const type = ascii(bytes, at + 4, 4);
    const end = at + 12 + length;
    if (end > bytes.length || !/^[A-Za-z]{4}$/.test(type)) throw malformed("chunk runs past the end");
    if (crc32(bytes.subarray(at + 4, at + 8 + length)) !== view.getUint32(at + 8 + length)) throw malformed("chunk checksum");
    if ((index === 0) !== (type === "IHDR")) throw malformed("IHDR must come first, once");
    if (type === "IHDR") {
      if (length !== 13) throw malformed("IHDR length");
      width = view.getUint32(at + 8);
      height = view.getUint32(at + 12);
    }
    if (type === "acTL") frames = view.getUint32(at + 8);
    if (type === "IDAT") hasData = true;
    if (PNG_KEPT.has(type)) kept.push(bytes.subarray(at, end));
    // an unknown critical chunk (upper-case first letter) is one decoders refuse: so do we
    else if (type.charCodeAt(0) < 0x61) throw malformed("unknown critical chunk");
    at = end;
    if (type === "IEND") break;
  }
  if (!hasData) throw malformed("no image data");
  return { width, height, frames, bytes: concat(kept) };
}

// ---- JPEG (ITU T.81, JFIF) ----

const isStartOfFrame = (marker: number) => marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;

/** APP0 (JFIF), APP2 only as an ICC profile, APP14 (Adobe colour transform) matter to decoding; other APPn and COM are metadata. */
function keepJpegSegment(marker: number, bytes: Uint8Array, dataAt: number): boolean {
  if (marker === 0xfe) return false;
  if (marker < 0xe0 || marker > 0xef) return true;
  if (marker === 0xe2) return ascii(bytes, dataAt, 12) === "ICC_PROFILE\0";
  return marker === 0xe0 || marker === 0xee;
}

function parseJpeg(bytes: Uint8Array): Parsed {
  const view = dataView(bytes);
  const kept: Uint8Array[] = [bytes.subarray(0, 2)];
  let at = 2;
  let width = 0;
  let height = 0;
  let scans = 0;
  for (;;) {
    if (byteAt(bytes, at) !== 0xff) throw malformed("expected a marker");
    while (byteAt(bytes, at) === 0xff) at++; // fill bytes
    const marker = byteAt(bytes, at);
    at++;
    if (marker === 0xd9) {
      kept.push(Uint8Array.of(0xff, 0xd9));
      break;
    }
    if (marker === 0x00 || marker === 0xd8) throw malformed("unexpected marker");
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      kept.push(Uint8Array.of(0xff, marker));
      continue;
    }
    const length = view.getUint16(at);
    const end = at + length;
    if (length < 2 || end > bytes.length) throw malformed("segment runs past the end");
    if (isStartOfFrame(marker)) {
      if (length < 8) throw malformed("SOF length");
      height = view.getUint16(at + 3);
      width = view.getUint16(at + 5);
    }
    if (keepJpegSegment(marker, bytes, at + 2)) kept.push(Uint8Array.of(0xff, marker), bytes.subarray(at, end));
    at = end;
    if (marker === 0xda) {
      if (!width) throw malformed("scan before frame header");
      scans++;
      // entropy-coded data runs to the next marker that is neither a stuffed 0xFF00 nor a restart marker
      let scan = at;
      for (;;) {
        scan = bytes.indexOf(0xff, scan);
        if (scan < 0) throw malformed("scan runs past the end");
        const next = byteAt(bytes, scan + 1);
        if (next === 0x00 || (next >= 0xd0 && next <= 0xd7)) scan += 2;
        else if (next === 0xff) scan += 1;
        else break;
      }
      kept.push(bytes.subarray(at, scan));
      at = scan;
    }
  }
  if (!scans) throw malformed("no scan");
  return { width, height, frames: 1, bytes: concat(kept) };
}

// ---- GIF (GIF89a) ----

/** Application extensions that animate; any other (XMP among them) is metadata. */
const GIF_KEPT_APPLICATIONS = new Set(["NETSCAPE2.0", "ANIMEXTS1.0"]);

function parseGif(bytes: Uint8Array, bounds: Bounds): Parsed {
  const view = dataView(bytes);
  const width = view.getUint16(6, true);
  const height = view.getUint16(8, true);
  const flags = byteAt(bytes, 10);
  let at = 13 + colourTableSize(flags);
  const kept: Uint8Array[] = [bytes.subarray(0, at)];
  let frames = 0;
  for (;;) {
    const block = byteAt(bytes, at);
    if (block === 0x3b) {
      kept.push(Uint8Array.of(0x3b));
      break;
    }
    if (block === 0x21) {
      const label = byteAt(bytes, at + 1);
      const end = skipSubBlocks(bytes, at + 2);
      const keep = label === 0xf9 || (label === 0xff && byteAt(bytes, at + 2) === 11 && GIF_KEPT_APPLICATIONS.has(ascii(bytes, at + 3, 11)));
      if (keep) kept.push(bytes.subarray(at, end));
      at = end;
    } else if (block === 0x2c) {
      frames++;
      if (frames > bounds.maxFrames) return { width, height, frames, bytes }; // refused by the caller; no need to read on
      const frameWidth = view.getUint16(at + 5, true);
      const frameHeight = view.getUint16(at + 7, true);
      if (frameWidth > bounds.maxSide || frameHeight > bounds.maxSide) return { width: frameWidth, height: frameHeight, frames, bytes };
      const dataAt = at + 10 + colourTableSize(byteAt(bytes, at + 9));
      byteAt(bytes, dataAt); // the LZW minimum code size
      const end = skipSubBlocks(bytes, dataAt + 1);
      kept.push(bytes.subarray(at, end));
      at = end;
    } else {
      throw malformed("unknown block");
    }
  }
  if (!frames) throw malformed("no image");
  return { width, height, frames, bytes: concat(kept) };
}

function colourTableSize(flags: number): number {
  return flags & 0x80 ? 3 * 2 ** ((flags & 0x07) + 1) : 0;
}

function skipSubBlocks(bytes: Uint8Array, from: number): number {
  let at = from;
  for (;;) {
    const size = byteAt(bytes, at);
    at += 1 + size;
    if (size === 0) return at;
  }
}

// ---- WebP (RIFF container) ----

/** Chunks of an extended WebP that draw it; EXIF, XMP and unknown chunks go. */
const WEBP_KEPT = new Set(["VP8X", "ICCP", "ANIM", "ANMF", "ALPH", "VP8 ", "VP8L"]);
const VP8X_EXIF = 0x08;
const VP8X_XMP = 0x04;

function parseWebp(bytes: Uint8Array, bounds: Bounds): Parsed {
  const view = dataView(bytes);
  const riffEnd = 8 + view.getUint32(4, true);
  if (riffEnd > bytes.length) throw malformed("RIFF size runs past the end");
  const chunks: { fourcc: string; at: number; data: number; size: number; end: number }[] = [];
  for (let at = 12; at < riffEnd; ) {
    const size = view.getUint32(at + 4, true);
    const end = at + 8 + size + (size & 1);
    if (at + 8 + size > riffEnd) throw malformed("chunk runs past the end");
    chunks.push({ fourcc: ascii(bytes, at, 4), at, data: at + 8, size, end: Math.min(end, riffEnd) });
    at = end;
  }
  const first = chunks[0];
  if (!first) throw malformed("no chunks");
  let width: number;
  let height: number;
  let frames = 1;
  let keptChunks = chunks;
  if (first.fourcc === "VP8 ") {
    if (first.size < 10 || ascii(bytes, first.data + 3, 3) !== "\x9d\x01\x2a") throw malformed("VP8 start code");
    width = view.getUint16(first.data + 6, true) & 0x3fff;
    height = view.getUint16(first.data + 8, true) & 0x3fff;
    keptChunks = [first];
  } else if (first.fourcc === "VP8L") {
    if (first.size < 5 || byteAt(bytes, first.data) !== 0x2f) throw malformed("VP8L signature");
    const bits = view.getUint32(first.data + 1, true);
    width = (bits & 0x3fff) + 1;
    height = ((bits >>> 14) & 0x3fff) + 1;
    keptChunks = [first];
  } else if (first.fourcc === "VP8X") {
    if (first.size < 10) throw malformed("VP8X length");
    width = uint24(bytes, first.data + 4) + 1;
    height = uint24(bytes, first.data + 7) + 1;
    keptChunks = chunks.filter((c) => WEBP_KEPT.has(c.fourcc));
    const animation = keptChunks.filter((c) => c.fourcc === "ANMF");
    if (animation.length) frames = animation.length;
    if (!animation.length && !keptChunks.some((c) => c.fourcc === "VP8 " || c.fourcc === "VP8L")) throw malformed("no image");
    for (const frame of animation) {
      if (uint24(bytes, frame.data + 6) + 1 > bounds.maxSide || uint24(bytes, frame.data + 9) + 1 > bounds.maxSide) {
        return { width: uint24(bytes, frame.data + 6) + 1, height: uint24(bytes, frame.data + 9) + 1, frames, bytes };
      }
    }
  } else {
    throw malformed("unknown first chunk");
  }
  const body = keptChunks.map((c) => bytes.slice(c.at, c.end));
  const extended = body[0];
  // the VP8X flags must not announce the EXIF or XMP chunks we dropped
  if (first.fourcc === "VP8X" && extended) extended[8] = byteAt(extended, 8) & ~(VP8X_EXIF | VP8X_XMP);
  const size = 4 + body.reduce((sum, c) => sum + c.length, 0);
  const header = new Uint8Array(12);
  header.set(bytes.subarray(0, 4));
  new DataView(header.buffer).setUint32(4, size, true);
  header.set(bytes.subarray(8, 12), 8);
  return { width, height, frames, bytes: concat([header, ...body]) };
}

// ---- bytes ----

function dataView(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** A byte that must exist: past the end is a truncated file. */
function byteAt(bytes: Uint8Array, at: number): number {
  const value = bytes[at];
  if (value === undefined) throw malformed("truncated");
  return value;
}

function uint24(bytes: Uint8Array, at: number): number {
  return byteAt(bytes, at) | (byteAt(bytes, at + 1) << 8) | (byteAt(bytes, at + 2) << 16);
}

function ascii(bytes: Uint8Array, at: number, length: number): string {
  return String.fromCharCode(...bytes.subarray(at, at + length));
}

function startsWith(bytes: Uint8Array, prefix: number[]): boolean {
  return prefix.every((b, i) => bytes[i] === b);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function crc32(bytes: Uint8Array): number {
  return Bun.hash.crc32(bytes) >>> 0;
}
