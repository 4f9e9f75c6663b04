import { FormEvent, useEffect, useState } from 'react';
import { api, ApiError, Me } from '../api';
import { ErrorBox } from '../components/ErrorBox';

export function LoginPage({ onLoggedIn }: { onLoggedIn: () => void }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    document.title = 'Log in · sluice';
  }, []);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api('auth/login', { email, password });
      onLoggedIn();
    } catch (err) {
      if (err instanceof ApiError && err.status === 422 && err.message.includes('--no-auth')) {
        onLoggedIn(); // a --no-auth server: everyone is admin
        return;
      }
      setError(err);
      setBusy(false);
    }
  };

  return (
    <main className="centered" id="main">
      <form className="card auth" onSubmit={submit} aria-labelledby="login-title">
        <h1 id="login-title">Log in to sluice</h1>
        <div className="field">
          <label htmlFor="login-email">Email</label>
          <input id="login-email" type="email" autoComplete="username" required autoFocus value={email}
            onChange={(e) => setEmail(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="login-password">Password</label>
          <input id="login-password" type="password" autoComplete="current-password" required value={password}
            onChange={(e) => setPassword(e.target.value)} />
        </div>
        <ErrorBox error={error} />
        <button type="submit" disabled={busy}>
          {busy ? 'Logging in…' : 'Log in'}
        </button>
      </form>
    </main>
  );
}

export function ChangePasswordPage({ me, onChanged }: { me: Me; onChanged: () => void }) {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    document.title = 'Choose a new password · sluice';
  }, []);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    if (next !== repeat) {
      setError(new Error('The two new passwords differ.'));
      return;
    }
    setBusy(true);
    try {
      await api('users/change_password', { currentPassword: current, newPassword: next });
      onChanged();
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return (
    <main className="centered" id="main">
      <form className="card auth" onSubmit={submit} aria-labelledby="change-title">
        <h1 id="change-title">Choose a new password</h1>
        <p>
          {me.user.email} still has its first password. Choose your own (at least 8 characters) before going on.
        </p>
        <div className="field">
          <label htmlFor="pw-current">Current password</label>
          <input id="pw-current" type="password" autoComplete="current-password" required autoFocus value={current}
            onChange={(e) => setCurrent(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="pw-new">New password</label>
          <input id="pw-new" type="password" autoComplete="new-password" required minLength={8} value={next}
            onChange={(e) => setNext(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="pw-repeat">New password again</label>
          <input id="pw-repeat" type="password" autoComplete="new-password" required minLength={8} value={repeat}
            onChange={(e) => setRepeat(e.target.value)} />
        </div>
        <ErrorBox error={error} />
        <button type="submit" disabled={busy}>
          {busy ? 'Saving…' : 'Save the new password'}
        </button>
      </form>
    </main>
  );
}
