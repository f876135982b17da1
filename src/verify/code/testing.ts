/**
 * Helpers for the sandbox's adversarial tests.
 *
 * @module
 */

/** A TCP listener on a free loopback port that counts the connections it accepts. */
export interface CountingListener {
  port: number;
  /** Connections accepted so far. */
  connections(): number;
  close(): void;
}

/** Listens on 127.0.0.1 so a test can check that a sample never reached the host's network. */
export function countingListener(): CountingListener {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let accepted = 0;
  (async () => {
    for await (const connection of listener) {
      accepted++;
      connection.close();
    }
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    connections: () => accepted,
    close: () => listener.close(),
  };
}
