import { Type } from 'typebox';
import type { App, RouteDeps } from '../types.js';

/** Liveness (the process answers) and readiness (the store answers and the bus is trustworthy). */
export async function healthRoutes(app: App, { services }: RouteDeps): Promise<void> {
  app.get(
    '/healthz',
    {
      schema: {
        tags: ['operations'],
        summary: 'Liveness',
        response: { 200: Type.Object({ status: Type.Literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        tags: ['operations'],
        summary: 'Readiness: the store answers',
        response: {
          200: Type.Object({ status: Type.String(), store: Type.Boolean(), bus: Type.Boolean() }),
          503: Type.Object({ status: Type.String(), store: Type.Boolean(), bus: Type.Boolean() }),
        },
      },
    },
    async (request, reply) => {
      let store = false;
      try {
        store = await services.ctx.store.ping();
      } catch (error) {
        request.log.warn({ err: error }, 'store ping failed');
      }
      const bus = services.ctx.bus.healthy();
      // A bus that is reconnecting only costs speed (caches are bypassed), so the node stays ready.
      return reply.code(store ? 200 : 503).send({ status: store ? 'ready' : 'unavailable', store, bus });
    },
  );
}
