import { AppError } from "@bazaar/contracts";

/**
 * The request body, refused with 413 as soon as it passes `limit` bytes: a chunked body declares no
 * length, so counting while reading is the only way to cap it before it is all in memory.
 */
export async function readBodyCapped(request: Request, limit: number): Promise<Uint8Array> {
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw new AppError("PAYLOAD_TOO_LARGE", `The body is over the limit of ${limit} bytes`, [{ path: "/", message: `must be at most ${limit} bytes` }]);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}
