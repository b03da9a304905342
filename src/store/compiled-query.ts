/**
 * Queries built and compiled once, then run with new values. Kysely builds, freezes and compiles
 * a query anew on every call; on the bridge's hot path (each relayed message is an outbox insert,
 * its delete and a message mapping) that was about a tenth of the bridge's CPU. The builder gets
 * placeholders for the values that change; each parameter of the compiled query is then either a
 * placeholder, filled from the arguments on each run, or a constant the builder wrote itself.
 * Compiled on first use with the database it is run on, so the SQL is that dialect's.
 */
import type { Compilable, CompiledQuery, Kysely, QueryResult } from 'kysely';
import type { Database } from './schema.js';

const MARK = '\u0000compiled-query-arg:';

type Slot<Args> = { arg: keyof Args } | { constant: unknown };

export class CompiledStatement<Args extends object, Row> {
  private compiled: { query: CompiledQuery<Row>; slots: Slot<Args>[] } | undefined;

  constructor(
    private readonly build: (
      db: Kysely<Database>,
      arg: <K extends keyof Args & string>(name: K) => Args[K],
    ) => Compilable<Row>,
  ) {}

  async execute(db: Kysely<Database>, args: Args): Promise<QueryResult<Row>> {
    const { query, slots } = (this.compiled ??= this.compile(db));
    const parameters = slots.map((s) => ('arg' in s ? args[s.arg] : s.constant) as unknown);
    return db.executeQuery<Row>({ ...query, parameters });
  }

  async first(db: Kysely<Database>, args: Args): Promise<Row | undefined> {
    return (await this.execute(db, args)).rows[0];
  }

  private compile(db: Kysely<Database>): { query: CompiledQuery<Row>; slots: Slot<Args>[] } {
    const named = new Set<string>();
    const query = this.build(db, (name) => {
      named.add(name);
      return `${MARK}${name}` as never;
    }).compile();
    const slots = query.parameters.map((p): Slot<Args> =>
      typeof p === 'string' && p.startsWith(MARK)
        ? { arg: p.slice(MARK.length) as keyof Args }
        : { constant: p },
    );
    for (const name of named)
      if (!slots.some((s) => 'arg' in s && s.arg === name))
        throw new Error(`compiled query: the argument ${name} did not become a parameter`);
    return { query, slots };
  }
}
