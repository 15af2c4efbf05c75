import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { useChange } from '../api.js';
import { ConfirmDialog } from './confirm-dialog.js';

/**
 * A destructive button behind a confirmation: the dialog says what will happen, shows the server's error if
 * the action fails (and stays open), and closes once it succeeds. `onOpen` runs as it opens, so that what the dialog
 * says as of then (how long ago a secret was last used) is worked out afresh, not when the page was drawn.
 * `danger: false`: a change undone as easily as made (a plain button and confirm button); `inline`: the button
 * among others of its row, not in an actions row of its own.
 */
export function ConfirmedAction({
  label,
  title,
  action,
  canConfirm = true,
  onOpen,
  onCancel,
  danger = true,
  inline = false,
  children,
}: {
  label: string;
  title: string;
  /** Runs on confirming; a rejection keeps the dialog open with its message. */
  action: () => Promise<void>;
  canConfirm?: boolean;
  onOpen?: () => void;
  onCancel?: () => void;
  danger?: boolean;
  inline?: boolean;
  children: ComponentChildren;
}) {
  const [confirming, setConfirming] = useState(false);
  const { busy, error, setError, run } = useChange();

  async function confirm() {
    if (!canConfirm) return;
    await run(async () => {
      await action();
      setConfirming(false);
    });
  }

  const button = (
    <button
      type="button"
      class={danger ? 'button-danger' : 'button-secondary'}
      onClick={() => {
        setError(null);
        onOpen?.();
        setConfirming(true);
      }}
    >
      {label}
    </button>
  );
  return (
    <>
      {inline ? button : <div class="actions">{button}</div>}
      <ConfirmDialog
        open={confirming}
        title={title}
        confirmLabel={label}
        confirmDisabled={!canConfirm}
        danger={danger}
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
