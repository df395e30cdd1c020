import * as vscode from 'vscode';

/**
 * Scripts the dialogs of one test: `vscode.window.showQuickPick`, `showInputBox` and `showWarningMessage` answer
 * from the script instead of waiting for a user; error and information messages are recorded and closed at once (a
 * failing command then ends instead of waiting on its notification); everything else stays real. The test bundle and the extension
 * share one `vscode` API object (the tests live inside the extension's folder), so the extension's own calls are
 * answered. Every call is recorded; a call the script has no answer for is dismissed (undefined, as Escape does) and
 * listed in `unexpected`. An input answer that the dialog's own `validateInput` rejects is dismissed and listed too.
 */
export interface UiScript {
  /** showQuickPick answers, in order: the item whose label (or string) matches; undefined dismisses. */
  picks?: (string | RegExp | undefined)[];
  /** showInputBox answers, in order: the prompt must match `prompt`; `value` undefined dismisses. */
  inputs?: { prompt: RegExp; value: string | undefined }[];
  /** showWarningMessage answers, in order: the message must match `message`; `answer` is the button clicked. */
  warnings?: { message: RegExp; answer: string | undefined }[];
}

export interface UiCall {
  kind: 'quickPick' | 'inputBox' | 'warning' | 'error' | 'info';
  /** Title or prompt or message, as the user would read it. */
  text: string;
  items?: string[];
  password?: boolean;
  modal?: boolean;
  answer?: string;
}

type Win = { -readonly [K in keyof typeof vscode.window]: (typeof vscode.window)[K] };

export class ScriptedUi implements vscode.Disposable {
  readonly calls: UiCall[] = [];
  readonly unexpected: string[] = [];
  private readonly saved: Partial<Win> = {};
  private script: Required<UiScript> = { picks: [], inputs: [], warnings: [] };

  constructor() {
    const w = vscode.window as unknown as Win;
    this.saved.showQuickPick = w.showQuickPick;
    this.saved.showInputBox = w.showInputBox;
    this.saved.showWarningMessage = w.showWarningMessage;
    this.saved.showErrorMessage = w.showErrorMessage;
    this.saved.showInformationMessage = w.showInformationMessage;
    w.showQuickPick = ((items: unknown, options?: vscode.QuickPickOptions) => this.quickPick(items, options)) as Win['showQuickPick'];
    w.showInputBox = ((options?: vscode.InputBoxOptions) => this.inputBox(options)) as Win['showInputBox'];
    w.showWarningMessage = ((message: string, ...rest: unknown[]) => this.warning(message, rest)) as Win['showWarningMessage'];
    w.showErrorMessage = ((message: string) => this.message('error', message)) as Win['showErrorMessage'];
    w.showInformationMessage = ((message: string) => this.message('info', message)) as Win['showInformationMessage'];
  }

  /** Replaces what is left of the script (and forgets the calls recorded so far). */
  expect(script: UiScript): this {
    this.script = { picks: [...(script.picks ?? [])], inputs: [...(script.inputs ?? [])], warnings: [...(script.warnings ?? [])] };
    this.calls.length = 0;
    this.unexpected.length = 0;
    return this;
  }

  /** What of the script was not used (a dialog the code did not open). */
  get unused(): string[] {
    return [
      ...this.script.picks.map((p) => `quick pick ${String(p)}`),
      ...this.script.inputs.map((i) => `input ${String(i.prompt)}`),
      ...this.script.warnings.map((x) => `warning ${String(x.message)}`),
    ];
  }

  private async quickPick(itemsOrPromise: unknown, options?: vscode.QuickPickOptions): Promise<unknown> {
    const items = (await itemsOrPromise) as (string | vscode.QuickPickItem)[];
    const labels = items.map((i) => (typeof i === 'string' ? i : i.label));
    const call: UiCall = { kind: 'quickPick', text: options?.title ?? options?.placeHolder ?? '', items: labels };
    this.calls.push(call);
    if (!this.script.picks.length) {
      this.unexpected.push(`quick pick "${call.text}" (${labels.join(', ')})`);
      return undefined;
    }
    const want = this.script.picks.shift();
    if (want === undefined) return undefined;
    const i = labels.findIndex((l) => (typeof want === 'string' ? l === want : want.test(l)));
    if (i < 0) {
      this.unexpected.push(`quick pick "${call.text}" has no item ${String(want)} (${labels.join(', ')})`);
      return undefined;
    }
    call.answer = labels[i];
    return items[i];
  }

  private async inputBox(options?: vscode.InputBoxOptions): Promise<string | undefined> {
    const text = options?.prompt ?? options?.title ?? '';
    const call: UiCall = { kind: 'inputBox', text, password: options?.password };
    this.calls.push(call);
    const next = this.script.inputs[0];
    if (!next || !next.prompt.test(text)) {
      this.unexpected.push(`input box "${text}"${next ? ` (the script expected ${String(next.prompt)})` : ''}`);
      return undefined;
    }
    this.script.inputs.shift();
    if (next.value === undefined) return undefined;
    const verdict = await options?.validateInput?.(next.value);
    const message = typeof verdict === 'string' ? verdict : verdict?.message;
    if (message) {
      this.unexpected.push(`input box "${text}" rejects "${next.value}": ${message}`);
      return undefined;
    }
    call.answer = next.value;
    return next.value;
  }

  /** Error and information messages shown since the last `expect`. */
  get messages(): string[] {
    return this.calls.filter((c) => c.kind === 'error' || c.kind === 'info').map((c) => `${c.kind}: ${c.text}`);
  }

  private message(kind: 'error' | 'info', text: string): Promise<undefined> {
    this.calls.push({ kind, text });
    return Promise.resolve(undefined);
  }

  private async warning(message: string, rest: unknown[]): Promise<unknown> {
    const options = rest[0] && typeof rest[0] === 'object' && !('title' in rest[0]) ? (rest.shift() as vscode.MessageOptions) : undefined;
    const buttons = rest as (string | vscode.MessageItem)[];
    const call: UiCall = { kind: 'warning', text: message, items: buttons.map((b) => (typeof b === 'string' ? b : b.title)), modal: options?.modal };
    this.calls.push(call);
    const next = this.script.warnings[0];
    if (!next || !next.message.test(message)) {
      this.unexpected.push(`warning "${message}"${next ? ` (the script expected ${String(next.message)})` : ''}`);
      return undefined;
    }
    this.script.warnings.shift();
    const hit = buttons.find((b) => (typeof b === 'string' ? b : b.title) === next.answer);
    call.answer = next.answer;
    return hit;
  }

  dispose(): void {
    Object.assign(vscode.window as unknown as Win, this.saved);
  }
}
