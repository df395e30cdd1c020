import * as vscode from 'vscode';
import { errorMessage, isCancelled } from '../../core/errors';
import type { ExplorerTree, RootNode } from './tree';

/**
 * Refresh only while a view is visible: a slow poll (`openstack.explorer.pollSeconds`, 0 = off) that reads changes
 * only, and a fast poll (`transitionalPollSeconds`) that runs only while some loaded resource is in a transitional
 * state. One poll in flight per view; failures are logged, never shown as dialogs.
 */
export class VisiblePoller implements vscode.Disposable {
  private slow: NodeJS.Timeout | undefined;
  private fast: NodeJS.Timeout | undefined;
  private busy = false;
  private readonly subs: vscode.Disposable[] = [];
  /** Counts (tests/bench): how many polls ran. */
  readonly runs = { slow: 0, fast: 0 };

  constructor(
    private readonly tree: ExplorerTree<RootNode>,
    private readonly intervals: () => { slowMs: number; fastMs: number },
  ) {
    this.subs.push(tree.view.onDidChangeVisibility(() => this.restart()));
    this.restart();
  }

  restart(): void {
    this.stop();
    if (!this.tree.view.visible) return;
    const { slowMs, fastMs } = this.intervals();
    if (slowMs > 0) this.slow = setInterval(() => void this.tick(false), slowMs);
    if (fastMs > 0) this.fast = setInterval(() => void this.tick(true), fastMs);
  }

  private stop(): void {
    if (this.slow) clearInterval(this.slow);
    if (this.fast) clearInterval(this.fast);
    this.slow = this.fast = undefined;
  }

  async tick(fast: boolean): Promise<void> {
    if (this.busy || !this.tree.view.visible) return;
    const root = this.tree.root;
    if (!root) return;
    if (fast && !root.hasTransitional()) return;
    this.busy = true;
    try {
      const ctx = await this.tree.context();
      if (fast) {
        this.runs.fast++;
        await root.pollTransitional(ctx);
      } else {
        this.runs.slow++;
        await root.poll(ctx);
      }
    } catch (e) {
      if (!isCancelled(e)) this.tree.services.logger.warn(`Polling ${root.kind} failed: ${errorMessage(e)}`);
    } finally {
      this.busy = false;
    }
  }

  dispose(): void {
    this.stop();
    for (const s of this.subs) s.dispose();
  }
}
