import { ApiError } from '../api';

/** An error in words, with the fields the server named (role=alert: read by screen readers). */
export function ErrorBox({ error }: { error: unknown }) {
  if (!error) return null;
  const message = error instanceof Error ? error.message : String(error);
  const details = error instanceof ApiError ? error.details : [];
  return (
    <div className="error" role="alert">
      <p>{message}</p>
      {details.length > 1 && (
        <ul>
          {details.map((d) => (
            <li key={d.field + d.message}>
              <code>{d.field}</code>: {d.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
