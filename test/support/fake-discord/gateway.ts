/**
 * The fake's gateway (API v10, JSON encoding): HELLO → IDENTIFY (token and intents checked) →
 * READY + GUILD_CREATE, heartbeats acknowledged, RESUME replaying what a session missed (or
 * INVALID_SESSION), dispatches filtered by the intents the session asked for.
 */
import type { IncomingMessage, Server } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import type { FakeGuildState } from './state.js';

/** Intent bits (https://discord.com/developers/docs/events/gateway#gateway-intents). */
export const Intent = {
  Guilds: 1 << 0,
  GuildMembers: 1 << 1,
  GuildModeration: 1 << 2,
  GuildMessages: 1 << 9,
  GuildMessageReactions: 1 << 10,
  GuildMessageTyping: 1 << 11,
  MessageContent: 1 << 15,
} as const;

/** Which intent an event needs. */
const NEEDS: Record<string, number> = {
  GUILD_CREATE: Intent.Guilds,
  CHANNEL_CREATE: Intent.Guilds,
  GUILD_ROLE_CREATE: Intent.Guilds,
  THREAD_CREATE: Intent.Guilds,
  CHANNEL_PINS_UPDATE: Intent.Guilds,
  GUILD_MEMBER_UPDATE: Intent.GuildMembers,
  GUILD_MEMBER_REMOVE: Intent.GuildMembers,
  GUILD_BAN_ADD: Intent.GuildModeration,
  GUILD_BAN_REMOVE: Intent.GuildModeration,
  MESSAGE_CREATE: Intent.GuildMessages,
  MESSAGE_UPDATE: Intent.GuildMessages,
  MESSAGE_DELETE: Intent.GuildMessages,
  MESSAGE_REACTION_ADD: Intent.GuildMessageReactions,
  MESSAGE_REACTION_REMOVE: Intent.GuildMessageReactions,
  TYPING_START: Intent.GuildMessageTyping,
};

interface Session {
  id: string;
  intents: number;
  seq: number;
  /** Every dispatch of the session, for RESUME. */
  sent: { s: number; t: string; d: unknown }[];
  socket?: WebSocket;
}

export class FakeGateway {
  readonly wss: WebSocketServer;
  readonly sessions = new Map<string, Session>();
  identifies = 0;
  resumes = 0;
  /** Queries the clients connected with (`?v=10&encoding=json`). */
  readonly queries: string[] = [];
  heartbeatInterval = 41_250;
  private sessionCount = 0;

  constructor(
    server: Server,
    private readonly state: FakeGuildState,
    private readonly token: string,
    private readonly url: () => string,
  ) {
    this.wss = new WebSocketServer({ server });
    this.wss.on('connection', (ws, req) => this.connection(ws, req));
  }

  /** Sends a dispatch to every session (queued for a disconnected one, for RESUME). */
  dispatch(t: string, d: unknown): void {
    for (const session of this.sessions.values()) {
      const needs = NEEDS[t];
      if (needs !== undefined && (session.intents & needs) === 0) continue;
      let data = d;
      // Without the privileged MessageContent intent, content, embeds and attachments are empty.
      if (
        t.startsWith('MESSAGE_') &&
        !(session.intents & Intent.MessageContent) &&
        typeof d === 'object'
      )
        data = { ...(d as object), content: '', embeds: [], attachments: [] };
      const entry = { s: ++session.seq, t, d: data };
      session.sent.push(entry);
      session.socket?.send(JSON.stringify({ op: 0, ...entry }));
    }
  }

  /** Drops every connection abnormally (as a network failure does); sessions stay resumable. */
  drop(): void {
    for (const s of this.sessions.values()) {
      s.socket?.terminate();
      s.socket = undefined;
    }
  }

  /** Sessions that are connected now. */
  connected(): number {
    return [...this.sessions.values()].filter((s) => s.socket).length;
  }

  close(): void {
    for (const s of this.sessions.values()) s.socket?.terminate();
    this.wss.close();
  }

  private connection(ws: WebSocket, req: IncomingMessage): void {
    this.queries.push(req.url ?? '');
    const query = new URL(req.url ?? '/', 'ws://x').searchParams;
    if (query.get('v') !== '10' || query.get('encoding') !== 'json') {
      ws.close(4012, 'Invalid API version');
      return;
    }
    let session: Session | undefined;
    ws.send(
      JSON.stringify({
        op: 10,
        d: { heartbeat_interval: this.heartbeatInterval },
        s: null,
        t: null,
      }),
    );
    ws.on('message', (raw) => {
      let p: { op?: unknown; d?: Record<string, unknown> };
      try {
        p = JSON.parse(raw.toString());
      } catch {
        ws.close(4002, 'Decode error');
        return;
      }
      switch (p.op) {
        case 1: // heartbeat
          ws.send(JSON.stringify({ op: 11, d: null, s: null, t: null }));
          return;
        case 2: // identify
          if (session) return ws.close(4005, 'Already authenticated');
          if (p.d?.token !== this.token) return ws.close(4004, 'Authentication failed');
          if (typeof p.d?.intents !== 'number' || typeof p.d?.properties !== 'object')
            return ws.close(4002, 'Decode error');
          if (p.d.intents >= 1 << 26) return ws.close(4013, 'Invalid intent(s)');
          this.identifies++;
          session = {
            id: `session-${++this.sessionCount}`,
            intents: p.d.intents,
            seq: 0,
            sent: [],
            socket: ws,
          };
          this.sessions.set(session.id, session);
          this.ready(session);
          return;
        case 6: {
          // resume
          const old = this.sessions.get(String(p.d?.session_id));
          if (p.d?.token !== this.token) return ws.close(4004, 'Authentication failed');
          if (!old || typeof p.d?.seq !== 'number') {
            ws.send(JSON.stringify({ op: 9, d: false, s: null, t: null }));
            return;
          }
          this.resumes++;
          old.socket?.terminate();
          old.socket = ws;
          session = old;
          const since = p.d.seq;
          for (const e of old.sent.filter((e) => e.s > since))
            ws.send(JSON.stringify({ op: 0, ...e }));
          const resumed = { s: ++old.seq, t: 'RESUMED', d: null };
          old.sent.push(resumed);
          ws.send(JSON.stringify({ op: 0, ...resumed }));
          return;
        }
        default:
          ws.close(4001, 'Unknown opcode');
      }
    });
    ws.on('close', () => {
      if (session?.socket === ws) session.socket = undefined;
    });
  }

  private ready(session: Session): void {
    const send = (t: string, d: unknown) => {
      const entry = { s: ++session.seq, t, d };
      session.sent.push(entry);
      session.socket?.send(JSON.stringify({ op: 0, ...entry }));
    };
    send('READY', {
      v: 10,
      user: { ...this.state.botUser, flags: 0 },
      guilds: [{ id: this.state.guildId, unavailable: true }],
      session_id: session.id,
      resume_gateway_url: this.url(),
      application: { id: this.state.botUser.id, flags: 0 },
      private_channels: [],
    });
    if (session.intents & Intent.Guilds) send('GUILD_CREATE', this.state.guildCreate());
  }
}
