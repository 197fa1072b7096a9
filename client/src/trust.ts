// Which trit.model.path to honour, under workspace trust: pure (no `vscode`), so it is unit-tested directly.
//
// A model path is a file the native engine will parse. A repository can ship .vscode/settings.json, so a path set
// in workspace or folder settings would let any cloned repository choose that file. It is therefore honoured only
// in a trusted workspace; an untrusted one gets the user's own setting, or the shipped model.

/** The values of trit.model.path at each level, as `WorkspaceConfiguration.inspect` reports them. */
export interface ModelPathValues {
  user?: string;
  workspace?: string;
  folder?: string;
}

export type ModelPathSource = 'folder' | 'workspace' | 'user' | 'shipped';

export interface ModelPathDecision {
  /** The path to load ("" = the shipped model), before `${…}` expansion. */
  path: string;
  source: ModelPathSource;
  /** A workspace-level path that was set but not honoured because the workspace is not trusted. */
  ignored?: { scope: 'folder' | 'workspace'; path: string };
}

const set = (v: string | undefined): v is string => typeof v === 'string' && v.trim() !== '';

export function decideModelPath(values: ModelPathValues, trusted: boolean): ModelPathDecision {
  const user = set(values.user) ? values.user.trim() : '';
  const fallback: ModelPathDecision = user !== '' ? { path: user, source: 'user' } : { path: '', source: 'shipped' };
  const scoped = set(values.folder) ? { scope: 'folder' as const, path: values.folder.trim() }
    : set(values.workspace) ? { scope: 'workspace' as const, path: values.workspace.trim() } : undefined;
  if (scoped === undefined) return fallback;
  if (trusted) return { path: scoped.path, source: scoped.scope };
  return { ...fallback, ignored: scoped };
}

/** The message that tells the user why the workspace's model path was not used. */
export function ignoredMessage(d: ModelPathDecision): string | undefined {
  if (!d.ignored) return undefined;
  const using = d.source === 'user' ? `your own trit.model.path (${d.path})` : 'the shipped model';
  return `This workspace is not trusted, so Trit ignores the model file its ${d.ignored.scope} settings name ` +
    `(${d.ignored.path}) and uses ${using}. A repository must not make Trit open a file of its choosing: trust ` +
    'the workspace if you want to use that model.';
}
