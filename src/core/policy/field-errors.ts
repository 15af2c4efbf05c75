/** One reason an input was refused; `field` is a path such as `actions[1].payload.skillId`. */
export interface FieldError {
  field: string;
  message: string;
}

export type Loose = Record<string, unknown>;

export function isRecord(value: unknown): value is Loose {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function refuseUnknown(obj: Loose, allowed: Set<string>, prefix: string, errors: FieldError[]): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.has(key)) errors.push({ field: `${prefix}${key}`, message: 'is not an allowed field' });
  }
}

export function checkList(
  value: unknown,
  field: string,
  max: number,
  errors: FieldError[],
): value is unknown[] {
  if (!Array.isArray(value) || value.length === 0) {
    errors.push({ field, message: 'must be a non-empty array' });
    return false;
  }
  if (value.length > max) errors.push({ field, message: `must have at most ${max} items` });
  return value.length <= max;
}
