// The e2e helper: code-server with the packaged .vsix installed (not the development folder), Debian's
// Chromium through playwright-core, and the few gestures a user journey needs.
//
//   const wb = await openWorkbench({ lab: true });
//   await wb.openContainer('OpenStack');
//   await wb.treeItem('lab').click();
//   await wb.runCommand('OpenStack: Show Log');
//   await wb.screenshot('explorer');
//   await wb.close();          // in after(): stops code-server, keeps the run folder when a test failed
//
// Selectors follow ../shared/reference/code-server-notes.md: activity bar `.part.activitybar` role tab, tree
// rows `.part.sidebar` role treeitem (accessible name = tooltip unless accessibilityInformation is set),
// editor text `.part.editor .monaco-editor .view-lines`.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { labSettings, launchBrowser, newRunDir, removeRunDir, repoRoot, startCodeServer, type BrowserSession, type CodeServer } from '../../runners/code-server';
import { packageVsix } from '../../runners/vsix';

export interface WorkbenchOptions {
  /** Point the extension at the lab (.lab/clouds.yaml, .lab/ssh/config, known_hosts). Default false: a user with no cloud. */
  lab?: boolean;
  /** More user settings (merged over the lab ones). */
  settings?: Record<string, unknown>;
  /** The folder to open; default an empty `<run folder>/workspace`. */
  folder?: string;
  /** Files to create in the default workspace before opening it: relative path → content. */
  files?: Record<string, string>;
  /** The .vsix to install; default: packaged now when the bundle is newer (test.sh packages first). */
  vsix?: string;
  viewport?: { width: number; height: number };
}

export interface Workbench {
  readonly page: Page;
  readonly server: CodeServer;
  readonly runDir: string;
  /** The folder opened in the workbench. */
  readonly folder: string;
  /** Errors the workbench logged (extension-host failures land here), for assertions and failure reports. */
  readonly errors: string[];
  /** Opens an activity-bar view container by its title (no-op when it is already open). */
  openContainer(title: string): Promise<Locator>;
  /** The header of a view in the side bar (e.g. 'Clouds'); click() toggles it. */
  viewHeader(name: string): Locator;
  /** The welcome content of a view (shown when the view has no content). */
  welcome(viewName: string): Locator;
  /** A tree row in the side bar, by accessible name (string = exact-ish, RegExp = pattern). */
  treeItem(name: string | RegExp): Locator;
  /** Runs a command from the F1 palette by its full title, e.g. 'OpenStack: Show Log'. */
  runCommand(title: string): Promise<void>;
  /** The visible text of the active editor (non-breaking spaces made plain). */
  editorText(): Promise<string>;
  /** The whole text of the active editor's document (select all + copy; the editor renders only visible lines). */
  documentText(): Promise<string>;
  /** The visible text of the panel's editor (Output, ...). */
  panelText(): Promise<string>;
  /** The texts of visible notification toasts. */
  notifications(): Promise<string[]>;
  /** Waits until no view or activity-bar progress indicator is spinning (at most timeoutMs). */
  idle(timeoutMs?: number): Promise<void>;
  /** Waits for idle(), then saves a PNG into docs/screenshots/<name>.png (docs: true, default) or the run folder; returns its path. */
  screenshot(name: string, opts?: { docs?: boolean }): Promise<string>;
  /** Closes the browser, stops code-server; removes the run folder unless `keep` (pass `this.currentTest?.state === 'failed'`). */
  close(keep?: boolean): Promise<void>;
}

/** Starts code-server with the packaged extension and opens the workbench; resolves when the activity bar is up. */
export async function openWorkbench(opts: WorkbenchOptions = {}): Promise<Workbench> {
  const vsix = opts.vsix ?? packageVsix({ build: false }).path;
  const runDir = newRunDir('e2e');
  const folder = opts.folder ?? join(runDir, 'workspace');
  mkdirSync(folder, { recursive: true });
  for (const [rel, content] of Object.entries(opts.files ?? {})) {
    mkdirSync(join(folder, rel, '..'), { recursive: true });
    writeFileSync(join(folder, rel), content);
  }
  const server = await startCodeServer({ runDir, vsix: [vsix], settings: { ...(opts.lab ? labSettings() : {}), ...(opts.settings ?? {}) } });
  let session: BrowserSession | undefined;
  try {
    session = await launchBrowser(runDir, opts.viewport);
    const { page } = session;
    const errors: string[] = [];
    await page.exposeFunction('codeAutomationLog', (type: string, args: unknown[]) => {
      if (type === 'error') errors.push((Array.isArray(args) ? args : [args]).map(String).join(' '));
    });
    await page.goto(server.workbenchUrl(folder));
    await page.locator('.monaco-workbench .part.activitybar').waitFor({ timeout: 90_000 });
    // Ready when the installed extension's contributions are in: its activity-bar container is shown.
    await page.locator('.part.activitybar').getByRole('tab', { name: /^OpenStack\b/ }).waitFor({ timeout: 90_000 });
    return makeWorkbench(page, server, session, runDir, folder, errors);
  } catch (e) {
    await session?.close().catch(() => undefined);
    await server.stop();
    throw e;
  }
}

