// The one place that talks HTTP: adds the key, unwraps the success envelope and turns the error
// envelope into an ApiError, so pages only deal with data or a typed failure.

const KEY_STORAGE = 'visage.apiKey';
export const API = '/api/v1';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
    readonly requestId?: string,
  ) {
    super(message);
  }
}

export const session = {
  get key(): string | null {
    return sessionStorage.getItem(KEY_STORAGE);
  },
  set(key: string) {
    sessionStorage.setItem(KEY_STORAGE, key);
  },
  clear() {
    sessionStorage.removeItem(KEY_STORAGE);
  },
};

// A revoked key mid-session must bring back the sign-in page rather than a wall of errors.
type Listener = (e: ApiError) => void;
let onUnauthorized: Listener = () => {};
export const setUnauthorizedHandler = (l: Listener) => {
  onUnauthorized = l;
};

async function send(path: string, init: RequestInit = {}, key = session.key): Promise<Response> {
  const headers = new Headers(init.headers);
  if (key) headers.set('X-API-Key', key);
  let res: Response;
  try {
    res = await fetch(path, { ...init, headers });
  } catch {
    throw new ApiError(0, 'NETWORK_ERROR', 'Cannot reach the Visage service. Is it running?');
  }
  if (res.ok) return res;
  const err = await toError(res);
  if (res.status === 401 && key === session.key) onUnauthorized(err);
  throw err;
}

async function toError(res: Response): Promise<ApiError> {
  const requestId = res.headers.get('X-Request-Id') ?? undefined;
  const text = await res.text();
  try {
    const body = JSON.parse(text);
    const e = body?.error;
    if (e && typeof e === 'object')
      return new ApiError(res.status, String(e.code ?? res.status), String(e.message ?? res.statusText), e.details ?? {}, body.request_id ?? requestId);
  } catch {
    /* not an envelope: fall through to the status line */
  }
  const fallback: Record<number, string> = {
    401: 'The API key is missing or invalid.',
    403: 'This API key is not allowed to do that.',
    404: 'Not found.',
    413: 'The image is too large.',
    500: 'The service failed; see its log.',
  };
  return new ApiError(res.status, `HTTP_${res.status}`, fallback[res.status] ?? (text.slice(0, 200) || res.statusText), {}, requestId);
}

async function json<T>(res: Response): Promise<T> {
  const body = await res.json();
  return (body && typeof body === 'object' && 'success' in body ? body.data : body) as T;
}

type Body = FormData | object | undefined;

function init(method: string, body: Body): RequestInit {
  if (body === undefined) return { method };
  if (body instanceof FormData) return { method, body };
  return { method, body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } };
}

export const api = {
  get: <T>(path: string) => send(API + path).then((r) => json<T>(r)),
  post: <T>(path: string, body?: Body) => send(API + path, init('POST', body)).then((r) => json<T>(r)),
  patch: <T>(path: string, body: Body) => send(API + path, init('PATCH', body)).then((r) => json<T>(r)),
  put: <T>(path: string, body: Body) => send(API + path, init('PUT', body)).then((r) => json<T>(r)),
  del: <T>(path: string) => send(API + path, init('DELETE', undefined)).then((r) => json<T>(r)),
  blob: (path: string) => send(API + path).then((r) => r.blob()),
  /** Operations endpoints live outside /api/v1 and may answer plain text. */
  raw: (path: string) => fetch(path, { headers: session.key ? { 'X-API-Key': session.key } : {} }),
  /** Checks a key before keeping it: 401 means wrong, 403 means right but scoped (still usable). */
  async checkKey(key: string): Promise<void> {
    try {
      await send(API + '/collections?page=1&page_size=1', {}, key);
    } catch (e) {
      if (e instanceof ApiError && e.status === 403) return;
      throw e;
    }
  },
};

export const path = (strings: TemplateStringsArray, ...ids: string[]) =>
  strings.reduce((acc, s, i) => acc + s + (i < ids.length ? encodeURIComponent(ids[i]) : ''), '');

export function describe(e: unknown): string {
  if (e instanceof ApiError) return e.message;
  return e instanceof Error ? e.message : String(e);
}
