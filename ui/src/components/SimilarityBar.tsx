import { score } from '../format';

/** Cosine similarity as a bar on a 0..1 scale with the decision threshold drawn across it. */
export function SimilarityBar({ similarity, threshold }: { similarity: number; threshold: number | undefined }) {
  const pct = (v: number) => `${Math.max(0, Math.min(1, v)) * 100}%`;
  const above = threshold == null || similarity >= threshold;
  return (
    <div class="simbar" data-testid="simbar" data-similarity={similarity} data-threshold={threshold ?? ''}>
      <div class="track" role="meter" aria-valuemin={0} aria-valuemax={1} aria-valuenow={similarity} aria-label="similarity">
        <div class={above ? 'fill above' : 'fill below'} style={{ width: pct(similarity) }} data-testid="simbar-fill" />
        {threshold != null && (
          <div class="threshold" style={{ left: pct(threshold) }} title={`threshold ${score(threshold)}`} data-testid="simbar-threshold" />
        )}
      </div>
      <span class="value">{score(similarity, 3)}</span>
    </div>
  );
}
