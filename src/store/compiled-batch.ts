/**
 * Multi-row statements (insert many rows, update where a column is in a list) compiled once per
 * row count, as `CompiledStatement` compiles a one-row query. Kysely builds, freezes and compiles
 * a query anew on every call, which for a 100-event transaction was about a sixth of the inbox's
 * cost per event, and each new row count is a new SQL text to prepare. Rows are taken in parts of
 * a power of two (256, 128, … 1), so a table sees at most nine shapes of each statement.
 */
import type { Compilable, CompiledQuery, Kysely, QueryResult } from 'kysely';
import type { Database } from './schema.js';

const MARK = '\u0000compiled-batch-arg:';
/** The largest part: well under SQLite's and PostgreSQL's bound-parameter limits. */
const MAX_PART = 256;

type Slot<Row, Args> =
  { row: number; key: keyof Row } | { arg: keyof Args } | { constant: unknown };

/** How a statement for `n` rows is built: `row(i, name)` stands for row i's value. */
export type BatchBuilder<Row, Args, Out> = (
  db: Kysely<Database>,
  n: number,
  row: <K extends keyof Row & string>(i: number, name: K) => Row[K],
  arg: <K extends keyof Args & string>(name: K) => Args[K],
) => Compilable<Out>;

export class CompiledBatch<Row extends object, Args extends object, Out> {
  private readonly shapes = new Map<
    number,
    { query: CompiledQuery<Out>; slots: Slot<Row, Args>[] }
  >();

  constructor(private readonly build: BatchBuilder<Row, Args, Out>) {}

  /** Runs the statement over `rows` (in parts, in order) with `args`; the parts' rows, in order. */
  async execute(db: Kysely<Database>, rows: readonly Row[], args: Args): Promise<Out[]> {
    const out: Out[] = [];
    for (let at = 0; at < rows.length;) {
      const n = partSize(rows.length - at);
      const { query, slots } = this.shape(db, n);
      const parameters = slots.map((s) =>
        'row' in s ? rows[at + s.row]![s.key] : 'arg' in s ? args[s.arg] : s.constant,
      );
      const result: QueryResult<Out> = await db.executeQuery<Out>({ ...query, parameters });
      out.push(...result.rows);
      at += n;
    }
    return out;
  }

  private shape(db: Kysely<Database>, n: number) {
    let shape = this.shapes.get(n);
    if (!shape) this.shapes.set(n, (shape = this.compile(db, n)));
    return shape;
  }

  private compile(db: Kysely<Database>, n: number) {
    const query = this.build(
      db,
      n,
      (i, name) => `${MARK}${i}:${name}` as never,
      (name) => `${MARK}:${name}` as never,
    ).compile();
    const slots = query.parameters.map((p): Slot<Row, Args> => {
      if (typeof p !== 'string' || !p.startsWith(MARK)) return { constant: p };
      const [i, name] = p.slice(MARK.length).split(/:(.*)/s) as [string, string];
      return i === '' ? { arg: name as keyof Args } : { row: Number(i), key: name as keyof Row };
    });
    return { query, slots };
  }
}

/** The largest power of two no larger than `left` (and `MAX_PART`). */
function partSize(left: number): number {
  let n = 1;
  while (n * 2 <= left && n * 2 <= MAX_PART) n *= 2;
  return n;
}
