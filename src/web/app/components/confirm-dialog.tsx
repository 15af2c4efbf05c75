import type { ComponentChildren, RefObject } from 'preact';
import { useEffect, useId, useRef } from 'preact/hooks';

/**
 * A native `<dialog>` shown as a modal while `open` — the focus trapped in it, the page behind inert — and closed
 * otherwise, when the browser gives the focus back to the element that had it; `first` takes the focus on opening.
 */
export function useModal(
  open: boolean,
  first: RefObject<HTMLElement | null>,
): RefObject<HTMLDialogElement | null> {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const element = dialog.current;
    if (!element) return;
    if (open && !element.open) {
      element.showModal();
      first.current?.focus();
    } else if (!open && element.open) {
      element.close();
    }
  }, [open]);
  return dialog;
}

/**
 * The frame of this app's modal dialogs, on the native `<dialog>` (see useModal): a form with its title (the dialog's
 * name), its body (its description), the error of its last try as an alert, and its buttons. Escape calls
 * `onEscape`, the form's submit `onSubmit`; each dialog says what they do, and which of its buttons has the focus
 * first (`first`).
 */
export function DialogFrame({
  open,
  first,
  title,
  children,
  error,
  actions,
  onEscape,
  onSubmit,
}: {
  open: boolean;
  first: RefObject<HTMLElement | null>;
  title: ComponentChildren;
  children: ComponentChildren;
  error?: string | null;
  /** The buttons, the submit one among them. */
  actions: ComponentChildren;
  onEscape: () => void;
  onSubmit: () => void;
}) {
  const dialog = useModal(open, first);
  const titleId = useId();
  const bodyId = useId();

  return (
    <dialog
      ref={dialog}
      class="dialog"
      aria-labelledby={titleId}
      aria-describedby={bodyId}
      onCancel={(event) => {
        event.preventDefault();
        onEscape();
      }}
    >
      <form
        onSubmit={(event) => {
          event.preventDefault();
          onSubmit();
        }}
      >
        <h2 id={titleId}>{title}</h2>
        <div id={bodyId} class="dialog-body">
          {children}
        </div>
        {error ? (
          <p class="field-error" role="alert">
            {error}
          </p>
        ) : null}
        <div class="actions">{actions}</div>
      </form>
    </dialog>
  );
}

export interface ConfirmDialogProps {
  open: boolean;
  title: string;
  /** What happens on confirming, in plain words. */
  children: ComponentChildren;
  confirmLabel: string;
  /** Keeps the confirm button off until what the dialog asks for is given (a valid number, a typed name). */
  confirmDisabled?: boolean;
  /** The confirm button looks dangerous unless told otherwise (a change that is undone as easily as made). */
  danger?: boolean;
  busy?: boolean;
  error?: string | null;
  onConfirm: () => void;
  onCancel: () => void;
}

/**
 * A modal confirmation on the native `<dialog>`: it traps the focus, closes on Escape and gives the focus
 * back to the button that opened it. Cancel has the focus first, so Enter does not destroy anything.
 */
export function ConfirmDialog({
  open,
  title,
  children,
  confirmLabel,
  confirmDisabled,
  danger = true,
  busy,
  error,
  onConfirm,
  onCancel,
}: ConfirmDialogProps) {
  const cancel = useRef<HTMLButtonElement>(null);

  return (
    <DialogFrame
      open={open}
      first={cancel}
      title={title}
      error={error}
      onEscape={() => {
        if (!busy) onCancel();
      }}
      onSubmit={() => {
        if (!busy && !confirmDisabled) onConfirm();
      }}
      actions={
        <>
          <button type="button" ref={cancel} onClick={onCancel} disabled={busy}>
            Cancel
          </button>
          <button
            type="submit"
            class={danger ? 'button-danger' : undefined}
            disabled={busy || confirmDisabled}
          >
            {busy ? 'Working…' : confirmLabel}
          </button>
        </>
      }
    >
      {children}
    </DialogFrame>
  );
}
