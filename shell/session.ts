// One shell's link to a daemon: which daemon, the open connection, and what
// happens when it goes. `attach` and `detach` change it; every command that
// needs the daemon asks it for the connection.

import { ControlClient, type PushedEvent } from './control-client.js';
import { describeAddress, type DaemonAddress } from './daemon-address.js';
import { NotAttachedError } from './shell-errors.js';

export class Session {
  private client?: ControlClient;
  private lastAddress?: DaemonAddress;
  private lastToken?: string;
  private readonly lostListeners = new Set<(error: Error, address: string) => void>();
  private readonly eventListeners = new Set<(event: PushedEvent) => void>();
  private stopClientEvents?: () => void;
  /** Every token this shell has used: history and recordings never keep a line holding one. */
  readonly secrets = new Set<string>();

  get attached(): boolean {
    return this.client !== undefined && !this.client.closed;
  }

  /** The daemon attached now, or last, as `unix:PATH` or `tcp://HOST:PORT`. */
  get label(): string | undefined {
    return this.lastAddress && describeAddress(this.lastAddress);
  }

  get address(): DaemonAddress | undefined {
    return this.lastAddress;
  }

  /** True when paths typed here mean the same files to the daemon (a UNIX socket). */
  get sharesFiles(): boolean {
    return this.lastAddress?.kind !== 'tcp';
  }

  async attach(address: DaemonAddress, token?: string): Promise<void> {
    if (token) this.secrets.add(token);
    const client = await ControlClient.attach(address, token);
    this.detach();
    this.client = client;
    this.lastAddress = address;
    this.lastToken = token;
    this.stopClientEvents = client.onEvent((event) => this.eventListeners.forEach((l) => l(event)));
    client.onLost((error) => {
      if (this.client !== client) return;
      this.client = undefined;
      this.lostListeners.forEach((listener) => listener(error, describeAddress(address)));
    });
  }

  /** Attaches again to the last daemon, with the same token. */
  reattach(): Promise<void> {
    if (!this.lastAddress) throw new NotAttachedError('attach');
    return this.attach(this.lastAddress, this.lastToken);
  }

  detach(): void {
    this.stopClientEvents?.();
    this.stopClientEvents = undefined;
    this.client?.close();
    this.client = undefined;
  }

  request<T = unknown>(cmd: string, args: string[] = [], signal?: AbortSignal): Promise<T> {
    if (!this.client || this.client.closed) {
      return Promise.reject(new NotAttachedError(cmd, this.label));
    }
    return this.client.request(cmd, args, signal) as Promise<T>;
  }

  /** Called when the daemon goes away on its own (not on `detach`). */
  onLost(listener: (error: Error, address: string) => void): () => void {
    this.lostListeners.add(listener);
    return () => this.lostListeners.delete(listener);
  }

  /** Pushed events of whichever daemon is attached. */
  onEvent(listener: (event: PushedEvent) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  /** True if `text` holds a token this shell knows. */
  holdsSecret(text: string): boolean {
    for (const secret of this.secrets) if (secret && text.includes(secret)) return true;
    return false;
  }
}
