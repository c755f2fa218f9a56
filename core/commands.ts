// The operator's words: one table for the control protocol, `edgecam exec`,
// the shell and recipes. A request names a command and its arguments as
// words, exactly as typed: {"cmd":"load","args":["box-blur","2"]}.

import { UsageError } from './errors.js';

export interface CommandSpec {
  name: string;
  usage: string;
  summary: string;
}

export const DAEMON_COMMANDS: CommandSpec[] = [
  { name: 'status', usage: 'status', summary: 'tiles, rates, latency, backlog, errors, hosts, io' },
  { name: 'hosts', usage: 'hosts', summary: 'each algorithm host: pid, state, tiles, restarts' },
  { name: 'plugins', usage: 'plugins', summary: 'the plugins that `load` knows, with arguments' },
  {
    name: 'load',
    usage: 'load PLUGIN [ARG...]',
    summary: 'compile PLUGIN, warm its hosts, then route new tiles to it',
  },
  {
    name: 'reload-algo',
    usage: 'reload-algo',
    summary: "hot-swap to the current plugin's file as rebuilt on disk",
  },
  {
    name: 'feed',
    usage: 'feed [--watch] [--force] PATH...',
    summary:
      'take tile files or folders; --watch keeps taking new ones; --force redoes written ones',
  },
  { name: 'pause', usage: 'pause', summary: 'stop reading new tiles (tiles in flight finish)' },
  { name: 'resume', usage: 'resume', summary: 'read new tiles again' },
  {
    name: 'kill-algo',
    usage: 'kill-algo [HOST|all] [every DURATION] [for DURATION]',
    summary: 'SIGKILL a host mid-tile (default: the busiest)',
  },
  {
    name: 'drop',
    usage: 'drop P% [read|execute|write] [for DURATION] [seed N]',
    summary: 'tiles vanish after a stage, as on a lossy link',
  },
  {
    name: 'delay',
    usage: 'delay D[±J] [read|queue|execute|write] [for DURATION] [seed N]',
    summary: 'add latency with jitter at a stage',
  },
  {
    name: 'stall',
    usage: 'stall [HOST] [for DURATION]',
    summary: 'a host stops answering without dying',
  },
  {
    name: 'faults',
    usage: 'faults [clear [ID]]',
    summary: 'list the active faults, or remove them all (or one)',
  },
  {
    name: 'quarantine',
    usage: 'quarantine [list | show NAME | retry NAME|all]',
    summary: 'tiles that could not be processed, with why',
  },
  {
    name: 'subscribe',
    usage: 'subscribe [INTERVAL_MS]',
    summary: 'push metrics every interval, and events as they happen',
  },
  { name: 'unsubscribe', usage: 'unsubscribe', summary: 'stop the pushes' },
  { name: 'drain', usage: 'drain', summary: 'wait until every tile fed is written or quarantined' },
  { name: 'stop', usage: 'stop', summary: 'drain the tiles in flight, stop the hosts, exit' },
  { name: 'help', usage: 'help [COMMAND]', summary: 'list commands, or show one' },
];

export interface Request {
  id?: number | string;
  cmd: string;
  args: string[];
}

/** Splits a typed line into words; double quotes keep spaces in one word. */
export function splitWords(line: string): string[] {
  const words: string[] = [];
  const pattern = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (const match of line.matchAll(pattern)) {
    words.push(match[1] !== undefined ? match[1].replace(/\\(.)/g, '$1') : match[2]);
  }
  return words;
}

/** Checks a decoded JSON request and returns it in canonical form. */
export function parseRequest(value: unknown): Request {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new UsageError('request', 'a JSON object like {"cmd":"status"}', value);
  }
  const raw = value as Record<string, unknown>;
  const id = raw.id;
  if (id !== undefined && typeof id !== 'number' && typeof id !== 'string') {
    throw new UsageError('id', 'a number or a string', id);
  }
  if (typeof raw.line === 'string') {
    const [cmd, ...args] = splitWords(raw.line);
    if (!cmd) throw new UsageError('line', 'a command', raw.line);
    return { id, cmd, args };
  }
  if (typeof raw.cmd !== 'string' || raw.cmd.length === 0) {
    throw new UsageError('cmd', 'a command name (try "help")', raw.cmd);
  }
  const args = raw.args ?? [];
  if (!Array.isArray(args) || !args.every((a) => typeof a === 'string')) {
    throw new UsageError('args', 'an array of strings', args);
  }
  return { id, cmd: raw.cmd, args: args as string[] };
}

export function findCommand(name: string): CommandSpec | undefined {
  return DAEMON_COMMANDS.find((c) => c.name === name);
}
