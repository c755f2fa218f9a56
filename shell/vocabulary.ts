// Every word the shell knows, in one table: its usage, what it does, who
// runs it (the daemon or the shell itself) and what Tab offers after it. The
// REPL, `edgecam exec` and recipes all read this table, so a recipe line is
// exactly a typed line. The daemon's words take their usage and summary from
// core/commands.ts, the daemon's own table, so the two never disagree.

import { findCommand } from '../core/commands.js';

/** What Tab can offer for one argument: a kind of live value, or fixed words. */
export type CompletionSource =
  'plugin' | 'host' | 'path' | 'recipe' | 'metric' | 'quarantined' | 'command' | readonly string[];

export type CommandGroup = 'pipeline' | 'faults' | 'quarantine' | 'live' | 'recipes' | 'session';

export interface ShellCommand {
  name: string;
  usage: string;
  summary: string;
  group: CommandGroup;
  /** 'daemon': sent over the control socket; 'shell': run by the shell. */
  runs: 'daemon' | 'shell';
  /** Tab sources for each argument position; the last one repeats. */
  complete?: CompletionSource[][];
  examples?: string[];
  /** What the shell adds to a daemon word (a prompt, a confirmation); shown by `help COMMAND`. */
  note?: string;
}

const STAGES = ['read', 'execute', 'write'] as const;
const FAULT_OPTIONS = ['for', 'seed'] as const;
const OPERATOR_WORDS = ['==', '!=', '<', '<=', '>', '>='] as const;

/** The daemon's words as the shell presents them; usage and summary come from core/commands.ts. */
interface DaemonWord {
  name: string;
  group: CommandGroup;
  complete?: CompletionSource[][];
  examples?: string[];
  /** What the shell adds to the daemon's word (a prompt, a confirmation). */
  note?: string;
}

const DAEMON_WORDS: DaemonWord[] = [
  { name: 'status', group: 'pipeline' },
  { name: 'hosts', group: 'pipeline' },
  { name: 'plugins', group: 'pipeline' },
  {
    name: 'load',
    group: 'pipeline',
    complete: [['plugin'], []],
    examples: ['load box-blur 2', 'load hostile/loop-forever'],
    note: 'with no PLUGIN, offers the plugins to choose from',
  },
  { name: 'reload-algo', group: 'pipeline' },
  {
    name: 'feed',
    group: 'pipeline',
    complete: [['path', ['--watch', '--force']], ['path']],
    examples: ['feed img_samples/in', 'feed --watch /srv/camera/tiles'],
    note: 'relative paths are made absolute first (when attached over a UNIX socket)',
  },
  { name: 'pause', group: 'pipeline' },
  { name: 'resume', group: 'pipeline' },
  { name: 'drain', group: 'pipeline' },
  { name: 'stop', group: 'pipeline' },
  {
    name: 'kill-algo',
    group: 'faults',
    complete: [['host', ['all', 'every', 'for']], [['every', 'for']]],
    examples: ['kill-algo', 'kill-algo all --yes', 'kill-algo every 2s for 10s'],
    note: '`kill-algo all` asks for confirmation first, unless --yes is given',
  },
  {
    name: 'drop',
    group: 'faults',
    complete: [[['5%', '10%', '25%']], [[...STAGES, ...FAULT_OPTIONS]], [FAULT_OPTIONS]],
    examples: ['drop 5%', 'drop 10% write for 10s seed 42'],
  },
  {
    name: 'delay',
    group: 'faults',
    complete: [
      [['20ms', '50ms±10ms', '200ms']],
      [['read', 'queue', 'execute', 'write', ...FAULT_OPTIONS]],
      [FAULT_OPTIONS],
    ],
    examples: ['delay 50ms', 'delay 20ms±5ms queue for 30s'],
  },
  {
    name: 'stall',
    group: 'faults',
    complete: [['host', ['for']], [['for']]],
    examples: ['stall', 'stall h2 for 5s'],
  },
  {
    name: 'faults',
    group: 'faults',
    complete: [[['clear']]],
    examples: ['faults', 'faults clear', 'faults clear 2'],
  },
  {
    name: 'quarantine',
    group: 'quarantine',
    complete: [[['list', 'show', 'retry']], ['quarantined', ['all']]],
    examples: ['quarantine', 'quarantine show tile_0003.ppm', 'quarantine retry all'],
  },
];

