// Just enough of the Prometheus text format to summarise /metrics on the health page: families
// with their type and samples. Histograms are reduced to count and mean from _count and _sum.

export interface Sample { name: string; labels: Record<string, string>; value: number }
export interface Family { name: string; type: string; help: string; samples: Sample[] }

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
const SUFFIXES = ['_bucket', '_count', '_sum', '_total', '_created'];

export function parseMetrics(text: string): Family[] {
  const families = new Map<string, Family>();
  const family = (name: string) => {
    let f = families.get(name);
    if (!f) families.set(name, (f = { name, type: 'untyped', help: '', samples: [] }));
    return f;
  };
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (!t) continue;
    if (t.startsWith('#')) {
      const m = /^#\s+(TYPE|HELP)\s+(\S+)\s*(.*)$/.exec(t);
      if (m) family(m[2])[m[1] === 'TYPE' ? 'type' : 'help'] = m[3];
      continue;
    }
    const m = SAMPLE.exec(t);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL)) labels[l[1]] = l[2].replace(/\\(.)/g, '$1');
    family(baseName(m[1], families)).samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return [...families.values()].filter((f) => f.samples.length > 0);
}

function baseName(sample: string, known: Map<string, Family>): string {
  if (known.has(sample)) return sample;
  for (const s of SUFFIXES) if (sample.endsWith(s) && known.has(sample.slice(0, -s.length))) return sample.slice(0, -s.length);
  return sample;
}

export interface Summary { name: string; type: string; help: string; series: number; value: number; mean?: number; errors5xx?: number }

export function summarise(f: Family): Summary {
  const isHist = f.type === 'histogram' || f.type === 'summary';
  const pick = (suffix: string) => f.samples.filter((s) => s.name.endsWith(suffix)).reduce((a, s) => a + s.value, 0);
  if (isHist) {
    const count = pick('_count');
    const sum = pick('_sum');
    return { name: f.name, type: f.type, help: f.help, series: f.samples.filter((s) => s.name.endsWith('_count')).length, value: count, mean: count ? sum / count : undefined };
  }
  let value = 0;
  let errors5xx: number | undefined;
  for (const s of f.samples) {
    if (!Number.isFinite(s.value)) continue;
    value += s.value;
    if (s.labels.status !== undefined) errors5xx = (errors5xx ?? 0) + (s.labels.status.startsWith('5') ? s.value : 0);
  }
  return { name: f.name, type: f.type, help: f.help, series: f.samples.length, value, errors5xx };
}

export interface Row { key: string; count: number; mean: number }

/** A histogram split by one label (route, stage…): how many observations and their mean, busiest first. */
export function breakdown(f: Family, label: string): Row[] {
  const rows = new Map<string, { count: number; sum: number }>();
  for (const s of f.samples) {
    const isCount = s.name.endsWith('_count');
    if (!isCount && !s.name.endsWith('_sum')) continue;
    const key = [s.labels.method ?? '', s.labels[label] ?? ''].filter(Boolean).join(' ');
    const r = rows.get(key) ?? { count: 0, sum: 0 };
    if (isCount) r.count += s.value;
    else r.sum += s.value;
    rows.set(key, r);
  }
  return [...rows.entries()]
    .map(([key, r]) => ({ key, count: r.count, mean: r.count ? r.sum / r.count : 0 }))
    // Busiest first; an overall "total" row reads best at the bottom.
    .sort((a, b) => Number(a.key === 'total') - Number(b.key === 'total') || b.count - a.count);
}
