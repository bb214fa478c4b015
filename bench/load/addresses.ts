/**
 * Local source addresses for subscriptions. One source address gives about 28k ephemeral
 * ports (Linux default range 32768-60999) towards one destination, and a port bound to a
 * source address stays taken while its connection lingers in TIME_WAIT; so subscriptions are
 * spread over 127.0.0.2, 127.0.0.3, ... (all of 127/8 is loopback on Linux), and each
 * session takes fresh ones.
 */

/** Subscriptions per source address: safely below the ~28k ephemeral ports. */
export const PER_ADDRESS = 20_000;

let next = 2; // 127.0.0.2 onwards: 127.0.0.1 is where the servers listen

/** `count` loopback addresses never handed out before in this process. */
export function takeAddresses(count: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    // Skip .0 and .255 in the last byte.
    while (next % 256 === 0 || next % 256 === 255) next++;
    const n = next++;
    out.push(`127.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`);
  }
  return out;
}
