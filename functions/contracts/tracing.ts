/** Environment variable that turns tracing on in the router (lib/ sets it with -c switchyard:tracing=true). */
export const TRACING_ENV = 'SWITCHYARD_TRACING';
