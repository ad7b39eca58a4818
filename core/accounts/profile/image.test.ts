import { describe, expect, test } from "bun:test";
import { AppError, AVATAR_MEDIA_TYPES, ValidationError } from "@bazaar/contracts";
import { inspectImage, sniffImageType } from "./image.ts";
import {
  base64Bytes,
  concatBytes,
  EXIF_WITH_GPS,
  GIF_LOOP,
  gif,
  gifComment,
  jpeg,
  jpegSegment,
  png,
  pngCarrying,
  pngChunk,
  riffChunk,
  WEBP_LOSSLESS_BASE64,
  WEBP_LOSSY_BASE64,
  webpExtended,
  webpFrom,
} from "./test-images.ts";

const text = (s: string) => new TextEncoder().encode(s);
const latin1 = (bytes: Uint8Array) => Buffer.from(bytes).toString("latin1");

function refusal(run: () => unknown): AppError {
  try {
    run();
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error("expected a refusal");
}

describe("accepted images: type, size and frames read from the headers", () => {
  const cases: [string, Uint8Array, string, [number, number, number]][] = [
    ["PNG", png({ width: 3, height: 2 }), "image/png", [3, 2, 1]],
    ["JPEG", jpeg(), "image/jpeg", [2, 2, 1]],
    ["lossy WebP", base64Bytes(WEBP_LOSSY_BASE64), "image/webp", [2, 2, 1]],
    ["lossless WebP", base64Bytes(WEBP_LOSSLESS_BASE64), "image/webp", [2, 2, 1]],
    ["extended WebP", webpExtended({ canvas: [2, 2] }), "image/webp", [2, 2, 1]],
    ["GIF", gif({ width: 1, height: 1 }), "image/gif", [1, 1, 1]],
    ["animated GIF", gif({ frames: 3, extensions: [GIF_LOOP] }), "image/gif", [1, 1, 3]],
  ];
  for (const [name, bytes, type, [width, height, frames]] of cases) {
    test(`${name} → ${type}, ${width}×${height}, ${frames} frame(s), bytes unchanged when there is nothing to strip`, () => {
      expect(sniffImageType(bytes)).toBe(type as never);
      const image = inspectImage(bytes, `${type}; charset=binary`);
      expect([image.type, image.width, image.height, image.frames]).toEqual([type as never, width, height, frames]);
      expect(image.bytes).toEqual(bytes);
    });
  }
});

describe("metadata and trailing bytes are not kept", () => {
  test("JPEG: EXIF (with its GPS position) and comments go; the image's own segments stay", () => {
    const plain = jpeg();
    const tagged = jpeg({ segments: [EXIF_WITH_GPS, jpegSegment(0xfe, text("shot at home"))], trailing: text("PK\x03\x04 a zip after EOI") });
    const image = inspectImage(tagged, "image/jpeg");
    expect(image.bytes).toEqual(plain);
    expect(latin1(image.bytes)).not.toContain("GPS");
  });

  test("JPEG: an ICC profile (APP2) is kept, it changes the colours", () => {
    const icc = jpegSegment(0xe2, concatBytes(text("ICC_PROFILE\0"), [1, 1], text("profile")));
    expect(latin1(inspectImage(jpeg({ segments: [icc] }), "image/jpeg").bytes)).toContain("ICC_PROFILE");
  });

  test("PNG: text chunks go, as does anything after IEND", () => {
    const tagged = png({ extra: [pngChunk("tEXt", text("Comment\0my address")), pngChunk("eXIf", text("MM\0*GPS"))], trailing: text("<zip>") });
    expect(inspectImage(tagged, "image/png").bytes).toEqual(png());
  });

  test("GIF: comments go; the looping extension stays; nothing after the trailer", () => {
    const tagged = gif({ frames: 2, extensions: [GIF_LOOP, gifComment("my address")], trailing: text("PK\x03\x04") });
    expect(inspectImage(tagged, "image/gif").bytes).toEqual(gif({ frames: 2, extensions: [GIF_LOOP] }));
  });

  test("WebP: EXIF and XMP chunks go, their VP8X flags are cleared and the RIFF size matches", () => {
    const image = inspectImage(webpExtended({ metadata: true }), "image/webp");
    expect(image.bytes).toEqual(webpExtended());
    expect(new DataView(image.bytes.buffer).getUint32(4, true)).toBe(image.bytes.length - 8);
  });

  test("WebP: bytes past the RIFF size are dropped", () => {
    const lossy = base64Bytes(WEBP_LOSSY_BASE64);
    expect(inspectImage(concatBytes(lossy, text("trailer")), "image/webp").bytes).toEqual(lossy);
  });
});

describe("refused", () => {
  test("a type we don't take (SVG, HTML, octet-stream) → 415 before the bytes are looked at", () => {
    for (const type of ["image/svg+xml", "text/html", "application/octet-stream", ""]) {
      expect(refusal(() => inspectImage(png(), type)).code).toBe("UNSUPPORTED_MEDIA_TYPE");
    }
  });

  test("bytes that are no image of ours (SVG, HTML, BMP, text) → 415, whatever they are labelled", () => {
    const bodies = [
      '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
      '<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
      "<!DOCTYPE html><html><script>alert(1)</script></html>",
      "BM\0\0\0\0",
      "just text",
    ];
    for (const body of bodies) {
      for (const type of AVATAR_MEDIA_TYPES) {
        const error = refusal(() => inspectImage(text(body), type));
        expect(error.code).toBe("UNSUPPORTED_MEDIA_TYPE");
        expect(error.detail).toContain("not a PNG, JPEG, WebP or GIF");
      }
    }
  });

  test("a real image labelled as another type → 415 naming both", () => {
    const error = refusal(() => inspectImage(png(), "image/jpeg"));
    expect(error.code).toBe("UNSUPPORTED_MEDIA_TYPE");
    expect(error.detail).toBe("The body is image/png but was sent as image/jpeg");
    expect(refusal(() => inspectImage(jpeg(), "image/gif")).code).toBe("UNSUPPORTED_MEDIA_TYPE");
    expect(refusal(() => inspectImage(gif(), "image/webp")).code).toBe("UNSUPPORTED_MEDIA_TYPE");
  });

  test("polyglots: an image carrying markup anywhere (pixel data, comments, trailer) → 422", () => {
    const polyglots: [Uint8Array, string][] = [
      [pngCarrying("<script>alert(document.cookie)</script>"), "image/png"],
      [png({ extra: [pngChunk("tEXt", text("c\0<html><body onload=alert(1)>"))] }), "image/png"],
      [png({ trailing: text("<!DOCTYPE html><p>hi") }), "image/png"],
      [jpeg({ segments: [jpegSegment(0xfe, text("<svg onload=alert(1)>"))] }), "image/jpeg"],
      [gif({ extensions: [gifComment("<iframe src=x>")] }), "image/gif"],
      [concatBytes(base64Bytes(WEBP_LOSSY_BASE64), text("<?php system($_GET[0]); ?>")), "image/webp"],
      [gif({ trailing: text("javascript:alert(1)") }), "image/gif"],
    ];
    for (const [bytes, type] of polyglots) {
      const error = refusal(() => inspectImage(bytes, type));
      expect(error).toBeInstanceOf(ValidationError);
      expect(error.errors?.[0]?.path).toBe("/");
      expect(error.errors?.[0]?.message).toContain("markup");
    }
  });

  test("the classic GIF/JavaScript polyglot (GIF89a/*…*/=alert(1)) claims a 10799-pixel-wide screen → 422", () => {
    const polyglot = gif({ width: 0x2a2f, height: 10, trailing: text("*/=alert(1);") });
    expect(latin1(polyglot.subarray(0, 8))).toBe("GIF89a/*");
    const error = refusal(() => inspectImage(polyglot, "image/gif"));
    expect(error.code).toBe("VALIDATION_FAILED");
    expect(error.errors?.[0]?.message).toContain("10799");
  });

  test("decompression bombs: a few bytes declaring huge dimensions → 422 naming the limit", () => {
    const bombs: [Uint8Array, string][] = [
      [png({ declared: [100_000, 100_000] }), "image/png"],
      [png({ declared: [4097, 1] }), "image/png"],
      [jpeg({ declared: [65_000, 65_000] }), "image/jpeg"],
      [gif({ width: 5000, height: 5000 }), "image/gif"],
      [webpExtended({ canvas: [16_384, 16_384] }), "image/webp"],
    ];
    for (const [bytes, type] of bombs) {
      expect(bytes.length).toBeLessThan(400);
      const error = refusal(() => inspectImage(bytes, type));
      expect(error.code).toBe("VALIDATION_FAILED");
      expect(error.errors?.[0]?.message).toContain("the limit is 4096×4096");
    }
    expect(inspectImage(png({ declared: [4096, 4096] }), "image/png").width).toBe(4096);
  });

  test("more frames than allowed → 422", () => {
    const error = refusal(() => inspectImage(gif({ frames: 101 }), "image/gif"));
    expect(error.errors?.[0]?.message).toContain("101 frames");
    const apng = png({ extra: [pngChunk("acTL", [0, 0, 0x27, 0x10, 0, 0, 0, 0])] });
    expect(refusal(() => inspectImage(apng, "image/png")).errors?.[0]?.message).toContain("10000 frames");
  });

  test("truncated or broken structure → 422, never a crash", () => {
    const whole = [png(), jpeg(), gif(), base64Bytes(WEBP_LOSSY_BASE64), webpExtended()];
    const types = ["image/png", "image/jpeg", "image/gif", "image/webp", "image/webp"];
    whole.forEach((bytes, i) => {
      // every prefix long enough to be sniffed: none may throw anything but a 422
      for (let end = 14; end < bytes.length; end++) {
        const error = refusal(() => inspectImage(bytes.subarray(0, end), types[i] ?? ""));
        expect(error.status, `${types[i]} cut at ${end}`).toBe(422);
      }
    });
    const corrupt = png();
    corrupt[20] = (corrupt[20] ?? 0) ^ 0xff; // inside IHDR: its CRC no longer matches
    expect(refusal(() => inspectImage(corrupt, "image/png")).status).toBe(422);
    expect(refusal(() => inspectImage(new Uint8Array(), "image/png")).errors?.[0]?.message).toContain("is required");
    const noImage = webpFrom([riffChunk("VP8X", new Uint8Array(10))]);
    expect(refusal(() => inspectImage(noImage, "image/webp")).status).toBe(422);
    expect(refusal(() => inspectImage(png({ extra: [pngChunk("ZZZZ", [1])] }), "image/png")).status).toBe(422);
  });

  test("random bytes behind each signature → 415 or 422, never anything else", () => {
    const signatures = [png().subarray(0, 8), jpeg().subarray(0, 3), text("GIF89a"), concatBytes(text("RIFF"), [0, 1, 0, 0], text("WEBPVP8 "))];
    for (let round = 0; round < 200; round++) {
      for (const signature of signatures) {
        const bytes = concatBytes(signature, crypto.getRandomValues(new Uint8Array(1 + (round % 60))));
        const type = sniffImageType(bytes) ?? "image/png";
        const error = (() => {
          try {
            inspectImage(bytes, type);
            return undefined;
          } catch (e) {
            return e;
          }
        })();
        if (error) expect(error instanceof AppError && [415, 422].includes(error.status)).toBe(true);
      }
    }
  });
});
