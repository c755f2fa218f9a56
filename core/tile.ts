// A tile's record while it is in the pipeline, and the causes of failure
// that end up in status, in the log and in quarantine records.

import type { AlgorithmHost } from './algorithm-host.js';
import type { ReadResult } from './native.js';

export type Stage = 'queued' | 'reading' | 'ready' | 'executing' | 'processed' | 'writing';

/** Why one attempt at a tile failed. */
export type Cause =
  'timeout' | 'memory' | 'trap' | 'plugin' | 'bad-input' | 'io' | 'host-died' | 'lost';

export const CAUSES: Cause[] = [
  'timeout',
  'memory',
  'trap',
  'plugin',
  'bad-input',
  'io',
  'host-died',
  'lost',
];

export interface AttemptRecord {
  attempt: number;
  cause: Cause;
  message: string;
  host?: string;
  /** Set once any attempt's write completed: the output file exists. */
  wroteOutput?: boolean;
  /** Set when the tile is given up on. */
  quarantined?: boolean;
  /** The host that ran the current attempt. */
  hostRef?: AlgorithmHost;
  plugin?: string;
  at: string;
}

/** What the engine learnt of a tile when it read it: its size and geometry. */
export type TileGeometry = Omit<Extract<ReadResult, { ok: true }>, 'slot' | 'ok'>;

export interface Tile {
  id: number;
  source: string;
  name: string;
  outPath: string;
  attempt: number;
  failures: AttemptRecord[];
  stage: Stage;
  slot: number;
  /** The RUN id of the current attempt; a late answer to an old one is ignored. */
  runId: number;
  /** When the current wait (read, host call, write) counts as lost; 0: not waiting. */
  deadlineAt: number;
  host?: string;
  /** Set once any attempt's write completed: the output file exists. */
  wroteOutput?: boolean;
  /** Set when the tile is given up on. */
  quarantined?: boolean;
  /** The host that ran the current attempt. */
  hostRef?: AlgorithmHost;
  plugin?: string;
  geometry?: TileGeometry;
  fedAt: number;
  readAt: number;
  readyAt: number;
  executedAt: number;
  writeAt: number;
}
