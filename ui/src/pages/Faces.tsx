import { useState } from 'preact/hooks';
import { api, path } from '../api';
import { ConfirmButton } from '../components/Confirm';
import { Crop, primaryOf } from '../components/Crop';
import { ErrorBox } from '../components/ErrorBox';
import { Pager } from '../components/Pager';
import { score, shortId, when } from '../format';
import { useLoad } from '../hooks';
import { href } from '../router';
import type { Face, Page } from '../types';
import type { CollectionProps } from './Collection';

const PAGE_SIZES = [12, 24, 48, 96];

export function Faces({ id, onChanged }: CollectionProps) {
  const [page, setPage] = useState(1);
  const [pageSize, setPageSize] = useState(24);
  const [filter, setFilter] = useState('');
  const [applied, setApplied] = useState('');
  const query = `page=${page}&page_size=${pageSize}` + (applied ? `&external_id=${encodeURIComponent(applied)}` : '');
  const list = useLoad(() => api.get<Page<Face>>(path`/collections/${id}/faces` + `?${query}`), [id, query]);
  const changed = () => {
    list.reload();
    onChanged();
  };
  return (
    <section>
      <form
        class="toolbar"
        onSubmit={(e) => {
          e.preventDefault();
          setPage(1);
          setApplied(filter.trim());
        }}
      >
        <input
          type="search"
          placeholder="Filter by external_id"
          value={filter}
          onInput={(e) => setFilter(e.currentTarget.value)}
          aria-label="external_id filter"
          data-testid="face-filter"
        />
        <button type="submit">Filter</button>
        {applied && (
          <button
            type="button"
            onClick={() => {
              setFilter('');
              setApplied('');
              setPage(1);
            }}
          >
            Clear
          </button>
        )}
        <label class="inline">
          per page
          <select
            data-testid="page-size"
            value={pageSize}
            onChange={(e) => {
              setPageSize(Number(e.currentTarget.value));
              setPage(1);
            }}
          >
            {PAGE_SIZES.map((s) => (
              <option value={s} key={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
      </form>
      <ErrorBox error={list.error} />
      {list.data && list.data.items.length === 0 && (
        <p class="empty">
          {applied ? `No face with external_id “${applied}”.` : 'No face enrolled yet.'} <a href={href.collection(id, 'enroll')}>Enroll photos</a>
        </p>
      )}
      <div class="face-grid" data-testid="face-grid">
        {list.data?.items.map((f) => <FaceCard key={f.face_id} collection={id} face={f} onChanged={changed} />)}
      </div>
      {list.data && list.data.total > 0 && (
        <Pager page={list.data.page} totalPages={list.data.total_pages} total={list.data.total} onPage={setPage} />
      )}
    </section>
  );
}

function FaceCard({ collection, face, onChanged }: { collection: string; face: Face; onChanged: () => void }) {
  // List items may come without references; the detail call has them.
  const detail = useLoad(
    () => (face.references ? Promise.resolve(face) : api.get<Face>(path`/collections/${collection}/faces/${face.face_id}`)),
    [collection, face.face_id, face.references],
  );
  const refs = detail.data?.references ?? [];
  const primary = primaryOf(refs);
  const meta = Object.entries(face.metadata ?? {});
  return (
    <article class="card face" data-testid="face-card" data-face-id={face.face_id}>
      {detail.loading ? (
        <div class="crop md placeholder">…</div>
      ) : (
        <Crop collection={collection} face={face.face_id} reference={primary?.reference_id} alt={`face of ${face.external_id}`} />
      )}
      <div class="face-body">
        <strong class="ext" title={face.external_id} data-testid="face-external-id">
          {face.external_id}
        </strong>
        <small class="muted mono" title={face.face_id}>
          {shortId(face.face_id)}
        </small>
        {meta.length > 0 && (
          <dl class="meta" data-testid="face-metadata">
            {meta.slice(0, 6).map(([k, v]) => (
              <div key={k}>
                <dt>{k}</dt>
                <dd>{typeof v === 'string' ? v : JSON.stringify(v)}</dd>
              </div>
            ))}
          </dl>
        )}
        <small class="muted">
          quality {score(face.quality_score)} · liveness {face.liveness_score == null ? 'not checked' : score(face.liveness_score)}
        </small>
        <small class="muted">{when(face.created_at)}</small>
        {refs.length > 0 && (
          <div class="refs" data-testid="references">
            {refs.map((r) => (
              <div class="ref" key={r.reference_id} title={`${r.reference_id} · ${when(r.created_at)}`}>
                <Crop collection={collection} face={face.face_id} reference={r.reference_id} alt={`reference ${r.reference_id}`} size="sm" />
                <span class={r.source === 'auto' ? 'badge auto' : 'badge'}>{r.source === 'auto' ? 'auto' : 'primary'}</span>
                {r.source === 'auto' && (
                  <ConfirmButton
                    small
                    label="×"
                    title="Remove this auto-enrolled reference?"
                    body="Searches will no longer match through it. The primary reference stays."
                    confirmLabel="Remove"
                    testId="remove-reference"
                    onConfirm={async () => {
                      await api.del(path`/collections/${collection}/faces/${face.face_id}/references/${r.reference_id}`);
                      detail.reload();
                      onChanged();
                    }}
                  />
                )}
              </div>
            ))}
          </div>
        )}
        <ErrorBox error={detail.error} compact />
        <ConfirmButton
          label="Delete"
          title={`Delete the face of “${face.external_id}”?`}
          body={`Face ${face.face_id} disappears from every search and its embeddings and crops are erased. It cannot be undone.`}
          testId="delete-face"
          small
          onConfirm={async () => {
            await api.del(path`/collections/${collection}/faces/${face.face_id}`);
            onChanged();
          }}
        />
      </div>
    </article>
  );
}
