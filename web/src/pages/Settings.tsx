import { FormEvent, useCallback, useEffect, useState } from 'react';
import { api, ApiError, can, ManagedUser, Me, ROLES, Workspace } from '../api';
import { ErrorBox } from '../components/ErrorBox';

function fieldError(error: unknown, field: string): string | undefined {
  if (!(error instanceof ApiError)) return undefined;
  return error.details.find((d) => d.field === field)?.message;
}

function roleLabel(role: string): string {
  return ROLES.find((r) => r.value === role)?.label ?? role;
}

/** /settings: the workspace, its notifications, and (admins) users and roles. */
export function SettingsPage({ me }: { me: Me }) {
  const [workspace, setWorkspace] = useState<Workspace | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const canEdit = can(me, 'manage_settings');
  useEffect(() => {
    document.title = 'Settings · sluice';
    if (!can(me, 'read_configs')) return;
    api<Workspace>('workspaces/get')
      .then(setWorkspace)
      .catch(setLoadError);
  }, [me]);

  return (
    <section>
      <div className="page-head">
        <h1>Settings</h1>
      </div>
      {!can(me, 'read_configs') ? (
        <p className="empty">Your role ({roleLabel(me.user.role)}) sees the connections' status only; an admin changes the settings.</p>
      ) : loadError ? (
        <ErrorBox error={loadError} />
      ) : !workspace ? (
        <p className="loading">Loading…</p>
      ) : (
        <>
          {!canEdit && <p className="empty" data-read-only>Only an admin can change these settings; they are shown read-only.</p>}
          <WorkspaceForm workspace={workspace} canEdit={canEdit} onSaved={setWorkspace} />
          <NotificationsForm workspace={workspace} canEdit={canEdit} onSaved={setWorkspace} />
        </>
      )}
      <h2 id="users-title">Users and roles</h2>
      {can(me, 'manage_users') ? (
        <UsersSection me={me} />
      ) : (
        <p className="empty" data-users-hidden>Only an admin sees and manages the users. Your role is {roleLabel(me.user.role)}.</p>
      )}
    </section>
  );
}

