// Entry point of the extension: build the Ctx, register the commands, start the language server.
import type * as vscode from 'vscode';
import { wireChat } from './chat-commands';
import { registerCommands } from './commands';
import { Ctx } from './ctx';

let ctx: Ctx | undefined;

/** What activate returns: a supported handle for tests and other extensions. */
export interface TritApi {
  readonly ctx: Ctx;
}

export async function activate(context: vscode.ExtensionContext): Promise<TritApi> {
  ctx = new Ctx(context);
  registerCommands(ctx);
  wireChat(ctx);
  await ctx.start();
  return { ctx };
}

export async function deactivate(): Promise<void> {
  await ctx?.dispose();
  ctx = undefined;
}
