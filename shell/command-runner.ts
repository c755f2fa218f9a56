// Runs one line of the operator's vocabulary: daemon words go over the
// control socket (paths made absolute first), shell words run here. The
// REPL, `edgecam exec` and recipes all come through runLine.

import path from 'node:path';

import { splitWords } from '../core/commands.js';
import { UsageError } from '../core/errors.js';
import type { CommandContext, Outcome } from './command-context.js';
import { ADDRESS_USAGE, parseAddress, readToken } from './daemon-address.js';
import { parseDuration, sleep } from './durations.js';
import { formatResult } from './format.js';
import { formatCommandHelp, formatHelp, unknownCommand } from './help-text.js';
import { defaultSocketPath } from '../core/paths.js';
import { EdgecamError } from '../core/errors.js';
import { findShellCommand, type ShellCommand } from './vocabulary.js';
import { runExpect, runWait } from './wait-expect.js';

/** Runs a typed line; an empty or comment line gives no outcome. */
export async function runLine(line: string, ctx: CommandContext): Promise<Outcome | undefined> {
  const trimmed = line.trim();
  if (trimmed === '' || trimmed.startsWith('#')) return undefined;
  return runWords(splitWords(trimmed), ctx);
}

export async function runWords(words: string[], ctx: CommandContext): Promise<Outcome> {
  const command = findShellCommand(words[0]);
  if (!command) throw unknownCommand(words[0]);
  const canonical = [command.name, ...words.slice(1)];
  return command.runs === 'daemon'
    ? runDaemonWord(command, canonical, ctx)
    : runShellWord(command, canonical, ctx);
}

async function runDaemonWord(
  command: ShellCommand,
  words: string[],
  ctx: CommandContext,
): Promise<Outcome> {
  const cmd = command.name;
  let args = words.slice(1);

  if (cmd === 'feed' && ctx.session.sharesFiles) {
    args = args.map((word) => (word.startsWith('--') ? word : path.resolve(ctx.baseDir, word)));
  }
  if (cmd === 'load' && args.length === 0 && ctx.interactive && ctx.terminal) {
    args = [await choosePluginFor(ctx)];
  }
  if (cmd === 'kill-algo') {
    const saidYes = args.includes('--yes');
    args = args.filter((word) => word !== '--yes');
    if (args[0] === 'all' && ctx.interactive && ctx.terminal && !ctx.assumeYes && !saidYes) {
      const confirmed = await confirmKillAll(ctx);
      if (!confirmed) return { cmd, line: words.join(' '), text: 'no host killed' };
    }
  }

  const result = await ctx.session.request(cmd, args, ctx.signal);
  return { cmd, line: quoteWords([cmd, ...args]), result, text: formatResult(cmd, result, args) };
}

async function runShellWord(
  command: ShellCommand,
  words: string[],
  ctx: CommandContext,
): Promise<Outcome> {
  const cmd = command.name;
  const args = words.slice(1);
  const line = quoteWords(words);
  const usage = command.usage;

  switch (cmd) {
    case 'help':
      return { cmd, line, text: args[0] ? formatCommandHelp(args[0]) : formatHelp() };
    case 'echo':
      return { cmd, line, text: args.join(' '), result: { echo: args.join(' ') } };
    case 'sleep': {
      if (args.length !== 1)
        throw new UsageError('sleep', 'one duration', args.join(' ') || undefined, usage);
      const ms = parseDuration(args[0], 'sleep', usage);
      await sleep(ms / ctx.speed, ctx.signal);
      return { cmd, line, result: { sleptMs: Math.round(ms / ctx.speed) } };
    }
    case 'wait':
      return runWait(words, ctx);
    case 'expect':
      return runExpect(words, ctx);
    case 'watch':
      return runWatch(line, ctx);
    case 'record':
      return runRecord(args, line, ctx, usage);
    case 'replay':
      return runReplay(args, line, ctx);
    case 'attach':
      return runAttach(args, line, ctx);
    case 'detach': {
      const was = ctx.session.label;
      ctx.session.detach();
      return {
        cmd,
        line,
        text: was ? `detached from ${was}; the daemon keeps running` : 'not attached',
      };
    }
    default:
      return { cmd: 'quit', line, quit: true };
  }
}

