import { describe, expect, test } from "bun:test";
import { AppError, ValidationError } from "@bazaar/contracts";
import { IMAGE_MEDIA_TYPES, type ImageLimits, inspectImage, sniffImageType } from "../src/image.ts";
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
  vp8Chunk,
  WEBP_LOSSLESS_BASE64,
  WEBP_LOSSY_BASE64,
  webpExtended,
  webpFrom,
} from "./fixtures/images.ts";

const text = (s: string) => new TextEncoder().encode(s);
const latin1 = (bytes: Uint8Array) => Buffer.from(bytes).toString("latin1");

/** Every type, the avatar's bounds: what the structural tests below run under. */
const ALL: ImageLimits = { types: IMAGE_MEDIA_TYPES, maxSide: 4096, maxFrames: 100 };
/** A product photo's shape of limits: no GIF, no animation. */
const STILL: ImageLimits<"image/png" | "image/jpeg" | "image/webp"> = { types: ["image/png", "image/jpeg", "image/webp"], maxSide: 100, maxFrames: 1 };

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
      const image = inspectImage(bytes, `${type}; charset=binary`, ALL);
      expect([image.type, image.width, image.height, image.frames]).toEqual([type as never, width, height, frames]);
      expect(image.bytes).toEqual(bytes);
    });
  }
});

describe("metadata and trailing bytes are not kept", () => {
  test("JPEG: EXIF (with its GPS position) and comments go; the image's own segments stay", () => {
    const plain = jpeg();
    const tagged = jpeg({ segments: [EXIF_WITH_GPS, jpegSegment(0xfe, text("shot at home"))], trailing: text("PK\x03\x04 a zip after EOI") });
    const image = inspectImage(tagged, "image/jpeg", ALL);
    expect(image.bytes).toEqual(plain);
    expect(latin1(image.bytes)).not.toContain("GPS");
  });

  test("JPEG: an ICC profile (APP2) is kept, it changes the colours", () => {
    const icc = jpegSegment(0xe2, concatBytes(text("ICC_PROFILE\0"), [1, 1], text("profile")));
    expect(latin1(inspectImage(jpeg({ segments: [icc] }), "image/jpeg", ALL).bytes)).toContain("ICC_PROFILE");
  });

  test("PNG: text chunks go, as does anything after IEND", () => {
    const tagged = png({ extra: [pngChunk("tEXt", text("Comment\0my address")), pngChunk("eXIf", text("MM\0*GPS"))], trailing: text("<zip>") });
    expect(inspectImage(tagged, "image/png", ALL).bytes).toEqual(png());
  });

  test("GIF: comments go; the looping extension stays; nothing after the trailer", () => {
    const tagged = gif({ frames: 2, extensions: [GIF_LOOP, gifComment("my address")], trailing: text("PK\x03\x04") });
    expect(inspectImage(tagged, "image/gif", ALL).bytes).toEqual(gif({ frames: 2, extensions: [GIF_LOOP] }));
  });

  test("WebP: EXIF and XMP chunks go, their VP8X flags are cleared and the RIFF size matches", () => {
    const image = inspectImage(webpExtended({ metadata: true }), "image/webp", ALL);
    expect(image.bytes).toEqual(webpExtended());
    expect(new DataView(image.bytes.buffer).getUint32(4, true)).toBe(image.bytes.length - 8);
  });

  test("WebP: bytes past the RIFF size are dropped", () => {
    const lossy = base64Bytes(WEBP_LOSSY_BASE64);
    expect(inspectImage(concatBytes(lossy, text("trailer")), "image/webp", ALL).bytes).toEqual(lossy);
  });
});

describe("limits: each caller names its types, side and frames", () => {
  test("a type outside `types` → 415 naming the accepted ones, whether declared or sniffed", () => {
    const declared = refusal(() => inspectImage(gif(), "image/gif", STILL));
    expect([declared.code, declared.detail]).toEqual(["UNSUPPORTED_MEDIA_TYPE", 'Send one of image/png, image/jpeg, image/webp, not "image/gif"']);
    expect(refusal(() => inspectImage(gif(), "image/png", STILL)).detail).toBe("The body is image/gif but was sent as image/png");
    expect(refusal(() => inspectImage(text("<svg/>"), "image/png", STILL)).detail).toBe("The body is not a PNG, JPEG or WebP image");
    expect(inspectImage(png(), "image/png", STILL).type).toBe("image/png");
  });

  test("`maxSide` bounds both sides, from the headers: at the limit passes, one pixel more is refused", () => {
    expect(inspectImage(png({ declared: [100, 100] }), "image/png", STILL).width).toBe(100);
    for (const declared of [
      [101, 1],
      [1, 101],
    ] as [number, number][]) {
      const error = refusal(() => inspectImage(png({ declared }), "image/png", STILL));
      expect(error.errors?.[0]?.message).toBe(`the image is ${declared[0]}×${declared[1]} pixels; the limit is 100×100`);
    }
    // a GIF frame larger than its screen, and an animated WebP frame, are measured too
    const gifFrame = gif({ width: 1, height: 1 });
    gifFrame[24] = 200; // the first frame's width: 200 on a 1×1 screen
    expect(refusal(() => inspectImage(gifFrame, "image/gif", { ...ALL, maxSide: 100 })).errors?.[0]?.message).toContain("200×1 pixels");
    const webpFrame = animatedWebp(2, [200, 1]);
    expect(refusal(() => inspectImage(webpFrame, "image/webp", { ...STILL, maxFrames: 5 })).errors?.[0]?.message).toContain("200×1 pixels");
  });

  test("`maxFrames: 1` refuses every kind of animation: GIF, APNG, animated WebP", () => {
    const animated: [Uint8Array, string, number][] = [
      [gif({ frames: 2, extensions: [GIF_LOOP] }), "image/gif", 2],
      [png({ extra: [pngChunk("acTL", [0, 0, 0, 2, 0, 0, 0, 0])] }), "image/png", 2],
      [animatedWebp(3), "image/webp", 3],
    ];
    for (const [bytes, type, frames] of animated) {
      const error = refusal(() => inspectImage(bytes, type, { ...ALL, maxFrames: 1 }));
      expect(error.errors?.[0]?.message).toBe(`the image has ${frames} frames; the limit is 1`);
    }
    expect(inspectImage(animatedWebp(3), "image/webp", ALL).frames).toBe(3);
  });
});

