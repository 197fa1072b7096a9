// A minimal extension for the harness's self-test: a status bar item once active, an inline completion provider
// that completes "probe" with "_completed();", and one command. It has nothing to do with Trit.
'use strict';
const vscode = require('vscode');

function activate(context) {
  const item = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Right, 100);
  item.text = 'Harness probe ready';
  item.show();
  context.subscriptions.push(item);
  context.subscriptions.push(
    vscode.languages.registerInlineCompletionItemProvider('*', {
      provideInlineCompletionItems(document, position) {
        const before = document.lineAt(position.line).text.slice(0, position.character);
        // Without a range, VS Code replaces the word before the cursor, so the item must say where it goes.
        const here = new vscode.Range(position, position);
        return before.endsWith('probe') ? [new vscode.InlineCompletionItem('_completed();', here)] : [];
      },
    }),
    vscode.commands.registerCommand('harnessProbe.ping', () => {
      void vscode.window.showInformationMessage(`Harness probe: pong from pid ${process.pid}`);
      return process.pid;
    }),
  );
}

module.exports = { activate };
