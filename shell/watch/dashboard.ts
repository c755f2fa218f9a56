// `watch`: a full-screen blessed-contrib dashboard fed by the daemon's push
// subscription (or, from a daemon without one, by polling status). Keys:
// q back to the prompt, k kill a host, d drop 5% for 10 s, c clear faults,
// ? help. A resize rebuilds every widget at the new size; every way out
// (a key, Ctrl-C, a lost daemon, an error, SIGTERM) gives the terminal back.

import blessedModule from 'blessed';
import contribModule from 'blessed-contrib';

import { EdgecamError } from '../../core/errors.js';
import { formatResult } from '../format.js';
import type { Session } from '../session.js';
import { restoreTerminal, type TerminalHandover } from '../terminal-handover.js';
import {
  DashboardState,
  type DashboardStatus,
  type LogRecord,
  type Series,
} from './dashboard-state.js';

/** The few blessed calls the dashboard makes. */
interface Widget {
  destroy(): void;
  setContent(text: string): void;
  setData(data: unknown): void;
  setItems(items: string[]): void;
  scrollTo(index: number): void;
  show(): void;
  hide(): void;
  hidden: boolean;
  options: Record<string, unknown>;
}
interface Screen {
  key(keys: string[], handler: () => void): void;
  on(event: string, handler: () => void): void;
  append(widget: Widget): void;
  render(): void;
  destroy(): void;
}
interface Grid {
  set(
    row: number,
    col: number,
    rows: number,
    cols: number,
    factory: unknown,
    options: object,
  ): Widget;
}
const blessed = blessedModule as { screen(options: object): Screen; box: unknown };
const contrib = contribModule as {
  grid: new (options: object) => Grid;
  line: unknown;
  table: unknown;
  log: unknown;
};

const INTERVAL_MS = 1000;

const EVENTS_LABEL = ' events · keys q k d c, ? for help ';

const HELP_TEXT = [
  'watch: the pipeline, live',
  '',
  '  tiles/s      tiles read in and written out per second',
  '  latency      end to end, p50 and p95 of recent tiles (ms)',
  '  backlog      tiles fed and not yet written',
  '  hosts        algorithm hosts: pid, state, tiles, restarts, memory',
  '  events       faults on and off, restarts, quarantines, swaps',
  '',
  '  q  Esc  Ctrl-C   back to the prompt',
  '  k                kill-algo (the busiest host)',
  '  d                drop 5% for 10s',
  '  c                faults clear',
  '  ?                this help (any key hides it)',
];

interface Layout {
  rates: Widget;
  latency: Widget;
  backlog: Widget;
  totals: Widget;
  hosts: Widget;
  events: Widget;
  help: Widget;
}

/** Shows the dashboard until the person leaves; resolves to a one-line summary. */
export async function runDashboard(
  session: Session,
  terminal: TerminalHandover,
  signal: AbortSignal,
): Promise<string> {
  const state = new DashboardState();
  const started = Date.now();
  const first = await session.request<DashboardStatus>('status', [], signal);
  state.addStatus(first);

  const leftBecause = await terminal.lend(
    ({ input, output }) => showDashboard(session, state, input, output, signal),
    true,
  );
  const last = state.status ?? first;
  const seconds = Math.round((Date.now() - started) / 1000);
  const written = last.tiles.written - first.tiles.written;
  const why = leftBecause ? ` (${leftBecause})` : '';
  const figures = `${written} tiles written meanwhile, ${last.tiles.written} in all`;
  return `left watch after ${seconds} s${why}: ${figures}; host restarts ${last.hostRestarts}`;
}

