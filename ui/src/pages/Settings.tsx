import { useState } from 'preact/hooks';
import { api, path } from '../api';
import { ErrorBox } from '../components/ErrorBox';
import { score } from '../format';
import type { Collection, CollectionSettings } from '../types';
import type { CollectionProps } from './Collection';

type Effective = NonNullable<Collection['effective_thresholds']>;
type Field = {
  key: keyof CollectionSettings;
  label: string;
  kind: 'number' | 'bool' | 'int';
  hint: string;
  /** What applies while the setting is unset, so the user sees the value before overriding it. */
  effective?: (e: Effective) => string;
};

const FIELDS: Field[] = [
  { key: 'match_threshold', label: 'match threshold', kind: 'number', hint: 'similarity needed to call two faces the same person', effective: (e) => `identify ${score(e.identify)} · verify ${score(e.verify)}` },
  { key: 'check_liveness', label: 'check liveness', kind: 'bool', hint: 'reject photos of photos and screens' },
  { key: 'liveness_threshold', label: 'liveness threshold', kind: 'number', hint: 'liveness score needed to pass', effective: (e) => score(e.liveness) },
  { key: 'quality_threshold', label: 'quality threshold', kind: 'number', hint: 'quality score needed to enroll' },
  { key: 'auto_enroll', label: 'auto-enroll', kind: 'bool', hint: 'keep confident search photos as extra references' },
  { key: 'auto_enroll_threshold', label: 'auto-enroll threshold', kind: 'number', hint: 'stricter than the match threshold', effective: (e) => score(e.auto_enroll) },
  { key: 'max_references_per_face', label: 'max references per face', kind: 'int', hint: 'oldest auto reference is replaced beyond it' },
  { key: 'store_face_crops', label: 'store face crops', kind: 'bool', hint: 'keep the aligned 112×112 crop (shown here, allows re-embedding)' },
];

export function Settings({ id, collection, onChanged }: CollectionProps) {
  const initial = () => ({
    name: collection.name,
    description: collection.description ?? '',
    ...Object.fromEntries(FIELDS.map((f) => [f.key, collection.settings?.[f.key] == null ? '' : String(collection.settings[f.key])])),
  });
  const [values, setValues] = useState<Record<string, string>>(initial);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [saved, setSaved] = useState(false);
  const set = (k: string, v: string) => {
    setSaved(false);
    setValues((s) => ({ ...s, [k]: v }));
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    const settings: Record<string, number | boolean> = {};
    for (const f of FIELDS) {
      const v = values[f.key];
      if (v === '') continue;
      settings[f.key] = f.kind === 'bool' ? v === 'true' : Number(v);
    }
    try {
      await api.patch(path`/collections/${id}`, { name: values.name.trim(), description: values.description, settings });
      setSaved(true);
      onChanged();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="card settings" onSubmit={submit} data-testid="settings-form">
      <label>
        name
        <input value={values.name} onInput={(e) => set('name', e.currentTarget.value)} required />
      </label>
      <label>
        description
        <input value={values.description} onInput={(e) => set('description', e.currentTarget.value)} />
      </label>
      {FIELDS.map((f) => (
        <label key={f.key} title={f.hint}>
          {f.label}
          {f.kind === 'bool' ? (
            <select name={f.key} value={values[f.key]} onChange={(e) => set(f.key, e.currentTarget.value)}>
              <option value="">default</option>
              <option value="true">on</option>
              <option value="false">off</option>
            </select>
          ) : (
            <input
              name={f.key}
              type="number"
              step={f.kind === 'int' ? 1 : 0.001}
              value={values[f.key]}
              onInput={(e) => set(f.key, e.currentTarget.value)}
              placeholder={f.effective && collection.effective_thresholds ? `default: ${f.effective(collection.effective_thresholds)}` : 'default'}
            />
          )}
          <small class="muted">{f.hint}</small>
        </label>
      ))}
      <div class="row end full">
        {saved && <span class="ok">Saved.</span>}
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Saving…' : 'Save settings'}
        </button>
      </div>
      <ErrorBox error={error} compact />
    </form>
  );
}