const SHELL_WORDS: ShellCommand[] = [
  {
    name: 'watch',
    usage: 'watch',
    summary: 'full-screen dashboard: rates, latency, backlog, hosts, events (q leaves)',
    group: 'live',
    runs: 'shell',
  },
  {
    name: 'record',
    usage: 'record FILE | record stop',
    summary: 'write the commands typed from now on, with their timing, to a recipe',
    group: 'recipes',
    runs: 'shell',
    complete: [['recipe', ['stop']]],
    examples: ['record /tmp/session.edge', 'record stop'],
  },
  {
    name: 'replay',
    usage: 'replay FILE [--speed X] [--step] [--var NAME=VALUE]...',
    summary: 'play a recipe back; a failed wait or expect stops it',
    group: 'recipes',
    runs: 'shell',
    complete: [['recipe'], [['--speed', '--step', '--var']]],
    examples: ['replay recipes/demo.edge', 'replay /tmp/session.edge --speed 4'],
  },
  {
    name: 'wait',
    usage: 'wait METRIC OP VALUE [within DURATION]',
    summary: 'poll status until the condition holds (default: within 10s)',
    group: 'recipes',
    runs: 'shell',
    complete: [['metric'], [OPERATOR_WORDS], [[]], [['within']]],
    examples: ['wait tiles.written >= 40 within 20s', 'wait backlog.tiles == 0'],
  },
  {
    name: 'expect',
    usage: 'expect METRIC OP VALUE',
    summary: 'check one condition on status now; fails a recipe if it does not hold',
    group: 'recipes',
    runs: 'shell',
    complete: [['metric'], [OPERATOR_WORDS], ['metric']],
    examples: ['expect errors.timeout >= 1', 'expect tiles.written == tiles.fed'],
  },
  {
    name: 'sleep',
    usage: 'sleep DURATION',
    summary: 'pause for 500ms, 10s, 2m (faster under replay --speed)',
    group: 'recipes',
    runs: 'shell',
    complete: [[['500ms', '1s', '5s']]],
  },
  {
    name: 'echo',
    usage: 'echo TEXT...',
    summary: 'print a line (recipes and labs explain themselves with it)',
    group: 'recipes',
    runs: 'shell',
  },
  {
    name: 'help',
    usage: 'help [COMMAND]',
    summary: 'list the commands, or show one with examples',
    group: 'session',
    runs: 'shell',
    complete: [['command']],
  },
  {
    name: 'attach',
    usage: 'attach [unix:PATH | tcp://HOST:PORT] [--token-file FILE]',
    summary: 'attach to a daemon (no address: the last one, or the local default)',
    group: 'session',
    runs: 'shell',
    complete: [[['unix:', 'tcp://127.0.0.1:']], [['--token-file']], ['path']],
  },
  {
    name: 'detach',
    usage: 'detach',
    summary: 'let go of the daemon; it keeps running',
    group: 'session',
    runs: 'shell',
  },
  {
    name: 'quit',
    usage: 'quit',
    summary: 'leave the shell (Ctrl-D does too); the daemon keeps running',
    group: 'session',
    runs: 'shell',
  },
];

export const VOCABULARY: ShellCommand[] = [...DAEMON_WORDS.map(presentDaemonWord), ...SHELL_WORDS];

function presentDaemonWord(word: DaemonWord): ShellCommand {
  const spec = findCommand(word.name);
  const summary = spec?.summary ?? 'a daemon command';
  return {
    name: word.name,
    usage: spec?.usage ?? word.name,
    summary,
    note: word.note,
    group: word.group,
    runs: 'daemon',
    complete: word.complete,
    examples: word.examples,
  };
}

/** Words that mean the same as a table word. */
const ALIASES: Record<string, string> = { exit: 'quit', '?': 'help' };

export const GROUP_TITLES: Record<CommandGroup, string> = {
  pipeline: 'pipeline',
  faults: 'faults',
  quarantine: 'quarantine',
  live: 'live',
  recipes: 'recipes',
  session: 'session',
};

export function findShellCommand(word: string): ShellCommand | undefined {
  const name = ALIASES[word] ?? word;
  return VOCABULARY.find((c) => c.name === name);
}

export function commandNames(): string[] {
  return VOCABULARY.map((c) => c.name);
}
