// The server's view of the `trit.*` settings: pulled with workspace/configuration when the client supports it
// (VS Code does, and its client decides which model path a workspace may set), otherwise taken from
// initializationOptions.settings; always normalized, so bad values never reach the pipeline.
import type { Connection } from 'vscode-languageserver/node';
import { DidChangeConfigurationNotification } from 'vscode-languageserver/node';
import { normalizeSettings, type TritSettings } from '../../protocol/src/index';

export class Settings {
  private current: TritSettings;
  private pull = false;
  private readonly listeners = new Set<(s: TritSettings) => void>();

  constructor(private readonly connection: Connection, initial: unknown) {
    this.current = normalizeSettings(initial);
  }

  get value(): TritSettings {
    return this.current;
  }

  /** Call from onInitialize with the client's capabilities. */
  configure(canPull: boolean): void {
    this.pull = canPull;
  }

  /** Call from onInitialized: registers for changes and reads the settings once. */
  async start(canRegister: boolean): Promise<void> {
    if (canRegister) await this.connection.client.register(DidChangeConfigurationNotification.type, { section: 'trit' });
    this.connection.onDidChangeConfiguration((p) => {
      // Clients that push settings send them here; clients that support pulling are asked again.
      const pushed = (p.settings as Record<string, unknown> | null | undefined)?.['trit'];
      void this.refresh(pushed);
    });
    await this.refresh(undefined);
  }

  onChange(listener: (s: TritSettings) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private async refresh(pushed: unknown): Promise<void> {
    let raw = pushed;
    if (this.pull) {
      try {
        raw = await this.connection.workspace.getConfiguration('trit');
      } catch (e) {
        this.connection.console.warn(`Could not read the trit settings: ${String(e)}`);
      }
    }
    if (raw === undefined || raw === null) return;
    this.current = normalizeSettings(raw);
    for (const l of this.listeners) l(this.current);
  }
}