function showDashboard(
  session: Session,
  state: DashboardState,
  input: NodeJS.ReadStream,
  output: NodeJS.WriteStream,
  signal: AbortSignal,
): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const cleanups: Array<() => void> = [];
    let finished = false;
    const screen = createScreen({
      input,
      output,
      smartCSR: true,
      forceUnicode: true,
      title: 'edgecam watch',
      warnings: false,
      autoPadding: true,
    });
    cleanups.push(() => screen.destroy());

    const finish = (reason: string, error?: Error) => {
      if (finished) return;
      finished = true;
      for (const cleanup of cleanups.reverse()) {
        try {
          cleanup();
        } catch (cleanupError) {
          error ??= cleanupError as Error;
        }
      }
      if (error) reject(error);
      else resolve(reason);
    };
    const guard = (draw: () => void) => {
      try {
        draw();
      } catch (error) {
        finish('', error as Error);
      }
    };

    // The terminal is restored even if the process is told to end while drawing.
    for (const name of ['SIGTERM', 'SIGHUP'] as const) {
      const onSignal = () => {
        finish(name);
        restoreTerminal(process.stdin, output);
        process.kill(process.pid, name);
      };
      process.once(name, onSignal);
      cleanups.push(() => process.removeListener(name, onSignal));
    }
    const onAbort = () => finish('cancelled');
    signal.addEventListener('abort', onAbort, { once: true });
    cleanups.push(() => signal.removeEventListener('abort', onAbort));
    cleanups.push(session.onLost(() => finish('lost the daemon')));

    let layout = buildLayout(screen);
    const draw = () => guard(() => drawAll(layout, state, screen));
    screen.on('resize', () =>
      guard(() => {
        destroyLayout(layout);
        layout = buildLayout(screen);
        drawAll(layout, state, screen);
      }),
    );

    // Keys: the help box hides on any key; the rest act.
    screen.on('keypress', () => {
      if (!layout.help.hidden) {
        layout.help.hide();
        screen.render();
      }
    });
    screen.key(['q', 'escape', 'C-c'], () => finish(''));
    screen.key(['?'], () => {
      layout.help.show();
      screen.render();
    });
    const act = (key: string, cmd: string, args: string[]) =>
      screen.key([key], () => {
        const line = [cmd, ...args].join(' ');
        state.addNote(`${key}: ${line}`);
        draw();
        session
          .request(cmd, args)
          .then(
            (result) => state.addNote(`   ${formatResult(cmd, result, args).split('\n')[0]}`),
            (error: Error) => state.addNote(`   ${line} failed: ${error.message}`),
          )
          .finally(draw);
      });
    act('k', 'kill-algo', []);
    act('d', 'drop', ['5%', 'for', '10s']);
    act('c', 'faults', ['clear']);

    cleanups.push(feedDashboard(session, state, draw));
    draw();
  });
}

/**
 * A blessed screen that draws box lines as Unicode.
 *
 * Rule: NCURSES_NO_UTF8_ACS=1 while the screen is created. Reason: blessed
 * otherwise draws lines in the VT100 alternate character set, which a
 * terminal (or tmux) not told the locale is UTF-8 shows as q and x; the
 * charts need UTF-8 (braille dots) anyway. See ncurses(3X), NCURSES_NO_UTF8_ACS.
 */
function createScreen(options: object): Screen {
  const previous = process.env.NCURSES_NO_UTF8_ACS;
  process.env.NCURSES_NO_UTF8_ACS = '1';
  try {
    return blessed.screen(options);
  } finally {
    if (previous === undefined) delete process.env.NCURSES_NO_UTF8_ACS;
    else process.env.NCURSES_NO_UTF8_ACS = previous;
  }
}

