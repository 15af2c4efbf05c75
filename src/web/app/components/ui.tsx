import type { AnchorHTMLAttributes, ComponentChildren } from 'preact';
import { useEffect, useId, useRef } from 'preact/hooks';
import type { FieldError } from '../api.js';
import { navigate } from '../router.js';

/** A message for the page: errors are announced at once (alert), the rest politely (status). */
export function Notice({
  kind,
  children,
}: {
  kind: 'error' | 'success' | 'info' | 'warning';
  children: ComponentChildren;
}) {
  return (
    <div class={`notice notice-${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
      {children}
    </div>
  );
}

/** The input attributes the forms of this app use. */
interface InputProps {
  /** `search`: a field that finds, which Escape (and the browser's clear button) empties. */
  type?: 'text' | 'password' | 'search';
  required?: boolean;
  maxLength?: number;
  autoComplete?: string;
  inputMode?: 'text' | 'numeric';
  pattern?: string;
  spellcheck?: boolean;
  placeholder?: string;
  disabled?: boolean;
}

/** The attributes of a text field that takes a whole number (a phone's keypad shows digits). */
export const WHOLE_NUMBER_INPUT = { inputMode: 'numeric', pattern: '[0-9]*', autoComplete: 'off' } as const;

export interface TextFieldProps extends InputProps {
  label: string;
  value: string;
  onValue: (value: string) => void;
  hint?: ComponentChildren;
  error?: string | undefined;
  id?: string;
}

/** A labelled input; its hint and error are tied to it with aria-describedby. */
export function TextField({ label, value, onValue, hint, error, id, type, ...rest }: TextFieldProps) {
  const generated = useId();
  const inputId = id ?? generated;
  const hintId = `${inputId}-hint`;
  const errorId = `${inputId}-error`;
  const describedBy = [hint ? hintId : null, error ? errorId : null].filter(Boolean).join(' ') || undefined;
  const attributes = {
    ...rest,
    id: inputId,
    value,
    onInput: (e: Event) => onValue((e.currentTarget as HTMLInputElement).value),
    'aria-invalid': error ? ('true' as const) : undefined,
    'aria-describedby': describedBy,
  };
  return (
    <div class={`field${error ? ' field-invalid' : ''}`}>
      <label for={inputId}>{label}</label>
      {type === 'password' ? (
        <input type="password" {...attributes} />
      ) : type === 'search' ? (
        <input type="search" {...attributes} />
      ) : (
        <input type="text" {...attributes} />
      )}
      {hint ? (
        <p class="hint" id={hintId}>
          {hint}
        </p>
      ) : null}
      <FieldErrorText id={errorId} error={error} />
    </div>
  );
}

/** The server's message for one field (exact name, or any of the given names). */
export function fieldError(errors: FieldError[], ...fields: string[]): string | undefined {
  const wanted = new Set(fields);
  const found = errors.filter((e) => wanted.has(e.field) || wanted.has(e.field.replace(/^body\./, '')));
  return found.length > 0 ? found.map((e) => e.message).join('; ') : undefined;
}

/** A level-1 heading that takes the focus when the page changes, so screen readers announce the new page. */
/** A field's error under it, named by `id` (the field says `aria-describedby`); nothing without an error. */
export function FieldErrorText({ id, error }: { id: string; error: string | null | undefined }) {
  return error ? (
    <p class="field-error" id={id}>
      {error}
    </p>
  ) : null;
}

export function PageHeading({ children, title }: { children: ComponentChildren; title: string }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${title} · Conversation Orchestrator`;
    ref.current?.focus({ preventScroll: true });
  }, [title]);
  return (
    <h1 ref={ref} tabIndex={-1}>
      {children}
    </h1>
  );
}

/** An in-app link: a real `<a href>` that the router follows without reloading. */
export function Link({
  href,
  children,
  ...rest
}: AnchorHTMLAttributes<HTMLAnchorElement> & { href: string }) {
  return (
    <a
      {...rest}
      href={href}
      onClick={(event) => {
        if (
          event.defaultPrevented ||
          event.button !== 0 ||
          event.metaKey ||
          event.ctrlKey ||
          event.shiftKey ||
          event.altKey
        ) {
          return;
        }
        event.preventDefault();
        navigate(href);
      }}
    >
      {children}
    </a>
  );
}

/**
 * What an operator finds at the address of a page not open to them (a viewer on an admin's page, an operator of
 * some accounts on a page for those of every account): why, instead of a refusal.
 */
export function ClosedPage({
  title,
  heading,
  children,
}: {
  title: string;
  heading: string;
  children: ComponentChildren;
}) {
  return (
    <>
      <PageHeading title={title}>{heading}</PageHeading>
      <Notice kind="info">{children}</Notice>
    </>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p class="loading" role="status">
      Loading {what}…
    </p>
  );
}

