// Trit's protocol: the types shared by the extension client, the language server and the chat webview.
// Pure TypeScript with no runtime dependencies. Chat messages live in chat.ts.
export * from './lsp';
export * from './settings';
export * from './status';
export * from './offline';
