import * as vscode from 'vscode';
import { BUILTIN_SIGNATURES } from '../../core/diagnose/catalogue';
import type { Signature } from '../../core/diagnose/types';
import { loadSignatureFile, mergeSignatures } from '../../core/diagnose/user-signatures';
import type { Settings } from '../../platform/settings';

/** The workspace's own signatures (read only in a trusted workspace). */
export const WORKSPACE_SIGNATURES = '.vscode/openstack-signatures.yaml';

/**
 * The signatures a diagnosis tries: the built-in ones, the user's file (setting, machine scope), then the trusted
 * workspace's file; a later one with the same id replaces the earlier. A broken file is an error that names it (the
 * diagnosis does not run on half a catalogue).
 */
export async function signaturesFor(settings: Settings): Promise<Signature[]> {
  let sigs: Signature[] = BUILTIN_SIGNATURES;
  const userFile = settings.diagnoseSignaturesFile;
  if (userFile) sigs = mergeSignatures(sigs, loadSignatureFile(userFile));
  if (vscode.workspace.isTrusted) {
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      if (folder.uri.scheme !== 'file') continue;
      const uri = vscode.Uri.joinPath(folder.uri, WORKSPACE_SIGNATURES);
      try {
        await vscode.workspace.fs.stat(uri);
      } catch {
        continue;
      }
      sigs = mergeSignatures(sigs, loadSignatureFile(uri.fsPath, vscode.workspace.asRelativePath(uri)));
    }
  }
  return sigs;
}
