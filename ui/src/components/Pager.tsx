export function Pager({ page, totalPages, total, onPage }: {
  page: number;
  totalPages: number;
  total: number;
  onPage: (p: number) => void;
}) {
  return (
    <nav class="pager" aria-label="pages" data-testid="pager">
      <button type="button" disabled={page <= 1} onClick={() => onPage(page - 1)}>
        ‹ Prev
      </button>
      <span>
        page {page} of {Math.max(1, totalPages)} · {total} total
      </span>
      <button type="button" disabled={page >= totalPages} onClick={() => onPage(page + 1)}>
        Next ›
      </button>
    </nav>
  );
}
