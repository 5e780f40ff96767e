export const score = (v: number | null | undefined, digits = 2) => (v == null ? '—' : v.toFixed(digits));

export const when = (iso: string | undefined) => (iso ? new Date(iso).toLocaleString() : '—');

export const shortId = (id: string) => (id.length > 14 ? `${id.slice(0, 9)}…${id.slice(-4)}` : id);

/** "George_Clooney_0001.jpg" -> "George_Clooney": LFW-style names carry the person before the number. */
export function externalIdFromFileName(name: string): string {
  const stem = name.replace(/\.[^.]+$/, '');
  return stem.replace(/[_\- ]?\d+$/, '') || stem;
}

export const faces = (n: number | undefined) => (n == null ? '… faces' : `${n} ${n === 1 ? 'face' : 'faces'}`);
