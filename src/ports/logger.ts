/** Structured logging as the services need it; the HTTP layer passes Fastify's logger. Never give it a secret. */
export interface Logger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}
