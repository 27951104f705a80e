/**
 * A raw Unix-socket server that misbehaves on cue, for the fault matrix:
 * each accepted connection is handed to `behave`, which may answer
 * garbage, half an answer, nothing, or close at once.
 */

/** A running misbehaving server. */
export interface Misbehaving extends AsyncDisposable {
  /** Its socket path. */
  path: string;
  /** Connections accepted so far. */
  readonly accepted: number;
}

const encoder = new TextEncoder();

/** Writes raw HTTP/1.1 text. */
export async function write(conn: Deno.Conn, text: string | Uint8Array): Promise<void> {
  const bytes = typeof text === "string" ? encoder.encode(text) : text;
  let offset = 0;
  while (offset < bytes.length) offset += await conn.write(bytes.subarray(offset));
}

/** Reads the request head (up to the blank line); resolves false if the peer went away. */
export async function readHead(conn: Deno.Conn): Promise<boolean> {
  const buffer = new Uint8Array(65536);
  let text = "";
  while (!text.includes("\r\n\r\n")) {
    const n = await conn.read(buffer).catch(() => null);
    if (n === null) return false;
    text += new TextDecoder().decode(buffer.subarray(0, n));
  }
  return true;
}

/** An HTTP/1.1 response head with a JSON content type. */
export function head(status: number, length?: number): string {
  const size = length === undefined ? "" : `content-length: ${length}\r\n`;
  return `HTTP/1.1 ${status} X\r\ncontent-type: application/json\r\n${size}\r\n`;
}

/** Starts a server on a temporary socket; every connection goes to `behave`. */
export function misbehaving(behave: (conn: Deno.Conn) => Promise<void>): Misbehaving {
  const dir = Deno.makeTempDirSync({ prefix: "incusops-fault-" });
  const path = `${dir}/unix.socket`;
  const listener = Deno.listen({ transport: "unix", path });
  const open = new Set<Deno.Conn>();
  const handlers = new Set<Promise<void>>();
  let accepted = 0;
  const loop = (async () => {
    for await (const conn of listener) {
      accepted++;
      open.add(conn);
      const handler = behave(conn).catch(() => {}).finally(() => {
        open.delete(conn);
        try {
          conn.close();
        } catch {
          // already closed
        }
      });
      handlers.add(handler);
      handler.finally(() => handlers.delete(handler));
    }
  })();
  return {
    path,
    get accepted() {
      return accepted;
    },
    async [Symbol.asyncDispose]() {
      listener.close();
      for (const conn of open) {
        try {
          conn.close();
        } catch {
          // already closed
        }
      }
      await loop.catch(() => {});
      await Promise.allSettled([...handlers]);
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}
