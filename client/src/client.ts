// Builds the LanguageClient: the server module over IPC, the middleware, and a restart policy with backoff.
import * as vscode from 'vscode';
import {
  CloseAction,
  ErrorAction,
  LanguageClient,
  RevealOutputChannelOn,
  TransportKind,
  type CloseHandlerResult,
  type ErrorHandler,
  type ErrorHandlerResult,
  type LanguageClientOptions,
  type ServerOptions,
} from 'vscode-languageclient/node';
import type { InitializationOptions } from '../../protocol/src/index';
import { SECTION, trustedModelPath } from './config';
import type { InlinePolicy } from './inline';
import { onCrash } from './restart';


export interface RestartHooks {
  /** The server stopped unexpectedly and will be started again in `delayMs`. */
  restarting(delayMs: number, crashes: number): void;
  /** Too many crashes: the server stays down until the user restarts it. */
  gaveUp(crashes: number): void;
}

/**
 * Restarts a crashed server after 1, 2, 4, 8 s …; after 5 crashes within three minutes it stops trying and lets the
 * extension tell the user (restart.ts). Document text is never at risk: the editor owns it and sends it again to
 * the new server.
 */
export class RestartPolicy implements ErrorHandler {
  private crashes: number[] = [];

  constructor(private readonly hooks: RestartHooks) {}

  error(_error: Error, _message: unknown, count: number | undefined): ErrorHandlerResult {
    return { action: (count ?? 0) <= 3 ? ErrorAction.Continue : ErrorAction.Shutdown, handled: true };
  }

  async closed(): Promise<CloseHandlerResult> {
    const { history, decision } = onCrash(this.crashes, Date.now());
    this.crashes = history;
    if (!decision.restart) {
      this.hooks.gaveUp(decision.crashes);
      return { action: CloseAction.DoNotRestart, handled: true };
    }
    this.hooks.restarting(decision.delayMs, decision.crashes);
    await new Promise((r) => setTimeout(r, decision.delayMs));
    return { action: CloseAction.Restart, handled: true };
  }
}

export interface ClientParts {
  extension: vscode.ExtensionContext;
  log: vscode.LogOutputChannel;
  inline: InlinePolicy;
  restart: RestartHooks;
}

export function createClient(parts: ClientParts): LanguageClient {
  const module = parts.extension.asAbsolutePath('dist/server.js');
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.ipc },
    debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6010'] } },
  };
  const initializationOptions: InitializationOptions = { modelPath: trustedModelPath() };
  const clientOptions: LanguageClientOptions = {
    // Every text document: other files feed the completion context; per-language policy is in the middleware.
    documentSelector: [{ scheme: 'file' }, { scheme: 'untitled' }],
    outputChannel: parts.log,
    revealOutputChannelOn: RevealOutputChannelOn.Never,
    initializationOptions,
    errorHandler: new RestartPolicy(parts.restart),
    middleware: {
      provideInlineCompletionItems: parts.inline.middleware,
      workspace: {
        // The server reads settings with workspace/configuration; the model path it gets obeys workspace trust.
        configuration: async (params, token, next) => {
          const result = await next(params, token);
          if (!Array.isArray(result)) return result;
          return result.map((value: unknown, i) => {
            if (params.items[i]?.section !== SECTION || typeof value !== 'object' || value === null) return value;
            const copy = JSON.parse(JSON.stringify(value)) as { model?: { path?: string } };
            copy.model = { ...(copy.model ?? {}), path: trustedModelPath() };
            return copy;
          });
        },
      },
    },
  };
  return new LanguageClient('trit', 'Trit', serverOptions, clientOptions);
}
