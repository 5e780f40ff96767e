import { useState } from 'preact/hooks';
import { api } from '../api';
import { ErrorBox } from '../components/ErrorBox';
import { Pager } from '../components/Pager';
import { faces, score, when } from '../format';
import { useLoad } from '../hooks';
import { href } from '../router';
import { collectionId, type Collection, type Page } from '../types';

const PAGE_SIZE = 24;

export function Collections() {
  const [page, setPage] = useState(1);
  const list = useLoad(() => api.get<Page<Collection>>(`/collections?page=${page}&page_size=${PAGE_SIZE}`), [page]);
  return (
    <main>
      <div class="page-head">
        <h2>Collections</h2>
      </div>
      <CreateCollection onCreated={(c) => (location.hash = href.collection(collectionId(c)))} />
      <ErrorBox error={list.error} />
      {list.data && list.data.items.length === 0 && <p class="empty">No collection yet: create one above.</p>}
      <div class="collections" data-testid="collections">
        {list.data?.items.map((c) => (
          <a class="card collection" href={href.collection(collectionId(c))} key={collectionId(c)} data-testid="collection-card">
            <div class="row between">
              <strong class="name">{c.name}</strong>
              <span class="count" data-testid="face-count">
                {faces(c.face_count)}
              </span>
            </div>
            {c.description && <p class="muted desc">{c.description}</p>}
            <div class="chips">
              <span class="chip" title="identify (1:N) threshold">match ≥ {score(c.settings?.match_threshold ?? c.effective_thresholds?.identify)}</span>
              <span class="chip">liveness {c.settings?.check_liveness === false ? 'off' : 'on'}</span>
              <span class="chip">auto-enroll {c.settings?.auto_enroll === false ? 'off' : 'on'}</span>
            </div>
            <small class="muted">
              {collectionId(c)} · {when(c.created_at)}
            </small>
          </a>
        ))}
      </div>
      {list.data && list.data.total_pages > 1 && (
        <Pager page={list.data.page} totalPages={list.data.total_pages} total={list.data.total} onPage={setPage} />
      )}
    </main>
  );
}

function CreateCollection({ onCreated }: { onCreated: (c: Collection) => void }) {
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [liveness, setLiveness] = useState(true);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const body = { name: name.trim(), description: description.trim() || undefined, settings: { check_liveness: liveness } };
      onCreated(await api.post<Collection>('/collections', body));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="card create" onSubmit={submit} data-testid="create-collection">
      <label>
        Name
        <input value={name} onInput={(e) => setName(e.currentTarget.value)} required maxLength={200} data-testid="collection-name" />
      </label>
      <label>
        Description
        <input value={description} onInput={(e) => setDescription(e.currentTarget.value)} maxLength={1000} />
      </label>
      <label class="check">
        <input type="checkbox" checked={liveness} onChange={(e) => setLiveness(e.currentTarget.checked)} data-testid="collection-liveness" />
        Check liveness
      </label>
      <button type="submit" class="primary" disabled={busy || !name.trim()} data-testid="create">
        {busy ? 'Creating…' : 'Create collection'}
      </button>
      <ErrorBox error={error} compact />
    </form>
  );
}