function makeWorkbench(page: Page, server: CodeServer, session: BrowserSession, runDir: string, folder: string, errors: string[]): Workbench {
  const sidebar = page.locator('.part.sidebar');
  const wb: Workbench = {
    page, server, runDir, folder, errors,

    async openContainer(title) {
      const tab = page.locator('.part.activitybar').getByRole('tab', { name: new RegExp(`^${escapeRe(title)}\\b`) });
      await tab.waitFor({ timeout: 60_000 });
      // Clicking the tab of the open container would close it.
      if ((await tab.getAttribute('aria-selected')) !== 'true') await tab.click();
      const heading = sidebar.locator('.composite.title');
      await heading.filter({ hasText: new RegExp(`^${escapeRe(title)}$`, 'i') }).waitFor({ timeout: 30_000 });
      await page.mouse.move(page.viewportSize()?.width ?? 1000, (page.viewportSize()?.height ?? 800) / 2); // no hover tooltip
      return sidebar;
    },

    viewHeader(name) {
      return sidebar.locator(headerSelector(page, name));
    },

    welcome(viewName) {
      return sidebar.locator('.pane', { has: headerSelector(page, viewName) }).locator('.welcome-view-content');
    },

    treeItem(name) {
      return sidebar.getByRole('treeitem', { name, exact: typeof name === 'string' });
    },

    async runCommand(title) {
      const input = page.locator('.quick-input-widget input');
      const row = page.locator('.quick-input-widget .monaco-list-row', { hasText: title }).first();
      for (let attempt = 1; ; attempt++) {
        await page.keyboard.press('F1');
        await input.waitFor({ state: 'visible', timeout: 10_000 });
        await input.fill(`>${title}`);
        try {
          await row.waitFor({ timeout: 5_000 });
          break;
        } catch (e) {
          await page.keyboard.press('Escape');
          if (attempt === 3) throw new Error(`The command palette has no command "${title}".`, { cause: e });
          await page.waitForTimeout(1000);
        }
      }
      await row.click();
    },

    async editorText() {
      const lines = page.locator('.part.editor .editor-instance .monaco-editor .view-lines').first();
      await lines.waitFor({ timeout: 30_000 });
      return (await lines.innerText()).replace(/\u00a0/g, ' ');
    },

    async documentText() {
      const editor = page.locator('.part.editor .editor-instance .monaco-editor').first();
      await editor.waitFor({ timeout: 30_000 });
      const clipboard = (): Promise<string> => page.evaluate(() => (globalThis as unknown as BrowserGlobals).navigator.clipboard.readText());
      // Ctrl+A can be lost while focus is still moving (a quick input closing): Ctrl+C with an empty selection then
      // copies only the cursor's line, and a caller sees a one-line document. So select-all is confirmed by the
      // rendered selection before copying, and a copy shorter than the lines on screen is retried.
      let text = '';
      for (let attempt = 0; attempt < 5; attempt++) {
        await editor.locator('.view-lines').click();
        await page.keyboard.press('ControlOrMeta+A');
        const selected = await editor.locator('.selected-text').first().waitFor({ state: 'attached', timeout: 2_000 }).then(() => true, () => false);
        await page.evaluate(() => (globalThis as unknown as BrowserGlobals).navigator.clipboard.writeText(''));
        await page.keyboard.press('ControlOrMeta+C');
        const deadline = Date.now() + 5_000;
        text = '';
        while (!text && Date.now() < deadline) {
          text = await clipboard();
          if (!text) await page.waitForTimeout(100);
        }
        const shownLines = await editor.locator('.view-lines .view-line').count();
        const copiedLines = text.replace(/\r?\n$/, '').split(/\r?\n/).length;
        if (selected && text && copiedLines >= Math.min(shownLines, 2)) break;
        await page.waitForTimeout(300);
      }
      return text.replace(/\r\n/g, '\n');
    },

    async panelText() {
      const lines = page.locator('.part.panel .monaco-editor .view-lines').first();
      await lines.waitFor({ timeout: 30_000 });
      return (await lines.innerText()).replace(/\u00a0/g, ' ');
    },

    async notifications() {
      return page.locator('.notifications-toasts .notification-list-item-message').allInnerTexts();
    },

    async idle(timeoutMs = 30_000) {
      // Views and the activity bar show progress while the extension activates or loads data.
      const busy = page.locator('.part.sidebar .monaco-progress-container.active, .part.activitybar .badge .codicon-clock, .part.activitybar .progress-badge');
      const deadline = Date.now() + timeoutMs;
      while ((await busy.count()) > 0 && Date.now() < deadline) await page.waitForTimeout(100);
      await page.waitForTimeout(300); // let the last repaint land
    },

    async screenshot(name, opts = {}) {
      await wb.idle();
      const dir = opts.docs === false ? join(runDir, 'screenshots') : join(repoRoot, 'docs', 'screenshots');
      mkdirSync(dir, { recursive: true });
      const file = join(dir, `${name}.png`);
      await page.screenshot({ path: file });
      return file;
    },

    async close(keep = false) {
      if (keep) await page.screenshot({ path: join(runDir, 'at-close.png') }).catch(() => undefined);
      await session.close().catch(() => undefined);
      await server.stop();
      removeRunDir(runDir, keep);
      if (keep) console.log(`    run folder kept: ${runDir.slice(repoRoot.length + 1)}`);
    },
  };
  return wb;
}

// What page.evaluate() callbacks use of the browser (this project's tsconfig has no DOM lib).
interface BrowserGlobals {
  navigator: { clipboard: { readText(): Promise<string>; writeText(text: string): Promise<void> } };
}

// A (scope-free) locator of the header of view `name`, usable in `has:` and below `.part.sidebar`.
function headerSelector(page: Page, name: string): Locator {
  return page.locator('.pane-header', { has: page.locator('h3.title', { hasText: new RegExp(`^${escapeRe(name)}$`, 'i') }) });
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
