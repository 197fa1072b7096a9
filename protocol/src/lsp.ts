// Method names of Trit's LSP extensions and a dependency-free way to type them. Client and server build their
// vscode-jsonrpc types from these descriptors, so this package stays pure (the webview imports it too).

/** A notification method and, as a phantom type, its parameters. */
export interface NotificationDef<P> {
  readonly method: string;
  /** Never set: carries the parameter type only. */
  readonly _params?: P;
}

/** A request method and, as phantom types, its parameters and result. */
export interface RequestDef<P, R> {
  readonly method: string;
  readonly _params?: P;
  readonly _result?: R;
}

export function notification<P>(method: string): NotificationDef<P> {
  return { method };
}

export function request<P, R>(method: string): RequestDef<P, R> {
  return { method };
}
