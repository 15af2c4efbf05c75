import type { ComponentChildren } from 'preact';
import type { CopyAction } from '../api.js';
import { CopyButton } from './copy-button.js';

/** A secret as the API Authorization page shows it: the value (or a mask), extra controls, and Copy. */
export function SecretValue({
  id,
  value,
  shown = value,
  copyLabel,
  audit,
  children,
}: {
  id: string;
  value: string;
  /** What is displayed, when it is not the value itself (a hidden password). */
  shown?: string;
  copyLabel: string;
  audit: { accountId: string; action: CopyAction };
  children?: ComponentChildren;
}) {
  return (
    <>
      <code class="secret" id={id}>
        {shown}
      </code>
      {children}
      <CopyButton label={copyLabel} value={value} audit={audit} />
    </>
  );
}
