import { FormEvent, useEffect, useState } from 'react';
import { api, Workspace } from '../api';
import { ErrorBox } from '../components/ErrorBox';

/** First run (after the first admin's password change): workspace name, email, email
 *  preferences and the telemetry choice; saved with initialSetupComplete = true. */
export function SetupPage({ workspace, onDone }: { workspace: Workspace; onDone: () => void }) {
  const [name, setName] = useState(workspace.name);
  const [email, setEmail] = useState(workspace.email ?? '');
  const [news, setNews] = useState(workspace.news);
  const [securityUpdates, setSecurityUpdates] = useState(workspace.securityUpdates);
  const [telemetry, setTelemetry] = useState(workspace.anonymousDataCollection);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    document.title = 'Set up your workspace · sluice';
  }, []);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api<Workspace>('workspaces/update', {
        workspaceId: workspace.workspaceId,
        name: name.trim(),
        email: email.trim(),
        news,
        securityUpdates,
        anonymousDataCollection: telemetry,
        initialSetupComplete: true,
      });
      onDone();
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return (
    <main className="centered" id="main">
      <form className="card auth setup" onSubmit={submit} aria-labelledby="setup-title">
        <h1 id="setup-title">Set up your workspace</h1>
        <p className="muted">A few choices before the first connection; all of them can be changed later in Settings.</p>
        <div className="field">
          <label htmlFor="setup-name">Workspace name</label>
          <input id="setup-name" type="text" required autoFocus value={name} onChange={(e) => setName(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="setup-email">Email</label>
          <input id="setup-email" type="email" autoComplete="email" required value={email}
            aria-describedby="setup-email-help" onChange={(e) => setEmail(e.target.value)} />
          <p className="help" id="setup-email-help">Where sluice sends the emails you choose below.</p>
        </div>
        <fieldset className="group">
          <legend>Emails</legend>
          <div className="field checkbox">
            <input id="setup-news" type="checkbox" checked={news} onChange={(e) => setNews(e.target.checked)} />
            <label htmlFor="setup-news">News and feature updates</label>
          </div>
          <div className="field checkbox">
            <input id="setup-security" type="checkbox" checked={securityUpdates}
              onChange={(e) => setSecurityUpdates(e.target.checked)} />
            <label htmlFor="setup-security">Security updates</label>
          </div>
        </fieldset>
        <div className="field checkbox">
          <input id="setup-telemetry" type="checkbox" checked={telemetry} aria-describedby="setup-telemetry-help"
            onChange={(e) => setTelemetry(e.target.checked)} />
          <label htmlFor="setup-telemetry">Anonymous usage data (telemetry)</label>
          <p className="help" id="setup-telemetry-help">
            Counts of connections and syncs, never data, names or credentials.
          </p>
        </div>
        <ErrorBox error={error} />
        <button type="submit" disabled={busy}>
          {busy ? 'Saving…' : 'Continue'}
        </button>
      </form>
    </main>
  );
}
