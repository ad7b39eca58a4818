// The avatar's rules on the shared inspector: which images an avatar may be. How the inspector reads
// each format (metadata, polyglots, truncation) is tested beside it, in packages/files/test/image.test.ts.
import { describe, expect, test } from "bun:test";
import { AppError, AVATAR_MEDIA_TYPES } from "@bazaar/contracts";
import { inspectImage } from "@bazaar/files";
import { AVATAR_IMAGE_LIMITS } from "./image.ts";
import { base64Bytes, EXIF_WITH_GPS, GIF_LOOP, gif, jpeg, png, pngChunk, WEBP_LOSSLESS_BASE64, WEBP_LOSSY_BASE64, webpExtended } from "./test-images.ts";

const text = (s: string) => new TextEncoder().encode(s);
const inspectAvatar = (bytes: Uint8Array, type: string) => inspectImage(bytes, type, AVATAR_IMAGE_LIMITS);

function refusal(run: () => unknown): AppError {
  try {
    run();
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error("expected a refusal");
}

describe("an avatar may be a PNG, JPEG, WebP or GIF, animated too", () => {
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
      const image = inspectAvatar(bytes, `${type}; charset=binary`);
      expect([image.type, image.width, image.height, image.frames]).toEqual([type as never, width, height, frames]);
      expect(image.bytes).toEqual(bytes);
    });
  }

  test("what is kept has no EXIF: the camera's GPS position is not published with the face", () => {
    const image = inspectAvatar(jpeg({ segments: [EXIF_WITH_GPS] }), "image/jpeg");
    expect(image.bytes).toEqual(jpeg());
    expect(Buffer.from(image.bytes).toString("latin1")).not.toContain("GPS");
  });
});

describe("refused", () => {
  test("a type we don't take (SVG, HTML, octet-stream) → 415 before the bytes are looked at", () => {
    for (const type of ["image/svg+xml", "text/html", "application/octet-stream", ""]) {
      expect(refusal(() => inspectAvatar(png(), type)).code).toBe("UNSUPPORTED_MEDIA_TYPE");
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
        const error = refusal(() => inspectAvatar(text(body), type));
        expect(error.code).toBe("UNSUPPORTED_MEDIA_TYPE");
        expect(error.detail).toContain("not a PNG, JPEG, WebP or GIF");
      }
    }
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
      const error = refusal(() => inspectAvatar(bytes, type));
      expect(error.code).toBe("VALIDATION_FAILED");
      expect(error.errors?.[0]?.message).toContain("the limit is 4096×4096");
    }
    expect(inspectAvatar(png({ declared: [4096, 4096] }), "image/png").width).toBe(4096);
  });

  test("more frames than allowed → 422", () => {
    const error = refusal(() => inspectAvatar(gif({ frames: 101 }), "image/gif"));
    expect(error.errors?.[0]?.message).toContain("101 frames");
    const apng = png({ extra: [pngChunk("acTL", [0, 0, 0x27, 0x10, 0, 0, 0, 0])] });
    expect(refusal(() => inspectAvatar(apng, "image/png")).errors?.[0]?.message).toContain("10000 frames");
  });
});