function WorkspaceForm({ workspace, canEdit, onSaved }: { workspace: Workspace; canEdit: boolean; onSaved: (w: Workspace) => void }) {
  const [name, setName] = useState(workspace.name);
  const [email, setEmail] = useState(workspace.email ?? '');
  const [news, setNews] = useState(workspace.news);
  const [securityUpdates, setSecurityUpdates] = useState(workspace.securityUpdates);
  const [telemetry, setTelemetry] = useState(workspace.anonymousDataCollection);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState('');

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setNotice('');
    try {
      const w = await api<Workspace>('workspaces/update', {
        workspaceId: workspace.workspaceId, name: name.trim(), email: email.trim(), news, securityUpdates,
        anonymousDataCollection: telemetry,
      });
      onSaved(w);
      setNotice('Workspace saved.');
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const nameError = fieldError(error, 'name');
  return (
    <form className="form card" onSubmit={submit} aria-labelledby="workspace-title">
      <h2 id="workspace-title" className="card-title">Workspace</h2>
      <fieldset className="plain" disabled={!canEdit}>
        <div className="two-columns">
          <div className="field">
            <label htmlFor="ws-name">Workspace name</label>
            <input id="ws-name" type="text" required value={name} aria-invalid={nameError ? true : undefined}
              aria-describedby={nameError ? 'ws-name-error' : undefined} onChange={(e) => setName(e.target.value)} />
            {nameError && <p className="field-error" id="ws-name-error">{nameError}</p>}
          </div>
          <div className="field">
            <label htmlFor="ws-email">Email</label>
            <input id="ws-email" type="email" autoComplete="email" value={email} onChange={(e) => setEmail(e.target.value)} />
          </div>
        </div>
        <div className="field checkbox">
          <input id="ws-news" type="checkbox" checked={news} onChange={(e) => setNews(e.target.checked)} />
          <label htmlFor="ws-news">Email me news and feature updates</label>
        </div>
        <div className="field checkbox">
          <input id="ws-security" type="checkbox" checked={securityUpdates} onChange={(e) => setSecurityUpdates(e.target.checked)} />
          <label htmlFor="ws-security">Email me security updates</label>
        </div>
        <div className="field checkbox">
          <input id="ws-telemetry" type="checkbox" checked={telemetry} onChange={(e) => setTelemetry(e.target.checked)} />
          <label htmlFor="ws-telemetry">Send anonymous usage data (telemetry)</label>
        </div>
      </fieldset>
      <ErrorBox error={error} />
      <p className="notice" role="status">{notice}</p>
      {canEdit && (
        <div className="actions">
          <button type="submit" disabled={busy}>{busy ? 'Saving…' : 'Save the workspace'}</button>
        </div>
      )}
    </form>
  );
}

function NotificationsForm({ workspace, canEdit, onSaved }: { workspace: Workspace; canEdit: boolean; onSaved: (w: Workspace) => void }) {
  const n = workspace.notificationSettings;
  const [url, setUrl] = useState(n.slackWebhookUrl ?? '');
  const [onFailure, setOnFailure] = useState(n.sendOnFailure);
  const [onSuccess, setOnSuccess] = useState(n.sendOnSuccess);
  const [onDisabled, setOnDisabled] = useState(n.sendOnConnectionDisabled);
  const [onUpdate, setOnUpdate] = useState(n.sendOnConnectionUpdate ?? true);
  const [onActionRequired, setOnActionRequired] = useState(n.sendOnConnectionUpdateActionRequired ?? true);
  const [threshold, setThreshold] = useState(String(n.consecutiveFailureThreshold));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState('');

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setNotice('');
    try {
      // The URL is answered masked; sending the mask back keeps the stored one, an empty field removes it.
      const w = await api<Workspace>('workspaces/update', {
        workspaceId: workspace.workspaceId,
        notificationSettings: {
          slackWebhookUrl: url.trim() === '' ? null : url.trim(),
          sendOnFailure: onFailure,
          sendOnSuccess: onSuccess,
          sendOnConnectionDisabled: onDisabled,
          sendOnConnectionUpdate: onUpdate,
          sendOnConnectionUpdateActionRequired: onActionRequired,
          consecutiveFailureThreshold: Number(threshold),
        },
      });
      onSaved(w);
      setUrl(w.notificationSettings.slackWebhookUrl ?? '');
      setNotice('Notifications saved.');
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const urlError = fieldError(error, 'notificationSettings.slackWebhookUrl');
  const thresholdError = fieldError(error, 'notificationSettings.consecutiveFailureThreshold');
  return (
    <form className="form card" onSubmit={submit} aria-labelledby="notifications-title">
      <h2 id="notifications-title" className="card-title">Notifications</h2>
      <fieldset className="plain" disabled={!canEdit}>
        <div className="field">
          <label htmlFor="notify-url">Slack webhook URL</label>
          <input id="notify-url" type="password" autoComplete="off" spellCheck={false} value={url}
            placeholder="https://hooks.slack.com/services/…" aria-invalid={urlError ? true : undefined}
            aria-describedby={urlError ? 'notify-url-help notify-url-error' : 'notify-url-help'}
            onChange={(e) => setUrl(e.target.value)} />
          <p className="help" id="notify-url-help">
            {n.slackWebhookUrl ? <>Stored as <code data-masked-url>{n.slackWebhookUrl}</code>; leave it to keep it, empty it to stop sending. </> : 'No webhook yet. '}
            The URL is a secret: it is never shown again.
          </p>
          {urlError && <p className="field-error" id="notify-url-error">{urlError}</p>}
        </div>
        <fieldset className="group">
          <legend>Send a message when</legend>
          <div className="field checkbox">
            <input id="notify-failure" type="checkbox" checked={onFailure} onChange={(e) => setOnFailure(e.target.checked)} />
            <label htmlFor="notify-failure">A sync fails</label>
          </div>
          <div className="field checkbox">
            <input id="notify-success" type="checkbox" checked={onSuccess} onChange={(e) => setOnSuccess(e.target.checked)} />
            <label htmlFor="notify-success">A sync succeeds</label>
          </div>
          <div className="field checkbox">
            <input id="notify-disabled" type="checkbox" checked={onDisabled} onChange={(e) => setOnDisabled(e.target.checked)} />
            <label htmlFor="notify-disabled">A connection is disabled after repeated failures</label>
          </div>
          <div className="field checkbox">
            <input id="notify-update" type="checkbox" checked={onUpdate} onChange={(e) => setOnUpdate(e.target.checked)} />
            <label htmlFor="notify-update">The source schema of a connection that asks for it changes</label>
          </div>
          <div className="field checkbox">
            <input id="notify-action" type="checkbox" checked={onActionRequired} onChange={(e) => setOnActionRequired(e.target.checked)} />
            <label htmlFor="notify-action">A schema change disables a connection</label>
          </div>
        </fieldset>
        <div className="field narrow">
          <label htmlFor="notify-threshold">Consecutive failures before disabling</label>
          <input id="notify-threshold" type="number" min={1} max={1000} step={1} required value={threshold}
            aria-invalid={thresholdError ? true : undefined}
            aria-describedby={thresholdError ? 'notify-threshold-help notify-threshold-error' : 'notify-threshold-help'}
            onChange={(e) => setThreshold(e.target.value)} />
          <p className="help" id="notify-threshold-help">From 1 to 1000 failed syncs in a row.</p>
          {thresholdError && <p className="field-error" id="notify-threshold-error">{thresholdError}</p>}
        </div>
      </fieldset>
      <ErrorBox error={error} />
      <p className="notice" role="status">{notice}</p>
      {canEdit && (
        <div className="actions">
          <button type="submit" disabled={busy}>{busy ? 'Saving…' : 'Save the notifications'}</button>
        </div>
      )}
    </form>
  );
}

/** Which workspaces a user reaches: every one (new ones too), or the ones ticked. */
interface WorkspaceAccess {
  allWorkspaces: boolean;
  workspaceIds: string[];
}

/** The API's fields for `access`: users/create and users/update take one or the other. */
function accessBody(access: WorkspaceAccess): Record<string, unknown> {
  return access.allWorkspaces ? { allWorkspaces: true } : { workspaceIds: access.workspaceIds };
}

function accessSummary(access: WorkspaceAccess, workspaces: Workspace[]): string {
  if (access.allWorkspaces) return 'Every workspace';
  const names = access.workspaceIds.map((id) => workspaces.find((w) => w.workspaceId === id)?.name ?? id);
  return names.join(', ');
}

/** Checkboxes for a user's workspaces; `idPrefix` keeps the ids of several on one page apart. */
function WorkspaceAccessFields({ idPrefix, legend, access, workspaces, onChange, error }: {
  idPrefix: string;
  legend: string;
  access: WorkspaceAccess;
  workspaces: Workspace[];
  onChange: (access: WorkspaceAccess) => void;
  error?: string;
}) {
  const toggle = (id: string, on: boolean) => {
    const ids = access.workspaceIds.filter((x) => x !== id);
    onChange({ allWorkspaces: false, workspaceIds: on ? [...ids, id] : ids });
  };
  return (
    <fieldset className="group workspace-access" aria-describedby={error ? `${idPrefix}-error` : undefined}>
      <legend>{legend}</legend>
      <div className="field checkbox">
        <input id={`${idPrefix}-all`} type="checkbox" checked={access.allWorkspaces}
          onChange={(e) => onChange({ allWorkspaces: e.target.checked, workspaceIds: access.workspaceIds })} />
        <label htmlFor={`${idPrefix}-all`}>Every workspace, new ones too</label>
      </div>
      {!access.allWorkspaces && workspaces.map((w) => (
        <div className="field checkbox" key={w.workspaceId}>
          <input id={`${idPrefix}-${w.workspaceId}`} type="checkbox" checked={access.workspaceIds.includes(w.workspaceId)}
            onChange={(e) => toggle(w.workspaceId, e.target.checked)} />
          <label htmlFor={`${idPrefix}-${w.workspaceId}`}>{w.name}</label>
        </div>
      ))}
      {error && <p className="field-error" id={`${idPrefix}-error`}>{error}</p>}
    </fieldset>
  );
}

/** A user's workspaces in the users table: a summary, and a form to change them. */
function WorkspaceAccessCell({ user, workspaces, onSaved, onError }: {
  user: ManagedUser;
  workspaces: Workspace[];
  onSaved: (notice: string) => void;
  onError: (err: unknown) => void;
}) {
  const [editing, setEditing] = useState<WorkspaceAccess | null>(null);
  const [error, setError] = useState<unknown>(null);
  const save = async (e: FormEvent) => {
    e.preventDefault();
    if (!editing) return;
    setError(null);
    try {
      await api('users/update', { userId: user.userId, ...accessBody(editing) });
      setEditing(null);
      onSaved(`${user.email} now reaches: ${accessSummary(editing, workspaces)}.`);
    } catch (err) {
      setError(err);
      onError(err);
    }
  };
  if (!editing) {
    return (
      <>
        <span data-workspaces>{accessSummary(user, workspaces)}</span>{' '}
        <button className="secondary small" aria-label={`Change the workspaces of ${user.email}`}
          onClick={() => setEditing({ allWorkspaces: user.allWorkspaces, workspaceIds: user.workspaceIds })}>Change</button>
      </>
    );
  }
  const fieldMessage = fieldError(error, 'workspaceIds') ?? fieldError(error, 'allWorkspaces');
  return (
    <form onSubmit={save} aria-label={`Workspaces of ${user.email}`}>
      <WorkspaceAccessFields idPrefix={`access-${user.userId}`} legend={`Workspaces of ${user.email}`} access={editing}
        workspaces={workspaces} onChange={setEditing} error={fieldMessage} />
      <div className="actions">
        <button type="submit" className="small">Save the workspaces</button>
        <button type="button" className="secondary small" onClick={() => { setEditing(null); setError(null); }}>Cancel</button>
      </div>
    </form>
  );
}

function UsersSection({ me }: { me: Me }) {
  const [users, setUsers] = useState<ManagedUser[] | null>(null);
  const [workspaces, setWorkspaces] = useState<Workspace[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState('');

  const load = useCallback(async () => {
    try {
      const [r, w] = await Promise.all([
        api<{ users: ManagedUser[] }>('users/list'),
        api<{ workspaces: Workspace[] }>('workspaces/list'),
      ]);
      setUsers(r.users);
      setWorkspaces(w.workspaces);
    } catch (err) {
      setError(err);
    }
  }, []);
  useEffect(() => {
    load();
  }, [load]);

  const changeRole = async (u: ManagedUser, role: string) => {
    setError(null);
    setNotice('');
    let done = '';
    try {
      await api('users/update', { userId: u.userId, role });
      done = `${u.email} is now ${roleLabel(role)}.`;
    } catch (err) {
      setError(err);
    }
    await load();
    setNotice(done);  // said once the table shows it
  };

  const remove = async (u: ManagedUser) => {
    if (!window.confirm(`Delete the user ${u.email}? Their sessions and API keys end.`)) return;
    setError(null);
    setNotice('');
    let done = '';
    try {
      await api('users/delete', { userId: u.userId });
      done = `${u.email} deleted.`;
    } catch (err) {
      setError(err);
    }
    await load();
    setNotice(done);  // said once the table shows it
  };

  return (
    <>
      <ErrorBox error={error} />
      <p className="notice" role="status">{notice}</p>
      {!users ? (
        <p className="loading">Loading…</p>
      ) : (
        <div className="table-wrap">
          <table className="list" aria-labelledby="users-title">
            <thead>
              <tr>
                <th scope="col">Email</th>
                <th scope="col">Name</th>
                <th scope="col">Role</th>
                <th scope="col">Workspaces</th>
                <th scope="col">Password</th>
                <th scope="col"><span className="visually-hidden">Actions</span></th>
              </tr>
            </thead>
            <tbody>
              {users.map((u) => (
                <tr key={u.userId} data-user-email={u.email ?? ''}>
                  <th scope="row" className="name">{u.email}</th>
                  <td>{u.name}</td>
                  <td>
                    <select aria-label={`Role: ${u.email}`} value={u.role} onChange={(e) => changeRole(u, e.target.value)}>
                      {ROLES.map((r) => (
                        <option key={r.value} value={r.value}>{r.label}</option>
                      ))}
                    </select>
                  </td>
                  <td className="workspaces">
                    <WorkspaceAccessCell user={u} workspaces={workspaces}
                      onSaved={async (text) => { setError(null); await load(); setNotice(text); }}
                      onError={() => setNotice('')} />
                  </td>
                  <td className="muted">{u.mustChangePassword ? 'must change at next login' : 'set'}</td>
                  <td className="row-actions">
                    {u.userId !== me.user.userId ? (
                      <button className="secondary small" onClick={() => remove(u)} aria-label={`Delete ${u.email}`}>Delete</button>
                    ) : (
                      <span className="muted">you</span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <NewUserForm workspaces={workspaces} onCreated={async (u) => { await load(); setNotice(`${u.email} added as ${roleLabel(u.role)}.`); }} />
    </>
  );
}

function NewUserForm({ workspaces, onCreated }: { workspaces: Workspace[]; onCreated: (u: ManagedUser) => void }) {
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [role, setRole] = useState('analyst');
  const [password, setPassword] = useState('');
  const [access, setAccess] = useState<WorkspaceAccess>({ allWorkspaces: true, workspaceIds: [] });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const u = await api<ManagedUser>('users/create', {
        email: email.trim(), name: name.trim() || undefined, role, password, ...accessBody(access),
      });
      setEmail('');
      setName('');
      setPassword('');
      setAccess({ allWorkspaces: true, workspaceIds: [] });
      onCreated(u);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const emailError = fieldError(error, 'email');
  const passwordError = fieldError(error, 'password');
  const accessError = fieldError(error, 'workspaceIds') ?? fieldError(error, 'allWorkspaces');
  return (
    <form className="form card new-user" onSubmit={submit} aria-labelledby="new-user-title">
      <h3 id="new-user-title" className="card-title">Add a user</h3>
      <div className="two-columns">
        <div className="field">
          <label htmlFor="new-user-email">Email</label>
          <input id="new-user-email" type="email" required autoComplete="off" value={email}
            aria-invalid={emailError ? true : undefined} aria-describedby={emailError ? 'new-user-email-error' : undefined}
            onChange={(e) => setEmail(e.target.value)} />
          {emailError && <p className="field-error" id="new-user-email-error">{emailError}</p>}
        </div>
        <div className="field">
          <label htmlFor="new-user-name">Name <span className="optional">(optional)</span></label>
          <input id="new-user-name" type="text" autoComplete="off" value={name} onChange={(e) => setName(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="new-user-role">Role</label>
          <select id="new-user-role" value={role} onChange={(e) => setRole(e.target.value)}>
            {ROLES.map((r) => (
              <option key={r.value} value={r.value}>{r.label}</option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="new-user-password">Initial password</label>
          <input id="new-user-password" type="password" required minLength={8} autoComplete="new-password" value={password}
            aria-invalid={passwordError ? true : undefined} aria-describedby="new-user-password-help"
            onChange={(e) => setPassword(e.target.value)} />
          <p className="help" id="new-user-password-help">{passwordError ?? 'At least 8 characters; the user chooses a new one at first login.'}</p>
        </div>
      </div>
      <WorkspaceAccessFields idPrefix="new-user-access" legend="Workspaces" access={access} workspaces={workspaces}
        onChange={setAccess} error={accessError} />
      <ErrorBox error={error} />
      <div className="actions">
        <button type="submit" disabled={busy}>{busy ? 'Adding…' : 'Add the user'}</button>
      </div>
    </form>
  );
}