/** A checkbox or a radio button with its label after it. */
export function CheckField({
  type,
  label,
  checked,
  onChecked,
  name,
  id,
}: {
  type: 'checkbox' | 'radio';
  label: ComponentChildren;
  checked: boolean;
  onChecked: (checked: boolean) => void;
  /** The group of a radio button. */
  name?: string;
  id?: string;
}) {
  const generated = useId();
  const inputId = id ?? generated;
  return (
    <div class="field">
      <input
        type={type}
        id={inputId}
        name={name}
        checked={checked}
        onChange={(e) => onChecked((e.currentTarget as HTMLInputElement).checked)}
      />
      <label for={inputId} class="inline-label">
        {label}
      </label>
    </div>
  );
}

/** Radio buttons for one choice among `options`, inside the fieldset that names the choice. */
export function RadioFields<T extends string>({
  options,
  value,
  onValue,
}: {
  options: { value: T; label: string }[];
  value: T;
  onValue: (value: T) => void;
}) {
  const name = useId();
  return (
    <>
      {options.map((o) => (
        <CheckField
          key={o.value}
          type="radio"
          name={name}
          label={o.label}
          checked={value === o.value}
          onChecked={() => onValue(o.value)}
        />
      ))}
    </>
  );
}

/** A labelled select, with its error tied to it. */
export function SelectField<T extends string>({
  label,
  value,
  options,
  onValue,
  hint,
  error,
  id,
}: {
  label: string;
  value: T;
  options: { value: T; label: string }[];
  onValue: (value: T) => void;
  hint?: ComponentChildren;
  error?: string | undefined;
  id?: string;
}) {
  const generated = useId();
  const selectId = id ?? generated;
  const hintId = `${selectId}-hint`;
  const errorId = `${selectId}-error`;
  const describedBy = [hint ? hintId : null, error ? errorId : null].filter(Boolean).join(' ') || undefined;
  return (
    <div class={`field${error ? ' field-invalid' : ''}`}>
      <label for={selectId}>{label}</label>
      <select
        id={selectId}
        value={value}
        onChange={(e) => onValue((e.currentTarget as HTMLSelectElement).value as T)}
        aria-invalid={error ? 'true' : undefined}
        aria-describedby={describedBy}
      >
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
      {hint ? (
        <p class="hint" id={hintId}>
          {hint}
        </p>
      ) : null}
      <FieldErrorText id={errorId} error={error} />
    </div>
  );
}

/** A labelled multi-line input, with its hint and error tied to it. */
export function TextAreaField({
  label,
  value,
  onValue,
  hint,
  error,
  id,
  rows = 3,
}: {
  label: string;
  value: string;
  onValue: (value: string) => void;
  hint?: ComponentChildren;
  error?: string | undefined;
  id?: string;
  rows?: number;
}) {
  const generated = useId();
  const areaId = id ?? generated;
  const describedBy =
    [hint ? `${areaId}-hint` : null, error ? `${areaId}-error` : null].filter(Boolean).join(' ') || undefined;
  return (
    <div class={`field${error ? ' field-invalid' : ''}`}>
      <label for={areaId}>{label}</label>
      <textarea
        id={areaId}
        rows={rows}
        value={value}
        spellcheck={false}
        onInput={(e) => onValue((e.currentTarget as HTMLTextAreaElement).value)}
        aria-invalid={error ? 'true' : undefined}
        aria-describedby={describedBy}
      />
      {hint ? (
        <p class="hint" id={`${areaId}-hint`}>
          {hint}
        </p>
      ) : null}
      <FieldErrorText id={`${areaId}-error`} error={error} />
    </div>
  );
}

/**
 * A table's caption, for screen readers (the heading above says it on screen), and its column headings, leaving
 * out a `null` one; with `actions`, a last column for each row's buttons, named for screen readers only.
 */
export function TableHead({
  caption,
  columns,
  actions = false,
}: {
  caption: string;
  columns: (string | null)[];
  actions?: boolean;
}) {
  return (
    <>
      <caption class="visually-hidden">{caption}</caption>
      <thead>
        <tr>
          {columns.map((column) =>
            column === null ? null : (
              <th key={column} scope="col">
                {column}
              </th>
            ),
          )}
          {actions ? (
            <th scope="col">
              <span class="visually-hidden">Actions</span>
            </th>
          ) : null}
        </tr>
      </thead>
    </>
  );
}

/** The operator's current password, proving a change of their own sign-in (password, one-time codes) is theirs. */
export function CurrentPassword({
  id,
  value,
  onValue,
  errors,
}: {
  id?: string;
  value: string;
  onValue: (value: string) => void;
  errors: FieldError[];
}) {
  return (
    <TextField
      {...(id === undefined ? {} : { id })}
      label="Current password"
      type="password"
      value={value}
      onValue={onValue}
      error={fieldError(errors, 'currentPassword', 'body.currentPassword')}
      required
      maxLength={1024}
      autoComplete="current-password"
    />
  );
}

/** The callbacks of a part that says how a change went, to a section whose messages replace each other. */
export function outcomeHandlers(
  setNotice: (text: string | null) => void,
  setError: (text: string | null) => void,
): { onNotice: (text: string) => void; onError: (text: string) => void } {
  return {
    onNotice: (text) => {
      setError(null);
      setNotice(text);
    },
    onError: (text) => {
      setNotice(null);
      setError(text);
    },
  };
}
