// Placeholder: one source or destination (edit, test, delete).
export function ActorPage({ kind, id }: { kind: 'source' | 'destination'; id: string }) {
  return (
    <section>
      <h1>
        {kind} {id}
      </h1>
    </section>
  );
}
