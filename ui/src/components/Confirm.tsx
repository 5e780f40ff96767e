import { useEffect, useRef, useState } from 'preact/hooks';
import { ErrorBox } from './ErrorBox';

/**
 * A button that asks before doing something that cannot be undone. Uses <dialog> so focus,
 * Escape and the backdrop behave natively on desktop and phone.
 */
export function ConfirmButton({ label, title, body, confirmLabel = 'Delete', onConfirm, testId, small }: {
  label: string;
  title: string;
  body: string;
  confirmLabel?: string;
  onConfirm: () => Promise<unknown>;
  testId?: string;
  small?: boolean;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);
  const confirm = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await onConfirm();
      setOpen(false);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button type="button" class={small ? 'danger small' : 'danger'} data-testid={testId} onClick={() => setOpen(true)}>
        {label}
      </button>
      <dialog ref={ref} class="confirm" onClose={() => setOpen(false)} data-testid="confirm-dialog">
        <h3>{title}</h3>
        <p>{body}</p>
        <ErrorBox error={error} compact />
        <div class="row end">
          <button type="button" onClick={() => setOpen(false)} disabled={busy}>
            Cancel
          </button>
          <button type="button" class="danger" onClick={confirm} disabled={busy} data-testid="confirm-yes">
            {busy ? 'Working…' : confirmLabel}
          </button>
        </div>
      </dialog>
    </>
  );
}
