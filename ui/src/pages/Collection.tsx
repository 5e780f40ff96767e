import { api, path } from '../api';
import { ConfirmButton } from '../components/Confirm';
import { ErrorBox } from '../components/ErrorBox';
import { faces } from '../format';
import { useLoad } from '../hooks';
import { href, TABS, type Tab } from '../router';
import { collectionId, type Collection as CollectionT } from '../types';
import { Enroll } from './Enroll';
import { Faces } from './Faces';
import { Search } from './Search';
import { Settings } from './Settings';

const TAB_LABELS: Record<Tab, string> = { faces: 'Faces', enroll: 'Enroll', search: 'Identify / verify', settings: 'Settings' };

export interface CollectionProps {
  collection: CollectionT;
  id: string;
  /** The thresholds searches use when none is given: the collection's, else the model's defaults. */
  thresholds: { identify?: number; verify?: number };
  onChanged: () => void;
}

export function Collection({ id, tab }: { id: string; tab: Tab }) {
  const col = useLoad(() => api.get<CollectionT>(path`/collections/${id}`), [id]);
  if (col.error) {
    return (
      <main>
        <p>
          <a href={href.collections()}>‹ Collections</a>
        </p>
        <ErrorBox error={col.error} />
      </main>
    );
  }
  const c = col.data;
  const props: CollectionProps | undefined = c && {
    collection: c,
    id: collectionId(c) || id,
    thresholds: {
      identify: c.effective_thresholds?.identify ?? c.settings?.match_threshold ?? undefined,
      verify: c.effective_thresholds?.verify ?? c.settings?.match_threshold ?? undefined,
    },
    onChanged: col.reload,
  };
  return (
    <main>
      <p class="crumbs">
        <a href={href.collections()}>‹ Collections</a>
      </p>
      <div class="page-head">
        <div>
          <h2 data-testid="collection-title">{c?.name ?? '…'}</h2>
          <small class="muted">
            {id}
            {c?.model_version ? ` · model ${c.model_version}` : ''}
          </small>
        </div>
        <div class="row">
          <span class="count big" data-testid="collection-face-count">
            {faces(c?.face_count)}
          </span>
          {c && (
            <ConfirmButton
              label="Delete collection"
              title={`Delete “${c.name}”?`}
              body={`This deletes the collection and its ${faces(c.face_count)}, with their embeddings and crops. It cannot be undone.`}
              testId="delete-collection"
              onConfirm={async () => {
                await api.del(path`/collections/${id}`);
                location.hash = href.collections();
              }}
            />
          )}
        </div>
      </div>
      <nav class="tabs" role="tablist">
        {TABS.map((t) => (
          <a role="tab" aria-selected={t === tab} class={t === tab ? 'active' : ''} href={href.collection(id, t)} key={t} data-testid={`tab-${t}`}>
            {TAB_LABELS[t]}
          </a>
        ))}
      </nav>
      {props && tab === 'faces' && <Faces {...props} />}
      {props && tab === 'enroll' && <Enroll {...props} />}
      {props && tab === 'search' && <Search {...props} />}
      {props && tab === 'settings' && <Settings {...props} />}
    </main>
  );
}
