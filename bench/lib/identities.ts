/** Who is who in the benchmark's homeserver: its server name, the appservice's tokens and users. */

export const DOMAIN = 'localhost';
export const AS_TOKEN = 'bench_as_token_0123456789';
export const HS_TOKEN = 'bench_hs_token_0123456789';
export const BOT = 'switchboard';
/** The echo connector's one remote user, as a ghost with the default `echo_` prefix. */
export const ECHO_GHOST = `@echo_echo:${DOMAIN}`;

/**
 * The parts of the bridge's config every benchmark shares: the stand-in homeserver at `hsUrl`,
 * these tokens, the bridge on a free port, `database`, and silent logs (a log line per event
 * would measure pino). Each benchmark adds its `bridges` (and anything else it needs).
 */
export function benchConfig(hsUrl: string, database: string) {
  return {
    homeserver: { url: hsUrl, domain: DOMAIN },
    appservice: {
      id: 'switchboard',
      bind: '127.0.0.1',
      port: 0,
      url: 'http://127.0.0.1:9', // not used: each benchmark tells the stand-in the real port
      as_token: AS_TOKEN,
      hs_token: HS_TOKEN,
      bot: { localpart: BOT },
    },
    database,
    logging: { level: 'silent' },
  };
}