/** An animated WebP of `frames` frames, each the lossy 2×2 image on a frame of `frame` pixels. */
function animatedWebp(frames: number, frame: [number, number] = [2, 2]): Uint8Array {
  const u24 = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff];
  const anmf = riffChunk("ANMF", concatBytes([0, 0, 0, 0, 0, 0], u24(frame[0] - 1), u24(frame[1] - 1), [100, 0, 0, 0], vp8Chunk()));
  const vp8x = riffChunk("VP8X", Uint8Array.from([0x02, 0, 0, 0, ...u24(1), ...u24(1)]));
  return webpFrom([vp8x, riffChunk("ANIM", new Uint8Array(6)), ...Array.from({ length: frames }, () => anmf)]);
}

describe("refused", () => {
  test("a real image labelled as another type → 415 naming both", () => {
    const error = refusal(() => inspectImage(png(), "image/jpeg", ALL));
    expect(error.code).toBe("UNSUPPORTED_MEDIA_TYPE");
    expect(error.detail).toBe("The body is image/png but was sent as image/jpeg");
    expect(refusal(() => inspectImage(jpeg(), "image/gif", ALL)).code).toBe("UNSUPPORTED_MEDIA_TYPE");
    expect(refusal(() => inspectImage(gif(), "image/webp", ALL)).code).toBe("UNSUPPORTED_MEDIA_TYPE");
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
      const error = refusal(() => inspectImage(bytes, type, ALL));
      expect(error).toBeInstanceOf(ValidationError);
      expect(error.errors?.[0]?.path).toBe("/");
      expect(error.errors?.[0]?.message).toContain("markup");
    }
  });

  test("the classic GIF/JavaScript polyglot (GIF89a/*…*/=alert(1)) claims a 10799-pixel-wide screen → 422", () => {
    const polyglot = gif({ width: 0x2a2f, height: 10, trailing: text("*/=alert(1);") });
    expect(latin1(polyglot.subarray(0, 8))).toBe("GIF89a/*");
    const error = refusal(() => inspectImage(polyglot, "image/gif", ALL));
    expect(error.code).toBe("VALIDATION_FAILED");
    expect(error.errors?.[0]?.message).toContain("10799");
  });

  test("truncated or broken structure → 422, never a crash", () => {
    const whole = [png(), jpeg(), gif(), base64Bytes(WEBP_LOSSY_BASE64), webpExtended()];
    const types = ["image/png", "image/jpeg", "image/gif", "image/webp", "image/webp"];
    whole.forEach((bytes, i) => {
      // every prefix long enough to be sniffed: none may throw anything but a 422
      for (let end = 14; end < bytes.length; end++) {
        const error = refusal(() => inspectImage(bytes.subarray(0, end), types[i] ?? "", ALL));
        expect(error.status, `${types[i]} cut at ${end}`).toBe(422);
      }
    });
    const corrupt = png();
    corrupt[20] = (corrupt[20] ?? 0) ^ 0xff; // inside IHDR: its CRC no longer matches
    expect(refusal(() => inspectImage(corrupt, "image/png", ALL)).status).toBe(422);
    expect(refusal(() => inspectImage(new Uint8Array(), "image/png", ALL)).errors?.[0]?.message).toContain("is required");
    const noImage = webpFrom([riffChunk("VP8X", new Uint8Array(10))]);
    expect(refusal(() => inspectImage(noImage, "image/webp", ALL)).status).toBe(422);
    expect(refusal(() => inspectImage(png({ extra: [pngChunk("ZZZZ", [1])] }), "image/png", ALL)).status).toBe(422);
  });

  test("random bytes behind each signature → 415 or 422, never anything else", () => {
    const signatures = [png().subarray(0, 8), jpeg().subarray(0, 3), text("GIF89a"), concatBytes(text("RIFF"), [0, 1, 0, 0], text("WEBPVP8 "))];
    for (let round = 0; round < 200; round++) {
      for (const signature of signatures) {
        const bytes = concatBytes(signature, crypto.getRandomValues(new Uint8Array(1 + (round % 60))));
        const type = sniffImageType(bytes) ?? "image/png";
        const error = (() => {
          try {
            inspectImage(bytes, type, ALL);
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