async function runWatch(line: string, ctx: CommandContext): Promise<Outcome> {
  if (!ctx.terminal || !ctx.interactive) {
    throw new EdgecamError(
      'NEEDS_TERMINAL',
      'watch draws a full-screen dashboard and needs a person at a terminal',
      'run `edgecam`, then type watch',
    );
  }
  const { runDashboard } = await import('./watch/dashboard.js');
  const summary = await runDashboard(ctx.session, ctx.terminal, ctx.signal);
  return { cmd: 'watch', line, text: summary };
}

function runRecord(args: string[], line: string, ctx: CommandContext, usage: string): Outcome {
  if (!ctx.recorder) {
    throw new EdgecamError(
      'NEEDS_TERMINAL',
      'record keeps what a person types, so it works only in the shell',
      'run `edgecam`, then type record FILE',
    );
  }
  if (args.length !== 1)
    throw new UsageError('record', 'a file, or stop', args.join(' ') || undefined, usage);
  const text =
    args[0] === 'stop'
      ? ctx.recorder.stop()
      : ctx.recorder.start(path.resolve(ctx.baseDir, args[0]), ctx.session.label);
  return { cmd: 'record', line, text };
}

async function runReplay(args: string[], line: string, ctx: CommandContext): Promise<Outcome> {
  const { parseReplayOptions, runRecipe } = await import('./recipe-runner.js');
  const options = parseReplayOptions(args, 'replay');
  const file = path.resolve(ctx.baseDir, options.file);
  const report = await runRecipe(file, options, { ...ctx, speed: ctx.speed * options.speed });
  return {
    cmd: 'replay',
    line,
    result: report,
    text: `${report.file}: ${report.steps} steps passed in ${(report.ms / 1000).toFixed(1)} s`,
  };
}

async function runAttach(args: string[], line: string, ctx: CommandContext): Promise<Outcome> {
  let tokenFile: string | undefined;
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--token-file') tokenFile = args[++i];
    else if (args[i] === '--token' || args[i].startsWith('--token=')) {
      throw new UsageError(
        'attach',
        '--token-file FILE or EDGECAM_TOKEN (a token typed on a line would be kept in history)',
        args[i],
        ADDRESS_USAGE,
      );
    } else positional.push(args[i]);
  }
  if (positional.length > 1)
    throw new UsageError('attach', 'one address', positional.join(' '), ADDRESS_USAGE);

  const session = ctx.session;
  if (positional.length === 0 && session.address && !tokenFile) {
    await session.reattach();
  } else {
    const address = parseAddress(positional[0] ?? defaultSocketPath());
    await session.attach(
      address,
      address.kind === 'tcp'
        ? readToken(tokenFile && path.resolve(ctx.baseDir, tokenFile))
        : undefined,
    );
  }
  return { cmd: 'attach', line, text: await describeAttachment(ctx) };
}

/** One line on what the shell is attached to: the daemon's pid, plugin and hosts. */
export async function describeAttachment(
  ctx: Pick<CommandContext, 'session' | 'signal'>,
): Promise<string> {
  const status = await ctx.session.request<any>('status', [], ctx.signal);
  const plugin = status.plugin
    ? `plugin ${[status.plugin.name, ...status.plugin.args].join(' ')}`
    : 'no plugin';
  const daemon = `daemon pid ${status.daemon.pid}, ${plugin}, ${status.hosts.length} hosts`;
  return `attached to ${ctx.session.label}: ${daemon}, ${status.tiles.written} tiles written`;
}

async function choosePluginFor(ctx: CommandContext): Promise<string> {
  const [plugins, status] = await Promise.all([
    ctx.session.request<any[]>('plugins', [], ctx.signal),
    ctx.session.request<any>('status', [], ctx.signal),
  ]);
  const { choosePlugin } = await import('./prompts.js');
  return choosePlugin(plugins, status.plugin?.name, ctx.terminal!, ctx.signal);
}

async function confirmKillAll(ctx: CommandContext): Promise<boolean> {
  const hosts = await ctx.session.request<unknown[]>('hosts', [], ctx.signal);
  const { confirmAction } = await import('./prompts.js');
  return confirmAction(
    `Kill all ${hosts.length} algorithm hosts? Their tiles are retried once they restart.`,
    ctx.terminal!,
    ctx.signal,
  );
}

/** Joins words back into a line that splitWords reads the same way. */
export function quoteWords(words: string[]): string {
  return words
    .map((w) => (w === '' || /[\s"\\]/.test(w) ? `"${w.replace(/(["\\])/g, '\\$1')}"` : w))
    .join(' ');
}
