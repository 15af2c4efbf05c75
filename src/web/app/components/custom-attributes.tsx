import { useEffect, useState } from 'preact/hooks';
import { ApiError, type FieldError, messageOf } from '../api.js';
import { type JsonValue, policyApi } from '../policy-api.js';
import { formatValue, parseValue } from '../policy-form.js';
import { Notice, TableHead, TextField } from './ui.js';

interface Row {
  key: number;
  name: string;
  value: string;
}

let nextKey = 1;

function rowsOf(attributes: Record<string, JsonValue>): Row[] {
  return Object.entries(attributes)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, value]) => ({ key: nextKey++, name, value: formatValue(value) }));
}

function errorFor(errors: FieldError[], name: string): string | undefined {
  const found = errors.filter(
    (e) => e.field === name || e.field.startsWith(`${name}.`) || e.field.startsWith(`${name}[`),
  );
  return found.length > 0 ? found.map((e) => e.message).join('; ') : undefined;
}

/** The attributes as they are saved, for an operator who may not change them. */
function AttributeTable({ rows }: { rows: Row[] }) {
  if (rows.length === 0) return <p>No custom attributes.</p>;
  return (
    <table>
      <TableHead caption="Custom attributes" columns={['Name', 'Value']} />
      <tbody>
        {rows.map((row) => (
          <tr key={row.key}>
            <th scope="row">
              <code>{row.name}</code>
            </th>
            <td>
              <code>{row.value}</code>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/**
 * The account's static custom attributes (`custom.<name>` in policies): name → value, editable unless
 * `readOnly`.
 */
export function CustomAttributes({ accountId, readOnly }: { accountId: string; readOnly: boolean }) {
  const [rows, setRows] = useState<Row[] | null>(null);
  const [etag, setEtag] = useState<string | null>(null);
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    policyApi
      .customAttributes(accountId)
      .then(({ data, etag: tag }) => {
        setRows(rowsOf(data));
        setEtag(tag);
      })
      .catch((failure) => setError(messageOf(failure)));
  }, [accountId]);

  async function save(event: Event) {
    event.preventDefault();
    if (!rows) return;
    const duplicate = rows.find((r, i) => rows.findIndex((o) => o.name === r.name) !== i);
    if (duplicate) {
      setErrors([{ field: duplicate.name, message: 'is given twice' }]);
      return;
    }
    setBusy(true);
    setError(null);
    setErrors([]);
    setNotice(null);
    try {
      const attributes: Record<string, JsonValue> = Object.create(null);
      for (const row of rows) attributes[row.name.trim()] = parseValue(row.value);
      const saved = await policyApi.replaceCustomAttributes(accountId, attributes, etag);
      setRows(rowsOf(saved.data));
      setEtag(saved.etag);
      setNotice('Custom attributes saved.');
    } catch (failure) {
      if (failure instanceof ApiError) setErrors(failure.errors);
      setError(
        failure instanceof ApiError && failure.status === 412
          ? 'Someone else changed the custom attributes since this page loaded. Reload the page and redo the change.'
          : `Not saved: ${messageOf(failure)}`,
      );
    } finally {
      setBusy(false);
    }
  }

  const change = (index: number, patch: Partial<Row>) =>
    setRows((current) => (current ?? []).map((r, i) => (i === index ? { ...r, ...patch } : r)));

  return (
    <section aria-labelledby="custom-attributes" class="card">
      <h2 id="custom-attributes">Custom attributes</h2>
      <p>
        Static values policies read as <code>custom.&lt;name&gt;</code>, in conditions and in action payloads
        such as <code>{'{{custom.vipSkill}}'}</code>.
      </p>
      {notice ? <Notice kind="success">{notice}</Notice> : null}
      {error ? <Notice kind="error">{error}</Notice> : null}
      {rows === null && !error ? <p role="status">Loading custom attributes…</p> : null}
      {rows && readOnly ? <AttributeTable rows={rows} /> : null}
      {rows && !readOnly ? (
        <form onSubmit={save} noValidate>
          {rows.length === 0 ? <p>No custom attributes yet.</p> : null}
          {rows.map((row, i) => (
            <fieldset key={row.key}>
              <legend>Attribute {i + 1}</legend>
              <div class="row">
                <TextField
                  id={`custom-${i}-name`}
                  label="Name"
                  value={row.name}
                  onValue={(name) => change(i, { name })}
                  error={errorFor(errors, row.name.trim())}
                  autoComplete="off"
                  spellcheck={false}
                />
                <TextField
                  id={`custom-${i}-value`}
                  label="Value"
                  value={row.value}
                  onValue={(value) => change(i, { value })}
                  hint='Text, or JSON: 4242, true, ["a","b"], {"k":1}'
                  autoComplete="off"
                  spellcheck={false}
                />
                <button
                  type="button"
                  class="button-secondary"
                  onClick={() => setRows(rows.filter((_, j) => j !== i))}
                >
                  Remove attribute {i + 1}
                </button>
              </div>
            </fieldset>
          ))}
          <div class="actions">
            <button
              type="button"
              class="button-secondary"
              onClick={() => setRows([...rows, { key: nextKey++, name: '', value: '' }])}
            >
              Add an attribute
            </button>
            <button type="submit" disabled={busy}>
              {busy ? 'Saving…' : 'Save custom attributes'}
            </button>
          </div>
        </form>
      ) : null}
    </section>
  );
}
