import { useEffect, useState } from 'preact/hooks';
import { type CopyAction, messageOf, recordSecretUse } from '../api.js';

export interface CopyButtonProps {
  /** What is copied, for the button's accessible name: "Copy API key". */
  label: string;
  value: string;
  /** The account whose audit log records the copy, with `action`; none for secrets of no account. */
  audit?: { accountId: string; action: CopyAction };
}

/** Copies a secret with navigator.clipboard and records the copy in the audit log. */
export function CopyButton({ label, value, audit }: CopyButtonProps) {
  const [status, setStatus] = useState<{ ok: boolean; text: string } | null>(null);

  useEffect(() => {
    if (!status?.ok) return;
    const timer = setTimeout(() => setStatus(null), 4000);
    return () => clearTimeout(timer);
  }, [status]);

  async function copy() {
    try {
      await navigator.clipboard.writeText(value);
    } catch {
      setStatus({ ok: false, text: 'Copying was not allowed: select the text and copy it by hand.' });
      return;
    }
    try {
      if (audit) await recordSecretUse(audit.accountId, audit.action);
      setStatus({ ok: true, text: 'Copied' });
    } catch (error) {
      setStatus({ ok: false, text: `Copied, but the audit log did not record it: ${messageOf(error)}` });
    }
  }

  return (
    <span class="copy">
      <button type="button" class="button-secondary" onClick={copy}>
        {label}
      </button>
      <span class={status?.ok === false ? 'copy-status copy-status-error' : 'copy-status'} role="status">
        {status?.text ?? ''}
      </span>
    </span>
  );
}
