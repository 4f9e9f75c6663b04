// A modal confirm built on the native <dialog>: focus moves into it (to "Cancel", the safe
// choice), Tab stays inside, Escape cancels, and focus returns to the opener when it closes.
import { ReactNode, useEffect, useId, useRef } from 'react';
import './StreamsTable.css';

export function ConfirmDialog({ open, title, children, confirmLabel, busyLabel = 'Deleting…', busy = false, onConfirm, onCancel }: {
  open: boolean;
  title: string;
  children: ReactNode;
  confirmLabel: string;
  busyLabel?: string;
  busy?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const cancelRef = useRef<HTMLButtonElement>(null);
  const titleId = useId();
  const bodyId = useId();

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) {
      const opener = document.activeElement as HTMLElement | null;
      dialog.showModal();
      cancelRef.current?.focus();
      return () => {
        if (dialog.open) dialog.close();
        if (opener && document.contains(opener)) opener.focus();
      };
    }
    return undefined;
  }, [open]);

  return (
    <dialog ref={ref} className="confirm" aria-labelledby={titleId} aria-describedby={bodyId}
      onCancel={(e) => {
        e.preventDefault(); // Escape: closed through onCancel, so React's state stays the truth
        if (!busy) onCancel();
      }}>
      {open && (
        <>
          <h2 id={titleId}>{title}</h2>
          <div id={bodyId}>{children}</div>
          <div className="actions">
            <button type="button" className="secondary" ref={cancelRef} onClick={onCancel} disabled={busy}>
              Cancel
            </button>
            <button type="button" className="danger" onClick={onConfirm} disabled={busy}>
              {busy ? busyLabel : confirmLabel}
            </button>
          </div>
        </>
      )}
    </dialog>
  );
}
