// Test support: tiny real images, built here byte by byte (PNG, GIF) or kept as the bytes libvips
// encoded (JPEG, WebP: no encoder of ours to build them with), plus the hostile variants tests need.
import { deflateSync } from "node:zlib";

const encoder = new TextEncoder();
const bytesOf = (text: string) => encoder.encode(text);

export function concatBytes(...parts: (Uint8Array | number[])[]): Uint8Array<ArrayBuffer> {
  const arrays = parts.map((p) => (p instanceof Uint8Array ? p : Uint8Array.from(p)));
  const out = new Uint8Array(arrays.reduce((sum, p) => sum + p.length, 0));
  let at = 0;
  for (const part of arrays) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

const u32be = (n: number) => [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
const u32le = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
const u24le = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff];
const u16le = (n: number) => [n & 0xff, (n >>> 8) & 0xff];
const u16be = (n: number) => [(n >>> 8) & 0xff, n & 0xff];

// ---- PNG ----

export function pngChunk(type: string, data: Uint8Array | number[] = []): Uint8Array {
  const body = concatBytes(bytesOf(type), data);
  return concatBytes(u32be(body.length - 4), body, u32be(Bun.hash.crc32(body) >>> 0));
}

/**
 * A real RGBA PNG of `width`×`height` red pixels. `declared` overrides the size IHDR claims (the
 * pixel data stays tiny: a decompression bomb's shape); `extra` chunks go after IHDR.
 */
export function png(options: { width?: number; height?: number; declared?: [number, number]; extra?: Uint8Array[]; trailing?: Uint8Array } = {}) {
  const { width = 2, height = 2 } = options;
  const [w, h] = options.declared ?? [width, height];
  const row = [0, ...Array.from({ length: width }, () => [255, 0, 0, 255]).flat()];
  const raw = Uint8Array.from(Array.from({ length: height }, () => row).flat());
  return concatBytes(
    [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
    pngChunk("IHDR", [...u32be(w), ...u32be(h), 8, 6, 0, 0, 0]),
    ...(options.extra ?? []),
    pngChunk("IDAT", deflateSync(raw)),
    pngChunk("IEND"),
    options.trailing ?? [],
  );
}

/** A PNG whose pixel data is a stored (uncompressed) deflate block, so `payload` sits in IDAT verbatim. */
export function pngCarrying(payload: string): Uint8Array {
  const text = bytesOf(payload);
  const raw = concatBytes([0], text); // one filter byte and a row of `text.length / 4` RGBA pixels, more or less
  const stored = concatBytes([0x78, 0x01, 0x01], u16le(raw.length), u16le(~raw.length & 0xffff), raw, u32be(adler32(raw)));
  const width = Math.floor(text.length / 4);
  return concatBytes(
    [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
    pngChunk("IHDR", [...u32be(width), ...u32be(1), 8, 6, 0, 0, 0]),
    pngChunk("IDAT", stored),
    pngChunk("IEND"),
  );
}

function adler32(data: Uint8Array): number {
  let a = 1;
  let b = 0;
  for (const byte of data) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

// ---- GIF ----

/** A real GIF of `frames` 1×1 frames on a `width`×`height` screen; `extensions` go before the first frame. */
export function gif(options: { width?: number; height?: number; frames?: number; extensions?: Uint8Array[]; trailing?: Uint8Array } = {}) {
  const { width = 1, height = 1, frames = 1 } = options;
  const frame = concatBytes([0x2c, 0, 0, 0, 0, 1, 0, 1, 0, 0], [0x02, 0x02, 0x44, 0x01, 0x00]);
  return concatBytes(
    bytesOf("GIF89a"),
    [...u16le(width), ...u16le(height), 0x80, 0, 0],
    [0xff, 0, 0, 0, 0, 0], // two colours: red, black
    ...(options.extensions ?? []),
    ...Array.from({ length: frames }, () => frame),
    [0x3b],
    options.trailing ?? [],
  );
}

export function gifComment(text: string): Uint8Array {
  const data = bytesOf(text);
  return concatBytes([0x21, 0xfe, data.length], data, [0]);
}

export const GIF_LOOP = concatBytes([0x21, 0xff, 11], bytesOf("NETSCAPE2.0"), [3, 1, 0, 0, 0]);

// ---- JPEG ----

/** 2×2 baseline JPEG as libvips encoded it. */
export const JPEG_BASE64 =
  "/9j/2wBDAAYEBQYFBAYGBQYHBwYIChAKCgkJChQODwwQFxQYGBcUFhYaHSUfGhsjHBYWICwgIyYnKSopGR8tMC0oMCUoKSj/2wBDAQcHBwoIChMKChMoGhYaKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCj/wAARCAACAAIDASIAAhEBAxEB/8QAFQABAQAAAAAAAAAAAAAAAAAAAAf/xAAUEAEAAAAAAAAAAAAAAAAAAAAA/8QAFQEBAQAAAAAAAAAAAAAAAAAABgf/xAAUEQEAAAAAAAAAAAAAAAAAAAAA/9oADAMBAAIRAxEAPwCXADS2v//Z";

export function jpegSegment(marker: number, data: Uint8Array): Uint8Array {
  return concatBytes([0xff, marker], u16be(data.length + 2), data);
}

/** The JPEG with `segments` after SOI, its frame header claiming `declared`, and `trailing` after EOI. */
export function jpeg(options: { segments?: Uint8Array[]; declared?: [number, number]; trailing?: Uint8Array } = {}) {
  const base = Uint8Array.from(Buffer.from(JPEG_BASE64, "base64"));
  if (options.declared) {
    const sof = base.findIndex((b, i) => b === 0xff && base[i + 1] === 0xc0);
    base.set([...u16be(options.declared[1]), ...u16be(options.declared[0])], sof + 5);
  }
  return concatBytes(base.subarray(0, 2), ...(options.segments ?? []), base.subarray(2), options.trailing ?? []);
}

export const EXIF_WITH_GPS = jpegSegment(0xe1, concatBytes(bytesOf("Exif\0\0MM\0*"), bytesOf("GPS 38.7223N 9.1393W")));

// ---- WebP ----

/** 2×2 lossy (VP8) and lossless (VP8L) WebP as libvips encoded them. */
export const WEBP_LOSSY_BASE64 = "UklGRjwAAABXRUJQVlA4IDAAAADQAQCdASoCAAIAAUAmJaACdLoB+AADsAD+9hNf/izkYjs83/4E78Cd+BO/8AAAAAA=";
export const WEBP_LOSSLESS_BASE64 = "UklGRh4AAABXRUJQVlA4TBEAAAAvAUAAAAdQhSJXof+BiOh/AAA=";

export function riffChunk(fourcc: string, data: Uint8Array): Uint8Array {
  return concatBytes(bytesOf(fourcc), u32le(data.length), data, data.length & 1 ? [0] : []);
}

export function webpFrom(chunks: Uint8Array[], trailing: Uint8Array = new Uint8Array()): Uint8Array {
  const body = concatBytes(bytesOf("WEBP"), ...chunks);
  return concatBytes(bytesOf("RIFF"), u32le(body.length), body, trailing);
}

/** The lossy image's VP8 chunk, as it is in the file. */
export function vp8Chunk(): Uint8Array {
  return Uint8Array.from(Buffer.from(WEBP_LOSSY_BASE64, "base64")).subarray(12);
}

/** An extended WebP (VP8X) around the lossy image, with EXIF and XMP flagged, on a canvas of `canvas` pixels. */
export function webpExtended(options: { canvas?: [number, number]; metadata?: boolean } = {}) {
  const [w, h] = options.canvas ?? [2, 2];
  const flags = options.metadata ? 0x08 | 0x04 : 0;
  const chunks = [riffChunk("VP8X", Uint8Array.from([flags, 0, 0, 0, ...u24le(w - 1), ...u24le(h - 1)])), vp8Chunk()];
  if (options.metadata) chunks.push(riffChunk("EXIF", bytesOf("MM\0*GPS 38.7223N 9.1393W")), riffChunk("XMP ", bytesOf("<x:xmpmeta>Ada</x:xmpmeta>")));
  return webpFrom(chunks);
}

export const base64Bytes = (base64: string) => Uint8Array.from(Buffer.from(base64, "base64"));
