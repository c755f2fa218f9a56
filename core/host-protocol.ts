// The daemon's side of native/host/protocol.h: 128-byte little-endian
// messages on a host's fd 3. Keep the offsets here in step with that file.

export const MSG_SIZE = 128;
export const MSG_READY = 1;
export const MSG_RUN = 2;
export const MSG_DONE = 3;
export const MSG_FATAL = 4;
export const MAX_ARGS = 8;

export type Outcome = 'ok' | 'timeout' | 'memory' | 'trap' | 'plugin' | 'bad-input';
const OUTCOMES: Outcome[] = ['ok', 'timeout', 'memory', 'trap', 'plugin', 'bad-input'];

export interface RunMessage {
  slot: number;
  tileId: number;
  offset: number;
  length: number;
  width: number;
  height: number;
  channels: number;
  stride: number;
  tileX: number;
  tileY: number;
  args: number[];
}

export type HostMessage =
  | { type: 'ready'; pid: number; fromCache: boolean; loadUs: number }
  | {
      type: 'done';
      slot: number;
      tileId: number;
      outcome: Outcome;
      detail: number;
      execUs: number;
      memoryBytes: number;
      renewals: number;
    }
  | { type: 'fatal'; code: number; text: string };

export function encodeRun(run: RunMessage, into: Buffer, at: number): void {
  const words = [
    MSG_RUN,
    run.slot,
    run.tileId,
    run.offset,
    run.length,
    run.width,
    run.height,
    run.channels,
    run.stride,
    run.tileX,
    run.tileY,
    Math.min(run.args.length, MAX_ARGS),
  ];
  into.fill(0, at, at + MSG_SIZE);
  words.forEach((word, i) => into.writeUInt32LE(word >>> 0, at + i * 4));
  run.args.slice(0, MAX_ARGS).forEach((arg, i) => into.writeDoubleLE(arg, at + 48 + i * 8));
}

export function decodeHostMessage(buf: Buffer, at: number): HostMessage {
  const type = buf.readUInt32LE(at);
  switch (type) {
    case MSG_READY:
      return {
        type: 'ready',
        pid: buf.readUInt32LE(at + 4),
        fromCache: buf.readUInt32LE(at + 8) === 1,
        loadUs: buf.readUInt32LE(at + 12),
      };
    case MSG_DONE:
      return {
        type: 'done',
        slot: buf.readUInt32LE(at + 4),
        tileId: buf.readUInt32LE(at + 8),
        outcome: OUTCOMES[buf.readInt32LE(at + 12)] ?? 'trap',
        detail: buf.readInt32LE(at + 16),
        execUs: buf.readUInt32LE(at + 20),
        memoryBytes: buf.readUInt32LE(at + 24),
        renewals: buf.readUInt32LE(at + 28),
      };
    case MSG_FATAL: {
      const text = buf.subarray(at + 8, at + MSG_SIZE);
      const end = text.indexOf(0);
      return {
        type: 'fatal',
        code: buf.readUInt32LE(at + 4),
        text: text.subarray(0, end < 0 ? text.length : end).toString('utf8'),
      };
    }
    default:
      return { type: 'fatal', code: -1, text: `unknown message type ${type} from host` };
  }
}

/** Splits a byte stream into whole messages, keeping a partial tail. */
export class MessageReader {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): HostMessage[] {
    const data = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const whole = data.length - (data.length % MSG_SIZE);
    const messages: HostMessage[] = [];
    for (let at = 0; at < whole; at += MSG_SIZE) messages.push(decodeHostMessage(data, at));
    this.pending = Buffer.from(data.subarray(whole));
    return messages;
  }
}

/** Names for trap codes (wasmtime_trap_code_t in wasmtime/trap.h, 49.0.0). */
export const TRAP_NAMES = [
  'stack overflow',
  'memory out of bounds',
  'heap misaligned',
  'table out of bounds',
  'indirect call to null',
  'bad signature',
  'integer overflow',
  'integer division by zero',
  'bad conversion to integer',
  'unreachable',
  'interrupt',
  'out of fuel',
  'atomic wait on non-shared memory',
  'null reference',
  'array out of bounds',
  'allocation too large',
  'cast failure',
];

export function trapName(code: number): string {
  return TRAP_NAMES[code] ?? `trap code ${code}`;
}
