import { useEffect, useState } from 'react';
import { Actor, ActorKind, actorId, api } from '../api';
import { ErrorBox } from '../components/ErrorBox';
import { Link } from '../components/Link';
import { absoluteTime, relativeTime } from '../format';
import { useCan } from '../session';

export const TITLES: Record<ActorKind, { one: string; many: string }> = {
  source: { one: 'source', many: 'Sources' },
  destination: { one: 'destination', many: 'Destinations' },
};

/** The sources or destinations of the workspace; each name links to its page (edit, delete). */
export function ActorsPage({ kind }: { kind: ActorKind }) {
  const [actors, setActors] = useState<Actor[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const title = TITLES[kind];
  const mayEdit = useCan('edit_configs');

  useEffect(() => {
    document.title = `${title.many} · sluice`;
    setActors(null);
    setError(null);
    api<Record<string, Actor[]>>(`${kind}s/list`, {})
      .then((r) => setActors(r[`${kind}s`] ?? []))
      .catch(setError);
  }, [kind, title.many]);

  return (
    <section aria-labelledby="actors-title">
      <div className="page-head">
        <h1 id="actors-title">{title.many}</h1>
        {mayEdit && (
          <div className="actions">
            {kind === 'source' && (
              <Link className="button secondary" href="/sources/custom/new">
                New custom connector
              </Link>
            )}
            <Link className="button" href={`/${kind}s/new`}>
              New {title.one}
            </Link>
          </div>
        )}
      </div>
      <ErrorBox error={error} />
      {actors === null ? (
        !error && <p className="loading">Loading…</p>
      ) : actors.length === 0 ? (
        <div className="empty">
          <p>No {title.one} yet.</p>
        </div>
      ) : (
        <div className="table-wrap">
          <table className="list" aria-label={title.many}>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Connector</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {actors.map((a) => (
                <tr key={actorId(kind, a)}>
                  <th scope="row" className="name">
                    <Link href={`/${kind}s/${encodeURIComponent(actorId(kind, a))}`}>{a.name}</Link>
                  </th>
                  <td>
                    {(kind === 'source' ? a.sourceName : a.destinationName) ?? a.connectorName}{' '}
                    <code className="muted">{a.connectorName}</code>
                  </td>
                  <td title={absoluteTime(a.createdAt)}>{relativeTime(a.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
