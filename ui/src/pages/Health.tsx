import { useEffect } from 'preact/hooks';
import { api } from '../api';
import { ErrorBox } from '../components/ErrorBox';
import { useLoad } from '../hooks';
import { breakdown, parseMetrics, summarise, type Family, type Row, type Summary } from '../metrics';
import type { ModelInfo } from '../types';

interface Probe { path: string; status: number; ok: boolean; body: string; ms: number }

async function probe(path: string): Promise<Probe> {
  const t0 = performance.now();
  try {
    const res = await api.raw(path);
    return { path, status: res.status, ok: res.ok, body: await res.text(), ms: performance.now() - t0 };
  } catch {
    return { path, status: 0, ok: false, body: 'unreachable', ms: performance.now() - t0 };
  }
}

const REFRESH_MS = 15000;

export function Health() {
  const state = useLoad(async () => {
    const [healthz, readyz, metrics] = await Promise.all([probe('/healthz'), probe('/readyz'), probe('/metrics')]);
    const families = metrics.ok ? parseMetrics(metrics.body) : [];
    return { healthz, readyz, metrics, families };
  }, []);
  // GET /models lists the loaded models; the first is the one collections use.
  const models = useLoad(() => api.get<ModelInfo | ModelInfo[]>('/models').then((m) => (Array.isArray(m) ? m[0] : m)), []);
  useEffect(() => {
    const t = setInterval(state.reload, REFRESH_MS);
    return () => clearInterval(t);
  }, []);
  const d = state.data;
  return (
    <main>
      <div class="page-head">
        <h2>Service health</h2>
        <button type="button" onClick={state.reload} disabled={state.loading}>
          {state.loading ? 'Refreshing…' : 'Refresh'}
        </button>
      </div>
      <div class="probes">
        {d && [d.healthz, d.readyz].map((p) => <ProbeCard probe={p} key={p.path} />)}
      </div>
      {d && <KeyFigures families={d.families} />}
      {d && <Breakdowns families={d.families} />}
      <section class="card">
        <h3>Model</h3>
        <ErrorBox error={models.error} compact />
        {models.data && <ModelFacts m={models.data} />}
      </section>
      {d && !d.metrics.ok && <p class="error">/metrics answered HTTP {d.metrics.status}.</p>}
      {d && d.families.length > 0 && <MetricsTable families={d.families} />}
    </main>
  );
}

function ProbeCard({ probe: p }: { probe: Probe }) {
  let detail = p.body;
  try {
    detail = JSON.stringify(JSON.parse(p.body), null, 2);
  } catch {
    /* plain text */
  }
  return (
    <section class={`card probe ${p.ok ? 'up' : 'down'}`} data-testid={`probe-${p.path.slice(1)}`} data-ok={p.ok}>
      <div class="row between">
        <strong>{p.path}</strong>
        <span class={p.ok ? 'status enrolled' : 'status rejected'}>{p.ok ? 'OK' : p.status ? `HTTP ${p.status}` : 'down'}</span>
      </div>
      <small class="muted">{p.ms.toFixed(0)} ms</small>
      {detail && <pre>{detail.slice(0, 2000)}</pre>}
    </section>
  );
}

// Metric names are the service's choice; patterns find the usual ones (Visage's own first) without
// failing when one is absent.
type Figure = { label: string; find: (s: Summary[]) => Summary | undefined; show: (s: Summary) => string };
const byName = (re: RegExp, type?: string) => (s: Summary[]) => s.find((m) => re.test(m.name) && (!type || m.type === type));
const FIGURES: Figure[] = [
  { label: 'requests served', find: byName(/http_requests?_total|requests_total/, 'counter'), show: (m) => fmt(m.value) },
  { label: 'server errors (5xx)', find: (s) => s.find((m) => m.errors5xx !== undefined), show: (m) => fmt(m.errors5xx ?? 0) },
  { label: 'mean request latency', find: byName(/request.*(duration|latency|seconds)/, 'histogram'), show: (m) => ms(m) },
  { label: 'faces stored', find: byName(/collection_faces|faces_total|faces$/, 'gauge'), show: (m) => fmt(m.value) },
  { label: 'index vectors', find: byName(/index.*(vectors|size)/, 'gauge'), show: (m) => fmt(m.value) },
  { label: 'index memory', find: byName(/index.*bytes/, 'gauge'), show: (m) => bytes(m.value) },
  { label: 'resident memory', find: byName(/resident_memory_bytes/), show: (m) => bytes(m.value) },
  { label: 'requests waiting for a worker', find: byName(/waiting|queue/, 'gauge'), show: (m) => fmt(m.value) },
];

