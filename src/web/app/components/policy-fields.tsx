import { ACTION_TYPES, OPERATORS } from '../policy-api.js';
import type { ActionRow, ConditionRow } from '../policy-form.js';
import { SelectField, TextField } from './ui.js';

const VALUE_HINT =
  'Text as it is; numbers, true/false and lists as JSON: 5, true, ["gold","silver"]. {{custom.name}} reads an attribute.';
const TEMPLATE_HINT =
  'Text or a number; {{attribute}} is filled in when the policy runs, e.g. {{custom.vipSkill}}.';

/** One `{attribute, operator, value}` row of the conditions form, each control with the server's message. */
export function ConditionFields({
  row,
  index,
  errors,
  onChange,
  onRemove,
}: {
  row: ConditionRow;
  index: number;
  errors: Map<string, string>;
  onChange: (row: ConditionRow) => void;
  onRemove: (() => void) | null;
}) {
  const at = `conditions[${index}]`;
  return (
    <fieldset>
      <legend>Condition {index + 1}</legend>
      {errors.get(at) ? <p class="field-error">{errors.get(at)}</p> : null}
      <div class="row">
        <TextField
          id={`condition-${index}-attribute`}
          label="Attribute"
          value={row.attribute}
          onValue={(attribute) => onChange({ ...row, attribute })}
          hint="custom.name, namespace.property or conversation.conversationId"
          error={errors.get(`${at}.attribute`)}
          autoComplete="off"
          spellcheck={false}
        />
        <SelectField
          id={`condition-${index}-operator`}
          label="Operator"
          value={row.operator}
          options={OPERATORS}
          onValue={(operator) => onChange({ ...row, operator })}
          error={errors.get(`${at}.operator`)}
        />
        <TextField
          id={`condition-${index}-value`}
          label="Value"
          value={row.value}
          onValue={(value) => onChange({ ...row, value })}
          hint={VALUE_HINT}
          error={errors.get(`${at}.value`)}
          autoComplete="off"
          spellcheck={false}
        />
        {onRemove ? (
          <button type="button" class="button-secondary" onClick={onRemove}>
            Remove condition {index + 1}
          </button>
        ) : null}
      </div>
    </fieldset>
  );
}

/** One action: its type and the payload fields that type takes. */
export function ActionFields({
  row,
  index,
  errors,
  onChange,
  onRemove,
}: {
  row: ActionRow;
  index: number;
  errors: Map<string, string>;
  onChange: (row: ActionRow) => void;
  onRemove: (() => void) | null;
}) {
  const at = `actions[${index}]`;
  const whole = [errors.get(at), errors.get(`${at}.payload`)].filter(Boolean).join('; ');
  const field = (name: 'skillId' | 'userId' | 'message', label: string, hint: string) => (
    <TextField
      id={`action-${index}-${name}`}
      label={label}
      value={row[name]}
      onValue={(value) => onChange({ ...row, [name]: value })}
      hint={hint}
      error={errors.get(`${at}.payload.${name}`)}
      autoComplete="off"
    />
  );
  return (
    <fieldset>
      <legend>Action {index + 1}</legend>
      {whole ? <p class="field-error">{whole}</p> : null}
      <div class="row">
        <SelectField
          id={`action-${index}-type`}
          label="Type"
          value={row.type}
          options={ACTION_TYPES}
          onValue={(type) => onChange({ ...row, type })}
          error={errors.get(`${at}.type`)}
        />
        {row.type === 'TRANSFER_TO_SKILL' ? field('skillId', 'Skill ID', TEMPLATE_HINT) : null}
        {row.type === 'TRANSFER_TO_AGENT' ? field('userId', 'Agent user ID', TEMPLATE_HINT) : null}
        {row.type === 'TRANSFER_TO_AGENT'
          ? field('skillId', 'Fallback skill ID (optional)', 'Used when the agent is not available.')
          : null}
        {row.type === 'SEND_MESSAGE'
          ? field('message', 'Message', 'What the bot says; {{attribute}} is filled in.')
          : null}
        {onRemove ? (
          <button type="button" class="button-secondary" onClick={onRemove}>
            Remove action {index + 1}
          </button>
        ) : null}
      </div>
    </fieldset>
  );
}
