import { ApiError, describe } from '../api';

/** The API's error envelope shown as a sentence, its code, and any reasons the service gave. */
export function ErrorBox({ error, compact = false }: { error: unknown; compact?: boolean }) {
  if (!error) return null;
  const api = error instanceof ApiError ? error : undefined;
  const reasons = api?.details?.reasons;
  return (
    <div class={compact ? 'error compact' : 'error'} role="alert" data-testid="error">
      <strong>{describe(error)}</strong>
      {api && api.code !== 'NETWORK_ERROR' && (
        <span class="code">
          {api.code}
          {api.status ? ` · HTTP ${api.status}` : ''}
        </span>
      )}
      {Array.isArray(reasons) && reasons.length > 0 && (
        <ul class="reasons" data-testid="reasons">
          {reasons.map((r) => (
            <li key={String(r)}>{String(r)}</li>
          ))}
        </ul>
      )}
      {!compact && api?.requestId && <small class="muted">request {api.requestId}</small>}
    </div>
  );
}
