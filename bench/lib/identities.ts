/** Who is who in the benchmark's homeserver: its server name, the appservice's tokens and users. */

export const DOMAIN = 'localhost';
export const AS_TOKEN = 'bench_as_token_0123456789';
export const HS_TOKEN = 'bench_hs_token_0123456789';
export const BOT = 'switchboard';
/** The echo connector's one remote user, as a ghost with the default `echo_` prefix. */
export const ECHO_GHOST = `@echo_echo:${DOMAIN}`;
