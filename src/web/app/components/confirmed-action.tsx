import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { messageOf } from '../api.js';
import { ConfirmDialog } from './confirm-dialog.js';

/**
 * A destructive button behind a confirmation: the dialog says what will happen, shows the server's error if
 * the action fails (and stays open), and closes once it succeeds.
 */
export function ConfirmedAction({
  label,
  title,
  action,
  canConfirm = true,
  onCancel,
  children,
}: {
  label: string;
  title: string;
  /** Runs on confirming; a rejection keeps the dialog open with its message. */
  action: () => Promise<void>;
  canConfirm?: boolean;
  onCancel?: () => void;
  children: ComponentChildren;
}) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function confirm() {
    if (!canConfirm) return;
    setBusy(true);
    setError(null);
    try {
      await action();
      setConfirming(false);
    } catch (failure) {
      setError(messageOf(failure));
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <div class="actions">
        <button type="button" class="button-danger" onClick={() => setConfirming(true)}>
          {label}
        </button>
      </div>
      <ConfirmDialog
        open={confirming}
        title={title}
        confirmLabel={label}
        confirmDisabled={!canConfirm}
        busy={busy}
        error={confirming ? error : null}
        onConfirm={confirm}
        onCancel={() => {
          setConfirming(false);
          setError(null);
          onCancel?.();
        }}
      >
        {children}
      </ConfirmDialog>
    </>
  );
}
