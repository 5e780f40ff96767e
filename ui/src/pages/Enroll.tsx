import { useRef, useState } from 'preact/hooks';
import { api, ApiError, path } from '../api';
import { DropZone } from '../components/DropZone';
import { ErrorBox } from '../components/ErrorBox';
import { externalIdFromFileName, score, shortId } from '../format';
import { useFileUrl } from '../hooks';
import type { Face } from '../types';
import type { CollectionProps } from './Collection';

interface Item {
  key: number;
  file: File;
  externalId: string;
  state: 'queued' | 'working' | 'enrolled' | 'rejected';
  face?: Face;
  error?: unknown;
}

type Liveness = 'default' | 'true' | 'false';

export function Enroll({ id, collection, onChanged }: CollectionProps) {
  const [externalId, setExternalId] = useState('');
  const [metadata, setMetadata] = useState('');
  const [liveness, setLiveness] = useState<Liveness>('default');
  const [items, setItems] = useState<Item[]>([]);
  const [formError, setFormError] = useState<unknown>();
  const nextKey = useRef(0);
  const queue = useRef(Promise.resolve());

  const update = (key: number, patch: Partial<Item>) => setItems((xs) => xs.map((x) => (x.key === key ? { ...x, ...patch } : x)));

  const enrollOne = async (item: Item, meta: string | undefined, live: Liveness) => {
    update(item.key, { state: 'working' });
    const form = new FormData();
    form.append('image', item.file, item.file.name);
    form.append('external_id', item.externalId);
    if (meta) form.append('metadata', meta);
    if (live !== 'default') form.append('check_liveness', live);
    try {
      const face = await api.post<Face>(path`/collections/${id}/faces`, form);
      update(item.key, { state: 'enrolled', face });
      onChanged();
    } catch (error) {
      update(item.key, { state: 'rejected', error });
    }
  };

  const add = (files: File[]) => {
    const meta = metadata.trim() || undefined;
    if (meta && !isJsonObject(meta)) {
      setFormError(new ApiError(0, 'VALIDATION_FAILED', 'Metadata must be a JSON object, like {"name": "Alice"}.'));
      return;
    }
    setFormError(undefined);
    const fresh = files.map<Item>((file) => ({
      key: nextKey.current++,
      file,
      externalId: externalId.trim() || externalIdFromFileName(file.name),
      state: 'queued',
    }));
    setItems((xs) => [...fresh, ...xs]);
    // One photo at a time: the service works on a few CPU cores and each result shows as it lands.
    for (const item of fresh) queue.current = queue.current.then(() => enrollOne(item, meta, liveness));
  };

  const enrolled = items.filter((x) => x.state === 'enrolled').length;
  const rejected = items.filter((x) => x.state === 'rejected').length;
  const pending = items.length - enrolled - rejected;
  const defaultLiveness = collection.settings?.check_liveness === false ? 'off' : 'on';
  return (
    <section class="enroll">
      <div class="card form-grid">
        <label>
          external_id
          <input
            value={externalId}
            onInput={(e) => setExternalId(e.currentTarget.value)}
            placeholder="empty: taken from each file name"
            data-testid="enroll-external-id"
          />
        </label>
        <label>
          metadata (JSON object)
          <input value={metadata} onInput={(e) => setMetadata(e.currentTarget.value)} placeholder='{"name": "Alice Smith"}' data-testid="enroll-metadata" />
        </label>
        <label>
          liveness check
          <select value={liveness} onChange={(e) => setLiveness(e.currentTarget.value as Liveness)} data-testid="enroll-liveness">
            <option value="default">collection default ({defaultLiveness})</option>
            <option value="true">check</option>
            <option value="false">skip</option>
          </select>
        </label>
      </div>
      <ErrorBox error={formError} compact />
      <DropZone multiple onFiles={add} label="Drop one or many photos to enroll" testId="enroll-drop" />
      {items.length > 0 && (
        <p class="summary" data-testid="enroll-summary">
          {enrolled} enrolled · {rejected} rejected{pending ? ` · ${pending} in progress` : ''}
          <button type="button" class="link" onClick={() => setItems((xs) => xs.filter((x) => x.state === 'queued' || x.state === 'working'))}>
            clear finished
          </button>
        </p>
      )}
      <ul class="results" data-testid="enroll-results">
        {items.map((item) => (
          <EnrollResult item={item} key={item.key} />
        ))}
      </ul>
    </section>
  );
}

function EnrollResult({ item }: { item: Item }) {
  const url = useFileUrl(item.file);
  const f = item.face;
  const details = item.error instanceof ApiError ? item.error.details : {};
  return (
    <li class={`result ${item.state}`} data-testid="enroll-result" data-state={item.state} data-file={item.file.name}>
      {url && <img class="thumb" src={url} alt={item.file.name} />}
      <div class="result-body">
        <div class="row between">
          <strong class="ellipsis" title={item.file.name}>
            {item.file.name}
          </strong>
          <span class={`status ${item.state}`} data-testid="enroll-status">
            {item.state}
          </span>
        </div>
        <small class="muted">external_id {item.externalId}</small>
        {f && (
          <div class="facts">
            <span title={f.face_id}>face {shortId(f.face_id)}</span>
            <span>quality {score(f.quality_score)}</span>
            <span data-testid="enroll-liveness-score">liveness {f.liveness_score == null ? 'not checked' : score(f.liveness_score)}</span>
            {(f.faces_detected ?? 1) > 1 && <span class="warn">{f.faces_detected} faces in photo: the main one enrolled</span>}
          </div>
        )}
        {item.state === 'rejected' && (
          <>
            <ErrorBox error={item.error} compact />
            <div class="facts">
              {typeof details.quality_score === 'number' && <span>quality {score(details.quality_score)}</span>}
              {typeof details.liveness_score === 'number' && (
                <span data-testid="enroll-liveness-score">
                  liveness {score(details.liveness_score)}
                  {typeof details.threshold === 'number' ? ` (needs ≥ ${score(details.threshold)})` : ''}
                </span>
              )}
            </div>
          </>
        )}
      </div>
    </li>
  );
}

function isJsonObject(text: string): boolean {
  try {
    const v = JSON.parse(text);
    return v !== null && typeof v === 'object' && !Array.isArray(v);
  } catch {
    return false;
  }
}
