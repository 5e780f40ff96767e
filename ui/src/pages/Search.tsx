import { useState } from 'preact/hooks';
import { api, path } from '../api';
import { PrimaryCrop } from '../components/Crop';
import { DropZone } from '../components/DropZone';
import { ErrorBox } from '../components/ErrorBox';
import { SimilarityBar } from '../components/SimilarityBar';
import { score, shortId } from '../format';
import { useFileUrl } from '../hooks';
import type { IdentifyResult, Match, QueryFace, VerifyResult } from '../types';
import type { CollectionProps } from './Collection';

type Mode = 'identify' | 'verify';

export function Search({ id, thresholds }: CollectionProps) {
  const [mode, setMode] = useState<Mode>('identify');
  const [topK, setTopK] = useState(5);
  const [threshold, setThreshold] = useState('');
  const [target, setTarget] = useState('');
  const [file, setFile] = useState<File>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [identified, setIdentified] = useState<IdentifyResult>();
  const [verified, setVerified] = useState<VerifyResult>();

  const run = async (files: File[]) => {
    const photo = files[0];
    setFile(photo);
    setError(undefined);
    setIdentified(undefined);
    setVerified(undefined);
    setBusy(true);
    const form = new FormData();
    form.append('image', photo, photo.name);
    if (threshold.trim()) form.append('threshold', threshold.trim());
    try {
      if (mode === 'identify') {
        form.append('top_k', String(topK));
        setIdentified(await api.post<IdentifyResult>(path`/collections/${id}/identify`, form));
      } else {
        const t = target.trim();
        // A face id targets one enrollment; anything else is the person's external_id (all their faces).
        if (t.startsWith('face_')) {
          setVerified(await api.post<VerifyResult>(path`/collections/${id}/faces/${t}/verify`, form));
        } else {
          form.append('external_id', t);
          setVerified(await api.post<VerifyResult>(path`/collections/${id}/verify`, form));
        }
      }
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const defaultThreshold = thresholds[mode];
  const shownThreshold = threshold.trim() ? Number(threshold) : defaultThreshold;
  return (
    <section class="search">
      <div class="segmented" role="radiogroup">
        {(['identify', 'verify'] as const).map((m) => (
          <button type="button" role="radio" aria-checked={m === mode} class={m === mode ? 'on' : ''} onClick={() => setMode(m)} key={m} data-testid={`mode-${m}`}>
            {m === 'identify' ? 'Identify (1:N)' : 'Verify (1:1)'}
          </button>
        ))}
      </div>
      <div class="card form-grid">
        {mode === 'identify' ? (
          <label>
            top_k
            <input type="number" min={1} max={100} value={topK} onInput={(e) => setTopK(Number(e.currentTarget.value) || 5)} />
          </label>
        ) : (
          <label>
            external_id or face_id
            <input value={target} onInput={(e) => setTarget(e.currentTarget.value)} required placeholder="user_alice_001 or face_…" data-testid="verify-target" />
          </label>
        )}
        <label>
          threshold
          <input
            type="number"
            step="0.01"
            min={-1}
            max={1}
            value={threshold}
            onInput={(e) => setThreshold(e.currentTarget.value)}
            placeholder={defaultThreshold == null ? 'collection default' : `default ${score(defaultThreshold, 3)}`}
          />
        </label>
      </div>
      {mode === 'verify' && !target.trim() ? (
        <p class="muted">Enter the external_id (or face_id) to verify against, then drop a photo.</p>
      ) : (
        <DropZone multiple={false} onFiles={run} label={mode === 'identify' ? 'Drop a photo to identify' : 'Drop a photo to verify'} testId="search-drop" />
      )}
      {busy && <p class="muted" data-testid="search-busy">Searching…</p>}
      <ErrorBox error={error} />
      {file && (identified || verified) && (
        <div class="search-result" data-testid="search-result">
          <QueryPhoto file={file} face={identified?.query_face ?? verified?.query_face} />
          <div class="matches">
            {identified && <IdentifyMatches collection={id} result={identified} threshold={shownThreshold} />}
            {verified && <VerifyAnswer collection={id} result={verified} />}
          </div>
        </div>
      )}
    </section>
  );
}

function IdentifyMatches({ collection, result, threshold }: { collection: string; result: IdentifyResult; threshold: number | undefined }) {
  return (
    <>
      <h3>
        {result.matches.length === 0 ? 'No match' : `${result.matches.length} ${result.matches.length === 1 ? 'match' : 'matches'}`}
        <small class="muted"> · threshold {score(threshold, 3)}</small>
      </h3>
      {result.matches.length === 0 && <p class="muted" data-testid="no-match">Nobody in this collection is similar enough: an unknown person.</p>}
      <ol class="match-list" data-testid="matches">
        {result.matches.map((m) => (
          <MatchRow collection={collection} match={m} threshold={threshold} key={m.face_id} />
        ))}
      </ol>
      {result.auto_enrolled && (
        <p class="notice" data-testid="auto-enrolled">
          The photo was added as an auto-enrolled reference of face {shortId(result.auto_enrolled.face_id)}.
        </p>
      )}
    </>
  );
}

function MatchRow({ collection, match, threshold }: { collection: string; match: Match; threshold: number | undefined }) {
  const meta = match.metadata && Object.keys(match.metadata).length ? JSON.stringify(match.metadata) : '';
  return (
    <li class="match" data-testid="match" data-external-id={match.external_id}>
      <PrimaryCrop collection={collection} face={match.face_id} alt={`face of ${match.external_id}`} size="sm" />
      <div class="match-body">
        <div class="row between">
          <strong class="ellipsis">{match.external_id}</strong>
          <small class="muted mono">{shortId(match.face_id)}</small>
        </div>
        <SimilarityBar similarity={match.similarity} threshold={threshold} />
        {meta && <small class="muted ellipsis">{meta}</small>}
      </div>
    </li>
  );
}

function VerifyAnswer({ collection, result }: { collection: string; result: VerifyResult }) {
  return (
    <>
      <h3>
        <span data-testid="verify-verdict" class={result.match ? 'ok' : 'bad'}>
          {result.match ? '✓ Same person' : '✗ Not the same person'}
        </span>
        <small class="muted"> · threshold {score(result.threshold, 3)}</small>
      </h3>
      <div class="match">
        {result.face_id && <PrimaryCrop collection={collection} face={result.face_id} alt={`face of ${result.external_id ?? ''}`} size="sm" />}
        <div class="match-body">
          <div class="row between">
            <strong>{result.external_id ?? ''}</strong>
            {result.face_id && <small class="muted mono">{shortId(result.face_id)}</small>}
          </div>
          <SimilarityBar similarity={result.similarity} threshold={result.threshold} />
        </div>
      </div>
    </>
  );
}

/** The dropped photo with the detected face outlined, so the user sees which face was searched. */
function QueryPhoto({ file, face }: { file: File; face: QueryFace | undefined }) {
  const url = useFileUrl(file);
  const [size, setSize] = useState<{ w: number; h: number }>();
  const box = face?.bounding_box;
  return (
    <figure class="query">
      <div class="query-frame">
        {url && <img src={url} alt="query photo" onLoad={(e) => setSize({ w: e.currentTarget.naturalWidth, h: e.currentTarget.naturalHeight })} />}
        {box && size && (
          <div
            class="bbox"
            style={{
              left: `${(box.x / size.w) * 100}%`,
              top: `${(box.y / size.h) * 100}%`,
              width: `${(box.width / size.w) * 100}%`,
              height: `${(box.height / size.h) * 100}%`,
            }}
          />
        )}
      </div>
      <figcaption class="muted">
        quality {score(face?.quality_score)} · liveness {face?.liveness_score == null ? 'not checked' : score(face.liveness_score)}
      </figcaption>
    </figure>
  );
}
