/**
 * Raw DEFLATE (RFC 1951, Avro's `deflate` codec) through the web-standard Compression Streams,
 * available in workerd, Node ≥ 21.2 and Deno.
 */

/** Compresses `bytes` with raw DEFLATE. */
export function deflateRaw(bytes: Uint8Array): Promise<Uint8Array> {
  return pipe(bytes, new CompressionStream("deflate-raw"));
}

/** Decompresses raw DEFLATE `bytes`. */
export function inflateRaw(bytes: Uint8Array): Promise<Uint8Array> {
  return pipe(bytes, new DecompressionStream("deflate-raw"));
}

async function pipe(
  bytes: Uint8Array,
  transform: CompressionStream | DecompressionStream,
): Promise<Uint8Array> {
  const input = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream();
  return new Uint8Array(await new Response(input.pipeThrough(transform)).arrayBuffer());
}
