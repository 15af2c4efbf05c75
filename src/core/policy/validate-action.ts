import { type FieldError, isRecord, refuseUnknown } from './field-errors.js';
import { templateProblem } from './templates.js';
import { ACTION_TYPES, type Action, type ActionType, type JsonValue } from './types.js';

const MAX_PAYLOAD_TEXT = 4000;
const ACTION_FIELDS = new Set(['type', 'payload']);

/** Payload fields each action type takes, and the legacy names accepted for them on input. */
const PAYLOADS: Record<ActionType, { required: string; optional?: string; legacy: Record<string, string> }> =
  {
    TRANSFER_TO_SKILL: { required: 'skillId', legacy: {} },
    TRANSFER_TO_AGENT: {
      required: 'userId',
      optional: 'skillId',
      legacy: { agentId: 'userId', fallbackSkillId: 'skillId' },
    },
    SEND_MESSAGE: { required: 'message', legacy: { text: 'message' } },
  };

function payloadValueProblem(value: unknown): string | null {
  if (typeof value === 'number') return Number.isFinite(value) ? null : 'must be a finite number';
  if (typeof value !== 'string') return 'must be a string or a number';
  if (value.trim() === '') return 'must not be empty';
  if (value.length > MAX_PAYLOAD_TEXT) return `must be at most ${MAX_PAYLOAD_TEXT} characters`;
  return templateProblem(value);
}

function validatePayload(type: ActionType, input: unknown, field: string, errors: FieldError[]) {
  if (!isRecord(input)) {
    errors.push({ field, message: 'must be an object' });
    return null;
  }
  const spec = PAYLOADS[type];
  const before = errors.length;
  const payload: Record<string, JsonValue> = {};
  for (const [key, value] of Object.entries(input)) {
    const name = Object.hasOwn(spec.legacy, key) ? (spec.legacy[key] as string) : key;
    if (name !== spec.required && name !== spec.optional) {
      errors.push({ field: `${field}.${key}`, message: `is not a payload field of ${type}` });
    } else if (Object.hasOwn(payload, name)) {
      errors.push({ field: `${field}.${key}`, message: `repeats ${name}; give only one of the two names` });
    } else {
      const problem = payloadValueProblem(value);
      if (problem) errors.push({ field: `${field}.${key}`, message: problem });
      else payload[name] = value as JsonValue;
    }
  }
  if (!Object.hasOwn(payload, spec.required) && errors.length === before) {
    errors.push({ field: `${field}.${spec.required}`, message: `is required for ${type}` });
  }
  return errors.length > before ? null : payload;
}

/** Checks one `{type, payload}`, renaming legacy payload fields; reports problems under `field`. */
export function validateAction(input: unknown, field: string, errors: FieldError[]): Action | null {
  if (!isRecord(input)) {
    errors.push({ field, message: 'must be an object {type, payload}' });
    return null;
  }
  refuseUnknown(input, ACTION_FIELDS, `${field}.`, errors);
  const type = input.type;
  if (!(ACTION_TYPES as readonly unknown[]).includes(type)) {
    errors.push({ field: `${field}.type`, message: `must be one of ${ACTION_TYPES.join(', ')}` });
    return null;
  }
  const payload = validatePayload(type as ActionType, input.payload, `${field}.payload`, errors);
  return payload ? { type: type as ActionType, payload } : null;
}
