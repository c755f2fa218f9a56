// A real terminal for shell tests: a command run in a tmux pane on a private
// tmux server (its own socket, so the tests never touch a person's tmux).
// Tests type keys into it and read the screen back, as a person would.

import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface TerminalOptions {
  cols?: number;
  rows?: number;
  cwd?: string;
  env?: Record<string, string>;
}

export interface Terminal {
  /** Types text literally (no key names). */
  type(text: string): void;
  /** Presses keys by tmux name: Enter, Tab, Up, C-c, C-d, Escape, or a single character. */
  press(...keys: string[]): void;
  /** The visible screen, plus `history` lines of scrollback. */
  screen(history?: number): string;
  /** Waits until the screen (with scrollback) matches; returns it. Fails with the screen shown. */
  waitFor(pattern: RegExp | string, timeoutMs?: number): Promise<string>;
  /** The line the cursor is on (what is being typed at the prompt). */
  cursorLine(): string;
  /** True while the program shows the alternate (full-screen) buffer. */
  alternateScreen(): boolean;
  cursorVisible(): boolean;
  /** True once the command in the pane has ended. */
  exited(): boolean;
  resize(cols: number, rows: number): void;
  /** Screen with colours as escape sequences, for rendering a screenshot. */
  screenWithColours(): string;
  close(): void;
}

/** Why terminal tests cannot run here, or false when they can. */
export function tmuxSkipReason(): string | false {
  const probe = spawnSync('tmux', ['-V'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    const reason = 'tmux is not installed (apt-get install -y tmux)';
    console.warn(`skipping terminal tests: ${reason}`);
    return reason;
  }
  return false;
}

const quote = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;

export function openTerminal(command: string[], options: TerminalOptions = {}): Terminal {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edgecam-tmux-'));
  const socket = path.join(dir, 'tmux.sock');
  const tmux = (...args: string[]) =>
    execFileSync('tmux', ['-S', socket, '-f', '/dev/null', ...args], { encoding: 'utf8' });

  const env = { LANG: 'C.UTF-8', TERM: 'xterm-256color', ...options.env };
  const exports = Object.entries(env).map(([k, v]) => `${k}=${quote(v)}`);
  const cd = `cd ${quote(options.cwd ?? process.cwd())}`;
  const shellLine = `${cd} && exec env ${exports.join(' ')} ${command.map(quote).join(' ')}`;
  tmux(
    'new-session',
    '-d',
    '-s',
    'edgecam',
    '-x',
    String(options.cols ?? 100),
    '-y',
    String(options.rows ?? 30),
    shellLine,
  );
  // Keep the pane after the program exits, so a test can read its last words.
  tmux('set-option', '-t', 'edgecam', 'remain-on-exit', 'on');
  tmux('set-option', '-t', 'edgecam', 'history-limit', '5000');

  const screen = (history = 0) =>
    tmux('capture-pane', '-p', '-J', '-t', 'edgecam', ...(history ? ['-S', String(-history)] : []));
  const display = (format: string) => tmux('display-message', '-p', '-t', 'edgecam', format).trim();

  return {
    type: (text) => void tmux('send-keys', '-t', 'edgecam', '-l', text),
    press: (...keys) => void tmux('send-keys', '-t', 'edgecam', ...keys),
    screen,
    async waitFor(pattern, timeoutMs = 15_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const text = screen(2000);
        const found = typeof pattern === 'string' ? text.includes(pattern) : pattern.test(text);
        if (found) return text;
        if (Date.now() > until) {
          throw new Error(`the terminal never showed ${pattern}; it shows:\n${screen()}`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    cursorLine() {
      const y = Number(display('#{cursor_y}'));
      return screen().split('\n')[y] ?? '';
    },
    alternateScreen: () => display('#{alternate_on}') === '1',
    cursorVisible: () => display('#{cursor_flag}') === '1',
    exited: () => display('#{pane_dead}') === '1',
    resize: (cols, rows) =>
      void tmux('resize-window', '-t', 'edgecam', '-x', String(cols), '-y', String(rows)),
    screenWithColours: () => tmux('capture-pane', '-p', '-e', '-t', 'edgecam'),
    close() {
      spawnSync('tmux', ['-S', socket, 'kill-server']);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
