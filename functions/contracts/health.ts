/**
 * The anonymous GET /health answer, declared once: API Gateway serves it from a MOCK integration
 * (lib/constructs/api.ts) and the local emulator from the same constant, so neither invokes the
 * router. It says "this region's API is up", nothing more; the deep view is GET /health/deep
 * (admin keys, served by the router).
 */
export const SHALLOW_HEALTH_BODY = { status: 'ok', deep: '/health/deep' } as const;
export const SHALLOW_HEALTH_PATH = '/health';
export const DEEP_HEALTH_PATH = '/health/deep';
/** Per-method throttle of the anonymous route: its own bucket, never the stage's. */
export const SHALLOW_HEALTH_THROTTLE = { rateLimit: 20, burstLimit: 40 } as const;
