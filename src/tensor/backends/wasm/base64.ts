// Standard base64 (RFC 4648 §4) to bytes. Ours rather than atob or Buffer so
// the engine needs nothing from its host: Node, Deno, Bun and browsers alike.

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const VALUE = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) VALUE[ALPHABET.charCodeAt(i)] = i;

/** Decodes padded base64; throws on any character outside the alphabet or a bad length. */
export function decodeBase64(text: string): Uint8Array {
  if (text.length % 4 !== 0) throw new Error(`decodeBase64: length ${text.length} is not a multiple of 4`);
  const pad = text.endsWith("==") ? 2 : text.endsWith("=") ? 1 : 0;
  const out = new Uint8Array((text.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    let word = 0;
    for (let q = 0; q < 4; q++) {
      const code = text.charCodeAt(i + q);
      const v = code === 61 && i + q >= text.length - pad ? 0 : code < 128 ? VALUE[code]! : -1; // 61 is "="
      if (v < 0) throw new Error(`decodeBase64: bad character ${JSON.stringify(text[i + q])} at ${i + q}`);
      word = (word << 6) | v;
    }
    out[o++] = word >>> 16;
    if (o < out.length) out[o++] = (word >>> 8) & 255;
    if (o < out.length) out[o++] = word & 255;
  }
  return out;
}
