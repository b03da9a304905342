/**
 * XEP-0444 reactions carry a user's whole set of reactions to a message, each time; Matrix has
 * one event per reaction. This keeps each user's set per message (in the bridge's kv, so that a
 * restart does not turn the next set into duplicates) and turns a new set into added and removed
 * reactions, and a Matrix reaction or its redaction into the user's new set.
 */
import type { KeyValueStore } from '../../../src/connector.js';

/** Kept per user and message; more keys than this are ignored (a flood of distinct reactions). */
export const MAX_KEYS = 20;

const storeKey = (portal: string, target: string, user: string) =>
  `reactions/${portal}/${target}/${user}`;

export class ReactionSets {
  constructor(private readonly kv: KeyValueStore) {}

  async get(portal: string, target: string, user: string): Promise<string[]> {
    return (await this.kv.get<string[]>(storeKey(portal, target, user))) ?? [];
  }

  /** Stores a user's new set; answers what it added and removed. */
  async replace(
    portal: string,
    target: string,
    user: string,
    keys: string[],
  ): Promise<{ added: string[]; removed: string[] }> {
    const before = await this.get(portal, target, user);
    const after = [...new Set(keys)].slice(0, MAX_KEYS);
    if (after.length === 0) await this.kv.delete(storeKey(portal, target, user));
    else await this.kv.set(storeKey(portal, target, user), after);
    return {
      added: after.filter((k) => !before.includes(k)),
      removed: before.filter((k) => !after.includes(k)),
    };
  }

  /** Adds (or removes) one key of a user's set; answers the new set, or undefined when unchanged. */
  async toggle(
    portal: string,
    target: string,
    user: string,
    key: string,
    on: boolean,
  ): Promise<string[] | undefined> {
    const before = await this.get(portal, target, user);
    if (before.includes(key) === on) return undefined;
    const after = on ? [...before, key].slice(0, MAX_KEYS) : before.filter((k) => k !== key);
    await this.replace(portal, target, user, after);
    return after;
  }
}

/** The remote id of one user's reaction: what core maps the Matrix reaction event to. */
export const reactionId = (target: string, user: string, key: string): string =>
  `reaction:${JSON.stringify([target, user, key])}`;

export function parseReactionId(
  id: string,
): { target: string; user: string; key: string } | undefined {
  if (!id.startsWith('reaction:')) return undefined;
  try {
    const parts = JSON.parse(id.slice(9)) as unknown;
    if (Array.isArray(parts) && parts.length === 3 && parts.every((p) => typeof p === 'string'))
      return { target: parts[0] as string, user: parts[1] as string, key: parts[2] as string };
  } catch {
    // not one of ours
  }
  return undefined;
}