/** Subscribes (or polls); returns the function that stops the feed. */
function feedDashboard(session: Session, state: DashboardState, draw: () => void): () => void {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let faultsKnown = true;

  const refreshFaults = () => {
    if (!faultsKnown) return;
    session.request<Array<Record<string, unknown>>>('faults').then(
      (faults) => {
        state.faults = Array.isArray(faults) ? faults : [];
      },
      (error: EdgecamError) => {
        if (error.code === 'UNKNOWN_COMMAND') faultsKnown = false;
      },
    );
  };
  const stopEvents = session.onEvent((event) => {
    if (event.event === 'metrics') {
      state.addStatus(event.data as DashboardStatus);
      refreshFaults();
    } else if (event.event === 'log') {
      state.addEvent(event.data as LogRecord);
    }
    draw();
  });
  const poll = () => {
    if (stopped) return;
    session.request<DashboardStatus>('status').then(
      (status) => {
        state.addStatus(status);
        refreshFaults();
        draw();
      },
      () => undefined,
    );
    timer = setTimeout(poll, INTERVAL_MS);
  };

  session.request('subscribe', [String(INTERVAL_MS)]).then(
    () => state.addNote('subscribed: figures every second, events as they happen'),
    (error: EdgecamError) => {
      state.addNote(`no push subscription (${error.code}); polling status every second`);
      poll();
    },
  );
  return () => {
    stopped = true;
    clearTimeout(timer);
    stopEvents();
    session.request('unsubscribe').catch(() => undefined);
  };
}

function buildLayout(screen: Screen): Layout {
  const grid = new contrib.grid({ rows: 12, cols: 12, screen });
  const chart = (label: string, legendWidth: number) => ({
    label,
    showLegend: true,
    legend: { width: legendWidth },
    minY: 0,
    xPadding: 3,
    style: { text: 'white', baseline: 'white' },
  });
  const layout = {
    rates: grid.set(0, 0, 4, 6, contrib.line, chart(' tiles/s in and out ', 7)),
    latency: grid.set(
      0,
      6,
      4,
      6,
      contrib.line,
      chart(' latency ms, end to end (recent tiles) ', 7),
    ),
    backlog: grid.set(4, 0, 3, 6, contrib.line, chart(' backlog: tiles fed, not yet written ', 9)),
    totals: grid.set(4, 6, 3, 6, blessed.box, { label: ' pipeline ', padding: { left: 1 } }),
    hosts: grid.set(7, 0, 5, 6, contrib.table, {
      label: ' hosts ',
      interactive: false,
      keys: false,
      fg: 'white',
      columnSpacing: 2,
      columnWidth: [3, 8, 9, 7, 9, 7],
    }),
    events: grid.set(7, 6, 5, 6, contrib.log, { label: EVENTS_LABEL, bufferLength: 200 }),
  };
  const help = (blessed.box as (options: object) => Widget)({
    top: 'center',
    left: 'center',
    width: 72,
    height: HELP_TEXT.length + 2,
    border: { type: 'line' },
    style: { border: { fg: 'yellow' } },
    content: HELP_TEXT.join('\n'),
    hidden: true,
  });
  screen.append(help);
  return { ...layout, help };
}

function destroyLayout(layout: Layout): void {
  for (const widget of Object.values(layout)) widget.destroy();
}

const COLORS: Record<string, string> = {
  in: 'cyan',
  out: 'green',
  p50: 'yellow',
  p95: 'red',
  tiles: 'magenta',
};

function drawAll(layout: Layout, state: DashboardState, screen: Screen): void {
  drawChart(layout.rates, state.rateSeries());
  drawChart(layout.latency, state.latencySeries());
  drawChart(layout.backlog, state.backlogSeries());
  layout.totals.setContent(state.totals().join('\n'));
  layout.hosts.setData({
    headers: ['id', 'pid', 'state', 'tiles', 'restarts', 'memory'],
    data: state.hostRows(),
  });
  layout.events.setItems(state.events);
  layout.events.scrollTo(state.events.length);
  screen.render();
}

function drawChart(chart: Widget, series: Series[]): void {
  if (series[0].y.length === 0) return;
  // blessed-contrib divides by the largest value: an all-zero chart needs a floor.
  const largest = Math.max(...series.flatMap((s) => s.y));
  chart.options.maxY = largest > 0 ? largest * 1.2 : 1;
  chart.setData(
    series.map((s) => ({
      title: s.title,
      x: [...s.x],
      y: [...s.y],
      style: { line: COLORS[s.title] },
    })),
  );
}
