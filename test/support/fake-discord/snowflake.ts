/** Discord snowflakes: ms since the Discord epoch (2015-01-01) << 22, plus an increment. */
const DISCORD_EPOCH = 1_420_070_400_000n;
let increment = 0n;

export function snowflake(at = Date.now()): string {
  increment = (increment + 1n) & 0xfffn;
  return String(((BigInt(at) - DISCORD_EPOCH) << 22n) | increment);
}

/** The millisecond timestamp a snowflake was made at. */
export const snowflakeTime = (id: string): number => Number((BigInt(id) >> 22n) + DISCORD_EPOCH);

export const isSnowflake = (s: string): boolean => /^\d{17,20}$/.test(s);
