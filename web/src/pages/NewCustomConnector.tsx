// "New custom connector" (Airbyte's connector builder import): a name and a declarative YAML
// manifest, uploaded from a file or pasted, sent as text to
// declarative_source_definitions/create_manifest (the server parses and checks it: invalid YAML or
// an unsupported component is a 422 naming the manifest's line or path). On success the new
// definition is picked in "New source", whose form follows the manifest's spec.
import { ChangeEvent, FormEvent, useEffect, useState } from 'react';
import { api, Definition } from '../api';
import { ErrorBox } from '../components/ErrorBox';
import { Link } from '../components/Link';
import { navigate } from '../router';

export function NewCustomConnectorPage() {
  const [name, setName] = useState('');
  const [manifest, setManifest] = useState('');
  const [fileName, setFileName] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    document.title = 'New custom connector · sluice';
  }, []);

  const load = async (e: ChangeEvent<HTMLInputElement>) => {
    const file = e.target.files?.[0];
    if (!file) return;
    setFileName(file.name);
    setManifest(await file.text());
    if (!name) setName(file.name.replace(/\.(ya?ml)$/i, ''));
  };

  const save = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const created = await api<Definition>('declarative_source_definitions/create_manifest', {
        name: name.trim(),
        declarativeManifest: { manifest, description: fileName ? `Imported from ${fileName}` : 'Pasted manifest' },
      });
      navigate(`/sources/new?definition=${encodeURIComponent(created.sourceDefinitionId ?? '')}`);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="custom-title">
      <div className="page-head">
        <h1 id="custom-title">New custom connector</h1>
        <Link href="/sources/new">Back to the new source</Link>
      </div>
      <form className="card form" onSubmit={save}>
        <p className="muted">
          A source connector from a declarative (low-code) YAML manifest, such as one exported from Airbyte's connector builder.
          It runs natively as source-declarative-manifest; its settings form follows the manifest's <code>spec.connection_specification</code>.
        </p>
        <div className="field">
          <label htmlFor="custom-name">
            Connector name<span className="required" aria-hidden="true"> *</span>
          </label>
          <input id="custom-name" type="text" required value={name} onChange={(e) => setName(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="custom-file">Manifest file (YAML)</label>
          <input id="custom-file" type="file" accept=".yaml,.yml,application/yaml,text/yaml" onChange={load} />
        </div>
        <div className="field">
          <label htmlFor="custom-manifest">
            Manifest<span className="required" aria-hidden="true"> *</span>
          </label>
          <textarea id="custom-manifest" className="code" rows={16} required spellCheck={false} value={manifest}
            aria-describedby="custom-manifest-help" onChange={(e) => setManifest(e.target.value)} />
          <p className="help" id="custom-manifest-help">Paste the YAML here, or choose a file above.</p>
        </div>
        <ErrorBox error={error} />
        <div className="actions">
          <button type="submit" disabled={busy}>
            {busy ? 'Creating…' : 'Create the connector'}
          </button>
        </div>
      </form>
    </section>
  );
}
