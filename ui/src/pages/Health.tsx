import { useEffect } from 'preact/hooks';
import { api } from '../api';
import { ErrorBox } from '../components/ErrorBox';
import { useLoad } from '../hooks';
import { parseMetrics, summarise, type Family, type Summary } from '../metrics';
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
  const models = useLoad(() => api.get<ModelInfo>('/models'), []);
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

// Metric names are the service's choice; these patterns find the usual ones without hard-coding them.
const FIGURES: { label: string; find: (s: Summary[]) => Summary | undefined; show: (s: Summary) => string }[] = [
  { label: 'requests served', find: (s) => s.find((m) => /request/.test(m.name) && (m.type === 'counter' || /_total$/.test(m.name))) ?? s.find((m) => /request.*(duration|latency|seconds)/.test(m.name)), show: (m) => fmt(m.value) },
  { label: 'server errors (5xx)', find: (s) => s.find((m) => m.errors5xx !== undefined), show: (m) => fmt(m.errors5xx ?? 0) },
  { label: 'mean request latency', find: (s) => s.find((m) => /request.*(duration|latency|seconds)/.test(m.name) && m.mean != null), show: (m) => ms(m) },
  { label: 'mean pipeline stage latency', find: (s) => s.find((m) => /(stage|pipeline|engine)/.test(m.name) && m.mean != null), show: (m) => ms(m) },
  { label: 'faces stored', find: (s) => s.find((m) => /faces?/.test(m.name) && m.type === 'gauge'), show: (m) => fmt(m.value) },
  { label: 'index size', find: (s) => s.find((m) => /index/.test(m.name) && m.type === 'gauge'), show: (m) => fmt(m.value) },
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
          <dd>
            {Array.isArray(thresholds)
              ? thresholds.map((t) => `FAR ${t.far}: ${t.threshold}`).join(' · ')
              : Object.entries(thresholds)
                  .map(([k, v]) => `${k}: ${v}`)
                  .join(' · ')}
          </dd>
        </div>
      )}
    </dl>
  );
}

const fmt = (v: number) => (Number.isInteger(v) ? v.toLocaleString() : v.toPrecision(4));
const ms = (m: Summary) => {
  if (m.mean == null) return '—';
  // Prometheus convention is seconds; a name ending in _ms says otherwise.
  const v = /_ms|milli/.test(m.name) ? m.mean : m.mean * 1000;
  return `${v.toFixed(1)} ms`;
};