function KeyFigures({ families }: { families: Family[] }) {
  const summaries = families.map(summarise);
  const figures = FIGURES.map((f) => ({ f, m: f.find(summaries) })).filter((x) => x.m);
  if (!figures.length) return null;
  return (
    <div class="figures" data-testid="key-figures">
      {figures.map(({ f, m }) => (
        <div class="card figure" key={f.label} title={m!.name}>
          <span class="big">{f.show(m!)}</span>
          <small class="muted">{f.label}</small>
        </div>
      ))}
    </div>
  );
}

/** Latency per pipeline stage and per route: where the time goes. */
function Breakdowns({ families }: { families: Family[] }) {
  const stage = families.find((f) => f.type === 'histogram' && f.samples.some((s) => 'stage' in s.labels));
  const route = families.find((f) => f.type === 'histogram' && f.samples.some((s) => 'route' in s.labels));
  return (
    <div class="breakdowns">
      {stage && <BreakdownTable title="Pipeline stages" rows={breakdown(stage, 'stage')} testId="stage-latency" />}
      {route && <BreakdownTable title="Requests by route" rows={breakdown(route, 'route')} testId="route-latency" />}
    </div>
  );
}

function BreakdownTable({ title, rows, testId }: { title: string; rows: Row[]; testId: string }) {
  return (
    <section class="card" data-testid={testId}>
      <h3>{title}</h3>
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th>{title === 'Pipeline stages' ? 'stage' : 'route'}</th>
              <th class="num">count</th>
              <th class="num">mean</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.key}>
                <td class="mono wrap">{r.key.replace(' /api/v1/', ' …/')}</td>
                <td class="num">{fmt(r.count)}</td>
                <td class="num">{(r.mean * 1000).toFixed(1)} ms</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function MetricsTable({ families }: { families: Family[] }) {
  return (
    <details class="card" data-testid="metrics-table">
      <summary>All metrics ({families.length} families)</summary>
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th>metric</th>
              <th>type</th>
              <th>series</th>
              <th>total / count</th>
              <th>mean</th>
            </tr>
          </thead>
          <tbody>
            {families.map(summarise).map((m) => (
              <tr key={m.name} title={m.help}>
                <td class="mono">{m.name}</td>
                <td>{m.type}</td>
                <td>{m.series}</td>
                <td>{fmt(m.value)}</td>
                <td>{m.mean == null ? '' : m.mean.toPrecision(3)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </details>
  );
}

function ModelFacts({ m }: { m: ModelInfo }) {
  const rows = Object.entries(m).filter(([, v]) => v != null && typeof v !== 'object');
  const thresholds = m.thresholds;
  return (
    <dl class="facts-list" data-testid="model-facts">
      {rows.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{String(v)}</dd>
        </div>
      ))}
      {thresholds && (
        <div>
          <dt>calibrated thresholds</dt>
          <dd>{thresholds.map((t) => `FAR ${t.far}: ${t.threshold}`).join(' · ')}</dd>
        </div>
      )}
    </dl>
  );
}

const bytes = (v: number) => (v >= 1 << 30 ? `${(v / (1 << 30)).toFixed(2)} GiB` : `${(v / (1 << 20)).toFixed(1)} MiB`);
const fmt = (v: number) => (Number.isInteger(v) ? v.toLocaleString() : v.toPrecision(4));
const ms = (m: Summary) => {
  if (m.mean == null) return '—';
  // Prometheus convention is seconds; a name ending in _ms says otherwise.
  const v = /_ms|milli/.test(m.name) ? m.mean : m.mean * 1000;
  return `${v.toFixed(1)} ms`;
};
